"""JSON Feed 1.0 and 1.1."""

from __future__ import annotations

import json
from typing import Any

from .._lang import feed_language
from ..exceptions import FeedParseError
from ..types import Entry, ParsedFeed
from ._common import (
    INVALID_XML_CHARS,
    dedupe,
    escape_text,
    first_image_in_html,
    http_url,
    plain,
    read_each,
)
from ._dates import parse_date


def _json_str(value: Any) -> str | None:
    if isinstance(value, str):
        if not value.isascii() or not value.isprintable():
            # JSON may escape what no database stores: NUL, controls, lone surrogates.
            value = INVALID_XML_CHARS.sub("", value)
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _json_author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    candidates = list(authors) if isinstance(authors, list) else []
    candidates.append(obj.get("author"))
    for a in candidates:
        # Only the value _json_str accepted is used: a number or a list as a
        # name is read as text or ignored, never handed on as is.
        name = _json_str(a.get("name")) if isinstance(a, dict) else None
        if name:
            return plain(name) or None
    return None


def _read_json_item(
    item: dict[str, Any], base: str | None, feed_lang: str | None, feed_author: str | None
) -> Entry:
    summary = _json_str(item.get("summary"))
    content_html = _json_str(item.get("content_html"))
    content_text = _json_str(item.get("content_text"))
    content = content_html or (escape_text(content_text) if content_text else "")
    tags = item.get("tags")
    image = http_url(_json_str(item.get("image")), base) or http_url(
        _json_str(item.get("banner_image")), base
    )
    if image is None and content_html:
        image = first_image_in_html(content_html, base)
    published = parse_date(_json_str(item.get("date_published")))
    updated = parse_date(_json_str(item.get("date_modified")))
    return Entry(
        id=_json_str(item.get("id")),
        title=plain(_json_str(item.get("title"))),
        link=http_url(_json_str(item.get("url")), base)
        or http_url(_json_str(item.get("external_url")), base),
        summary_html=escape_text(summary) if summary else "",
        content_html=content,
        published=published or updated,
        updated=updated,
        author=_json_author(item) or feed_author,
        language=feed_language(_json_str(item.get("language"))) or feed_lang,
        image=image,
        categories=dedupe(plain(t) for t in tags if isinstance(t, str))
        if isinstance(tags, list)
        else (),
    )


def parse_json(text: str, url: str | None) -> ParsedFeed:
    """Parse a JSON Feed; FeedParseError if ``text`` is not one."""
    try:
        data = json.loads(text, strict=False)  # tolerate raw control characters in strings
    except (ValueError, RecursionError) as e:
        raise FeedParseError("the document is not valid JSON", url) from e
    if not isinstance(data, dict):
        raise FeedParseError("the JSON document is not a JSON Feed", url)
    version = data.get("version")
    items = data.get("items")
    if not isinstance(items, list) or not (
        isinstance(version, str) and "jsonfeed.org/version/" in version
    ):
        raise FeedParseError("the JSON document is not a JSON Feed", url)
    home = http_url(_json_str(data.get("home_page_url")), url)
    base = http_url(_json_str(data.get("feed_url")), url) or url or home
    language = feed_language(_json_str(data.get("language")))
    author = _json_author(data)
    title = _json_str(data.get("title"))
    return ParsedFeed(
        format="json",
        title=plain(title) or None,
        link=home,
        language=language,
        entries=read_each((item for item in items if isinstance(item, dict)),
                          lambda item: _read_json_item(item, base, language, author), url),
    )
