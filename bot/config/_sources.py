"""Validators of ``[[sources]]`` (what is polled) and ``[topics.<id>]``
(what is looked for)."""

from __future__ import annotations

import re

from .._lang import normalize_language_tag
from ..types import ALL_FIELDS
from ._model import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL, SourceConfig, TopicConfig
from ._table import Problems, Table, key_path
from ._values import phrase_problem

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def validate_sources(root: Table) -> list[SourceConfig]:
    problems = root.problems
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for i, t in root.tables("sources"):
        name = t.get("name", str, default=f"source-{i + 1}", required=True)
        if "name" in t.data and isinstance(name, str) and not NAME_RE.fullmatch(name):
            problems.add(t.key("name"), "use letters, digits, '-', '_' or '.' (at most 64)")
        if name in seen:
            problems.add(t.key("name"), f"duplicate source name {name!r}")
        seen.add(name)
        url = t.get("url", str, default="", required=True)
        if url and (not re.match(r"^https?://[^\s/]+", url, re.I) or not url.isprintable()):
            problems.add(t.key("url"), "must be an http:// or https:// URL")
        interval = t.duration("interval", DEFAULT_INTERVAL, at_least=MIN_INTERVAL,
                              at_most=MAX_INTERVAL)
        language = t.get("language", str)
        lang = None
        if language is not None:
            lang = normalize_language_tag(language)
            if lang is None:
                problems.add(t.key("language"), f"{language[:40]!r} is not a language code")
        enabled = t.get("enabled", bool, True)
        t.check_unknown()
        sources.append(SourceConfig(name, url, interval, enabled, lang))
    return sources


def validate_topics(root: Table) -> list[TopicConfig]:
    problems = root.problems
    topics: list[TopicConfig] = []
    for tid, raw in root.get("topics", dict, default={}).items():
        key = key_path("topics", tid)
        if not NAME_RE.fullmatch(tid):
            problems.add(key, "topic ids use letters, digits, '-', '_' or '.' (at most 64)")
        if not isinstance(raw, dict):
            problems.add(key, "expected a table ([topics.<id>])")
            continue
        t = Table(raw, key, problems)
        keywords = t.str_list("keywords", required=True)
        if "keywords" in raw and not keywords:
            problems.add(t.key("keywords"), "needs at least one phrase")
        for j, phrase in enumerate(keywords):
            _check_phrase(problems, f"{t.key('keywords')}[{j}]", phrase)
        exclude = t.str_list("exclude")
        for j, phrase in enumerate(exclude):
            _check_phrase(problems, f"{t.key('exclude')}[{j}]", phrase)
        fields = t.str_list("fields") or ALL_FIELDS
        for j, f in enumerate(fields):
            if f not in ALL_FIELDS:
                problems.add(f"{t.key('fields')}[{j}]",
                             f"{f[:40]!r} is not one of title, summary, content")
        languages: list[str] = []
        for j, lang in enumerate(t.str_list("languages")):
            norm = normalize_language_tag(lang)
            if norm is None:
                problems.add(f"{t.key('languages')}[{j}]", f"{lang[:40]!r} is not a language code")
            else:
                languages.append(norm)
        name = t.get("name", str, default=tid)
        editable = t.get("editable", bool, default=False)
        t.check_unknown()
        topics.append(TopicConfig(
            tid, name, keywords, exclude,
            tuple(f for f in fields if f in ALL_FIELDS),  # type: ignore[misc]
            tuple(languages), editable,
        ))
    return topics


def _check_phrase(problems: Problems, key: str, phrase: str) -> None:
    problem = phrase_problem(phrase)
    if problem:
        problems.add(key, problem)
