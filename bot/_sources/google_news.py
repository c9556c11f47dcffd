"""The ``google-news`` kind: Google News search results, as RSS.

``https://news.google.com/rss/search?q=<query>&hl=<ui>&gl=<country>&ceid=<country>:<lang>``
answers an RSS 2.0 channel whose items are articles from many outlets; each
title ends in " - <publisher>" and each item names its publisher in an
RSS ``<source url="…">`` element (RSS 2.0 specification:
https://www.rssboard.org/rss-specification#ltsourcegtSubelementOfLtitemgt).
The title's suffix is cut off and the publisher kept as the item's outlet.
Google documents no API for it; the shape is that of the feeds it serves.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from .._html import html_to_text
from .._normalize import normalize
from .._parser import parse_feed
from ..types import Entry, FetchResult
from ._base import Key, KindSettings, Page, SourceKind, SourceSpec, Value, api_url

#: The country edition of a language when ``country`` is not set.
DEFAULT_COUNTRY = {"en": "US", "fr": "FR", "de": "DE", "es": "ES", "it": "IT", "nl": "NL",
                   "pt": "BR", "ja": "JP", "zh": "CN", "ko": "KR", "pl": "PL", "sv": "SE"}


class GoogleNews(SourceKind):
    name = "google-news"
    label = "Google News"
    summary = "Google News search results: articles from every outlet Google indexes"
    keys = (
        Key("query", "What to search for, as typed in Google News (\"IA générative\")",
            required=True, max_length=300),
        Key("country", "The country edition (FR, US, CA …); default: the language's own",
            pattern=r"[A-Za-z]{2}", pattern_help="must be a two-letter country code"),
    )
    hosts = ("news.google.com",)
    chat_what = "the search"

    def url(self, spec: SourceSpec) -> str:
        language = spec.language or "en"
        country = (spec.text("country") or DEFAULT_COUNTRY.get(language, language)).upper()
        # Google's own spelling: "fr" for France's French, "en-US", "pt-BR".
        ui = language if language.upper() == country else f"{language}-{country}"
        return self.rebase(api_url("https://news.google.com", "/rss/search", {
            "q": spec.text("query"), "hl": ui, "gl": country, "ceid": f"{country}:{language}",
        }), spec)

    def from_url(self, url: str, settings: KindSettings) -> dict[str, Value] | None:
        parts = urlsplit(url)
        if parts.path.rstrip("/") != "/rss/search":
            return None
        query = parse_qs(parts.query)
        found: dict[str, Value] = {"query": query.get("q", [""])[0]}
        if gl := query.get("gl"):
            found["country"] = gl[0]
        return found if found["query"] else None

    def read(self, answer: FetchResult, spec: SourceSpec) -> Page:
        feed = parse_feed(answer.body or b"", url=answer.url, content_type=answer.content_type)
        publishers = _publishers(answer.body or b"")
        if len(publishers) != len(feed.entries):
            publishers = [None] * len(feed.entries)
        entries = tuple(_with_publisher(e, p) for e, p in zip(feed.entries, publishers,
                                                             strict=True))
        return Page(replace(feed, entries=entries))

    def refusal(self, status: int, error: Any, spec: SourceSpec, *, login: bool) -> str | None:
        if status in (429, 503):
            return f"Google News is refusing Vigie's searches for now ({status}); try a " \
                   "longer interval"
        return None


def _publishers(body: bytes) -> list[str | None]:
    """Each item's ``<source>`` text, in document order ([] if unreadable).

    parse_feed has accepted the document (no entity declarations), and this
    parser loads no DTD and resolves nothing either.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return []
    out: list[str | None] = []
    for item in root.iter("item"):
        source = item.find("source")
        text = " ".join((source.text or "").split()) if source is not None else ""
        out.append(text or None)
    return out


def _with_publisher(entry: Entry, publisher: str | None) -> Entry:
    title = entry.title
    if publisher and title.endswith(f" - {publisher}"):
        title = title[: -len(publisher) - 3].rstrip()
    summary = entry.summary_html
    # The description repeats the title and the publisher: nothing to match or show.
    if summary and title and normalize(html_to_text(summary)).startswith(normalize(title)):
        summary = ""
    return replace(entry, title=title, summary_html=summary, outlet=publisher)

