"""Validators of ``[[sources]]`` (what is polled) and ``[topics.<id>]``
(what is looked for)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .._lang import normalize_language_tag
from .._sources import FEED, KINDS, KindSettings, SourceSpec, read_options, read_settings
from ..types import ALL_FIELDS
from ._model import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL, SourceConfig, TopicConfig
from ._table import Problems, Table, key_path
from ._values import phrase_problem

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def validate_kinds(t: Table) -> dict[str, KindSettings]:
    """The ``[kinds.<kind>]`` tables: each kind's ``base_url`` and own keys."""
    kinds: dict[str, KindSettings] = {}
    for name, raw in t.data.items():
        t.used.add(name)
        key = t.key(name)
        kind = KINDS.get(name)
        if kind is None or kind is FEED:
            t.problems.add(key, f"{name[:40]!r} is not a source kind with settings "
                                f"(one of {', '.join(k for k in KINDS if k != FEED.name)})")
            continue
        if not isinstance(raw, dict):
            t.problems.add(key, f"expected a table ([kinds.{name}])")
            continue
        settings, problems = read_settings(kind, raw)
        for k, message in problems:
            t.problems.add(key_path(key, k), message)
        kinds[name] = settings
    return kinds


def validate_sources(root: Table, kinds: Mapping[str, KindSettings]) -> list[SourceConfig]:
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
        kind_name = t.get("kind", str, default=FEED.name)
        kind = KINDS.get(kind_name)
        if kind is None:
            problems.add(t.key("kind"), f"{kind_name[:40]!r} is not a source kind (one of "
                                        f"{', '.join(KINDS)})")
            t.used.update(t.data)  # its other keys cannot be judged
        interval = t.duration("interval", DEFAULT_INTERVAL, at_least=MIN_INTERVAL,
                              at_most=MAX_INTERVAL)
        language = t.get("language", str)
        lang = None
        if language is not None:
            lang = normalize_language_tag(language)
            if lang is None:
                problems.add(t.key("language"), f"{language[:40]!r} is not a language code")
        enabled = t.get("enabled", bool, True)
        if kind is None:
            continue
        names = [k.name for k in kind.keys]
        for other in t.data:
            if other not in t.used and other not in names:
                problems.add(t.key(other), f"unknown key (a {kind.name} source takes "
                                           f"{', '.join(names)})")
        t.used.update(t.data)
        source = make_source(name, kind.name, {k: t.data[k] for k in names if k in t.data},
                             interval=interval, language=lang, enabled=enabled, kinds=kinds)
        if isinstance(source, SourceConfig):
            sources.append(source)
        else:
            for key, message in source:
                problems.add(t.key(key) if key else t.path, message)
    return sources


def make_source(name: str, kind: str, keys: Mapping[str, object], *, interval: float,
                language: str | None = None, enabled: bool = True,
                kinds: Mapping[str, KindSettings]) -> SourceConfig | list[tuple[str, str]]:
    """A source of ``kind`` with its ``keys`` (as written in a ``[[sources]]``
    table or typed in chat), or its problems as ``(key, message)`` (key
    ``""``: the source as a whole). The one place a source's keys are judged."""
    source_kind = KINDS.get(kind)
    if source_kind is None:
        return [("kind", f"{kind[:40]!r} is not a source kind (one of {', '.join(KINDS)})")]
    settings = kinds.get(kind, KindSettings())
    options, problems = read_options(source_kind, keys, language=language, settings=settings)
    if problems:
        return problems
    url = source_kind.url(SourceSpec(options, language, settings))
    if source_kind is FEED:
        options = {}
    return SourceConfig(name, url, interval, enabled, language, kind, options)


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
