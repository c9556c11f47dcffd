"""feedparser's loose parser, the last resort for XML that lxml cannot recover."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from .._html import html_to_text
from .._lang import feed_language
from ..types import Entry, ParsedFeed
from ._common import dedupe, http_url, looks_like_image, plain, title_text
from ._rss import rss_author


def feedparser_fallback(data: bytes, url: str | None) -> ParsedFeed | None:
    """feedparser's loose parser, for documents lxml cannot recover."""
    import feedparser  # imported here: only the rare broken feed needs it

    headers = {"content-type": "application/xml; charset=utf-8"}
    if url:
        headers["content-location"] = url
    try:
        # A stream, never a string: feedparser would fetch a URL or open a path.
        d = feedparser.parse(
            io.BytesIO(data), response_headers=headers,
            resolve_relative_uris=False, sanitize_html=False,
        )
    except Exception:  # a fallback parser's failure is just "no result"
        return None
    version = str(d.get("version") or "")
    if not version and not d.get("entries"):
        return None
    feed = d.get("feed", {})
    language = feed_language(feed.get("language"))
    entries = []
    for e in d.get("entries", []):
        content = e.get("content") or []
        content_html = content[0].get("value", "") if content else ""
        image = None
        for enc in e.get("enclosures", []):
            if looks_like_image(enc.get("href", ""), enc.get("type")):
                image = http_url(enc.get("href"), url)
                break
        for thumb in e.get("media_thumbnail", []) if image is None else []:
            image = http_url(thumb.get("url"), url)
            if image:
                break
        published = _struct_time(e.get("published_parsed"))
        updated = _struct_time(e.get("updated_parsed"))
        entries.append(
            Entry(
                id=e.get("id") or None,
                title=title_text(e.get("title", "")),
                link=http_url(e.get("link"), url),
                summary_html=e.get("summary", "") if e.get("summary") != content_html else "",
                content_html=content_html,
                published=published or updated,
                updated=updated,
                author=rss_author(e.get("author") or "") or None,
                language=feed_language(e.get("language")) or language,
                image=image,
                categories=dedupe(plain(t.get("term")) for t in e.get("tags", [])),
            )
        )
    fmt = "atom" if version.startswith("atom") else "rdf" if version.startswith("rss1") else "rss"
    return ParsedFeed(
        format=fmt,
        title=html_to_text(feed.get("title", "")) or None,
        link=http_url(feed.get("link"), url),
        language=language,
        entries=tuple(entries),
    )


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in value[:6])
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError):
        return None
