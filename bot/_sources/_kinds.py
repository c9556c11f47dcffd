"""The table of source kinds, and reading a kind's keys (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from ._base import BASE_URL, KindSettings, SourceKind, SourceSpec, Value
from .bluesky import Bluesky
from .feed import FEED
from .google_news import GoogleNews
from .hackernews import HackerNews
from .mastodon import Mastodon
from .reddit import Reddit
from .x import X
from .youtube import YouTube

__all__ = ["FEED", "KINDS", "kind_for_url", "read_options", "read_settings"]

#: Every kind, by its ``kind`` value.
KINDS: Mapping[str, SourceKind] = {k.name: k for k in (
    FEED, GoogleNews(), HackerNews(), Reddit(), YouTube(), Mastodon(), Bluesky(), X())}


def read_options(kind: SourceKind, raw: Mapping[str, object], *, language: str | None,
                 settings: KindSettings) -> tuple[dict[str, Value], list[tuple[str, str]]]:
    """The kind's keys found in ``raw`` (a ``[[sources]]`` table, or what
    chat typed), checked: ``(values, problems)``, each problem ``(key,
    message)`` with key ``""`` for the source as a whole. Keys that are not
    the kind's are left to the caller."""
    values: dict[str, Value] = {}
    problems: list[tuple[str, str]] = []
    for key in kind.keys:
        if key.name not in raw:
            if key.required:
                problems.append((key.name, "is required"))
            continue
        value = raw[key.name]
        problem = key.problem(value)
        if problem:
            problems.append((key.name, problem))
        else:
            assert isinstance(value, str | int)
            values[key.name] = value
    if not problems:
        problems += kind.check(SourceSpec(values, language, settings))
    return values, problems


def read_settings(kind: SourceKind, raw: Mapping[str, object]
                  ) -> tuple[KindSettings, list[tuple[str, str]]]:
    """A ``[kinds.<kind>]`` table, checked: ``(settings, problems)``, each
    problem ``(key, message)``; unknown keys are problems."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Value] = {}
    base_url: str | None = None
    known = {k.name: k for k in (BASE_URL, *kind.settings)}
    for name, value in raw.items():
        key = known.get(name)
        if key is None:
            keys = ", ".join(known)
            problems.append((name, f"unknown key (a [kinds.{kind.name}] table takes {keys})"))
            continue
        problem = key.problem(value)
        if problem:
            problems.append((name, problem))
        elif key is BASE_URL:
            base_url = str(value).rstrip("/")
        else:
            assert isinstance(value, str | int)
            values[name] = value
    return KindSettings(base_url, values), problems


def kind_for_url(url: str, settings: Mapping[str, KindSettings]
                 ) -> tuple[SourceKind, dict[str, Value]]:
    """The kind a URL belongs to (a service's web or API address, on its
    own host or its ``base_url``'s) and the keys it stands for; a feed otherwise."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).netloc or "").lower()
    for kind in KINDS.values():
        if kind is FEED:
            continue
        base = settings.get(kind.name, KindSettings()).base_url
        own = urlsplit(base).netloc.lower() if base else None
        if (own is not None and host == own) or host in kind.hosts or not kind.hosts:
            found = kind.from_url(url, settings.get(kind.name, KindSettings()))
            if found:
                return kind, found
    return FEED, {"url": url}
