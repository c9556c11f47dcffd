"""feedparser's loose parser, the last resort for XML that lxml cannot recover."""

from __future__ import annotations

import functools
import io
from datetime import UTC, datetime
from typing import Any

from .._html import html_to_text
from .._lang import feed_language
from ..types import Entry, ParsedFeed
from ._common import dedupe, http_url, looks_like_image, plain, title_text
from ._rss import rss_author

# feedparser's author/e-mail regular expression takes time quadratic in the
# length of an author (kurtmckee/feedparser#562, unfixed in 6.0.x): 180 KB of
# "a.b.c…" in one <author> cost a minute of CPU. What it reads is cut to a
# length no "address (name)" needs, as the fix proposed there (#580) does.
_AUTHOR_MAX = 256


@functools.cache
def _feedparser() -> Any:
    """The feedparser module, its author parsing bounded (once per process)."""
    import feedparser  # imported here: only the rare broken feed needs it
    from feedparser.mixin import _FeedParserMixin

    sync_author = _FeedParserMixin._sync_author_detail

    def bounded_sync_author(self: Any, key: str = "author") -> None:
        context = self._get_context()
        value = context.get(key)
        if isinstance(value, str) and len(value) > _AUTHOR_MAX:
            context[key] = value[:_AUTHOR_MAX]
        sync_author(self, key)

    _FeedParserMixin._sync_author_detail = bounded_sync_author
    return feedparser


def feedparser_fallback(data: bytes, url: str | None) -> ParsedFeed | None:
    """feedparser's loose parser, for documents lxml cannot recover."""
    feedparser = _feedparser()

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
        # Read past feedparser's mapping of a missing "updated" to "published"
        # (deprecated, and it warns): updated is what the feed says, or None.
        updated = _struct_time(dict.get(e, "updated_parsed"))
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
