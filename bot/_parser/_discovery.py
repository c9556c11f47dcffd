"""Autodiscovery: the feeds an HTML page advertises, and the error that lists them."""

from __future__ import annotations

import html
import re

from ..exceptions import NotAFeedError
from ._common import dedupe, http_url
from ._decoding import decode

# A tag stops at the next "<": an unclosed one must not make every later
# attempt rescan the rest of the page.
_LINK_TAG = re.compile(r"<link\b[^<>]*>", re.IGNORECASE)
_BASE_TAG = re.compile(r"<base\b[^<>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_TAG_NAME = re.compile(r"<[A-Za-z]+")
#: Feed MIME types, best first.
_FEED_TYPES = {
    "application/rss+xml": 0,
    "application/atom+xml": 0,
    "application/rdf+xml": 0,
    "application/feed+json": 1,
    "application/json": 2,
}


def _attributes(tag: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    tag_name = _TAG_NAME.match(tag)
    for m in _ATTRIBUTE.finditer(tag, tag_name.end() if tag_name else 0):
        value = m.group(2) if m.group(2) is not None else m.group(3) or m.group(4) or ""
        attrs.setdefault(m.group(1).lower(), html.unescape(value).strip())
    return attrs


def find_feed_links(html: bytes | str, base_url: str) -> tuple[str, ...]:
    """The feeds an HTML page advertises with ``<link rel="alternate" type=…>``.

    Returns absolute http(s) URLs, RSS/Atom first, then JSON Feed, each once,
    otherwise in page order. Never raises.
    """
    text = html if isinstance(html, str) else decode(html, None)[0]
    text = _HTML_COMMENT.sub("", text)
    base = base_url
    base_tag = _BASE_TAG.search(text)
    if base_tag:
        href = _attributes(base_tag.group()).get("href")
        base = http_url(href, base_url) or base_url
    found: list[tuple[int, str]] = []
    for m in _LINK_TAG.finditer(text):
        attrs = _attributes(m.group())
        rels = attrs.get("rel", "").lower().split()
        kind = attrs.get("type", "").lower().split(";")[0].strip()
        if "alternate" not in rels or kind not in _FEED_TYPES:
            continue
        url = http_url(attrs.get("href"), base)
        # WordPress advertises its REST API as application/json: not a feed.
        if url and not (kind == "application/json" and "/wp-json/" in url):
            found.append((_FEED_TYPES[kind], url))
    found.sort(key=lambda pair: pair[0])
    return dedupe(url for _, url in found)


def not_a_feed(text: str, url: str | None) -> NotAFeedError:
    links = find_feed_links(text, url) if url else find_feed_links(text, "")
    message = "the page is HTML, not a feed"
    if links:
        message += f" (it advertises {len(links)} feed{'s' if len(links) > 1 else ''})"
    return NotAFeedError(message, url, links)
