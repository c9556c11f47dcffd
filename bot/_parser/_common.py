"""What the format readers share: text and URL clean-up, element access,
the per-document context and the item-by-item reading."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from .._html import html_to_text
from .._lang import feed_language
from ..types import Entry

log = logging.getLogger(__name__)

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Characters XML forbids (and databases refuse): controls, non-characters, surrogates.
INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

_URL_SPACE = re.compile(r"\s")


def http_url(value: str | None, base: str | None) -> str | None:
    """``value`` made absolute against ``base``; None unless it is http(s)."""
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    low = value[:8].lower()
    if not low.startswith(("http://", "https://")):
        if not base:
            return None
        try:
            value = urljoin(base, value)
        except ValueError:
            return None
        low = value[:8].lower()
        if not low.startswith(("http://", "https://")):
            return None
    if _URL_SPACE.search(value):
        value = "".join(value.split())
    return value


# Tags that show an RSS title really holds HTML (feeds disagree on whether it may).
# Neither this nor _IMG_SRC lets a tag run past a "<": each match attempt then
# stops at the next one, so a flood of unclosed "<img " costs linear time.
_KNOWN_TAG = re.compile(
    r"</?(?:a|abbr|b|big|blockquote|br|cite|code|del|div|em|font|h[1-6]|hr|i|img|ins|kbd|li|"
    r"mark|ol|p|pre|q|s|small|span|strike|strong|sub|sup|tt|u|ul)\b[^<>]*>",
    re.IGNORECASE,
)


def title_text(raw: str | None) -> str:
    """An RSS title as plain text: HTML only if it holds known HTML tags.

    "a <b>bold</b> move" loses its tags; "Use <template> wisely" keeps its
    words. References are decoded either way (double-escaped feeds).
    """
    if not raw:
        return ""
    if "<" in raw and _KNOWN_TAG.search(raw):
        return html_to_text(raw)
    return plain(html.unescape(raw)) if "&" in raw else plain(raw)


def plain(text: str | None) -> str:
    """Collapse whitespace of a text that is not HTML."""
    return " ".join(text.split()) if text else ""


def escape_text(text: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    escaped = html.escape(text.strip(), quote=False)
    return escaped.replace("\n", "<br>\n") if "\n" in escaped else escaped


_IMG_SRC = re.compile(r"""<img\b[^<>]*?\ssrc\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


def looks_like_image(url: str, mime: str | None, medium: str | None = None) -> bool:
    if medium:
        return medium.lower() == "image"
    if mime:
        return mime.lower().startswith("image/")
    return url.lower().split("?", 1)[0].endswith(_IMAGE_EXTENSIONS)


def first_image_in_html(markup: str, base: str | None) -> str | None:
    m = _IMG_SRC.search(markup) if "<img" in markup or "<IMG" in markup else None
    return http_url(html.unescape(m.group(1)), base) if m else None


def dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


_NAMESPACES = {
    "": "",
    "http://purl.org/rss/1.0/": "",
    "http://my.netscape.com/rdf/simple/0.9/": "",
    "http://backend.userland.com/rss2": "",
    "http://backend.userland.com/rss": "",
    "http://purl.org/net/rss1.1#": "",
    "http://www.w3.org/2005/Atom": "atom",
    "http://purl.org/atom/ns#": "atom",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://search.yahoo.com/mrss/": "media",
    "http://search.yahoo.com/mrss": "media",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/1999/xhtml": "xhtml",
    "http://rssnamespace.org/feedburner/ext/1.0": "feedburner",
}
# Prefixes as written, for tags that recover mode left with an undeclared prefix.
_PREFIX_NAMES = {p: p for p in set(_NAMESPACES.values()) if p}
# One cache per "home" namespace; bounded, since tag names come from the feed.
_KEY_CACHES: dict[str, dict[str, str]] = {"": {}, "atom": {}}
_KEY_CACHE_MAX = 4096


def element_key(tag: Any, home: str) -> str:
    """An element's name as "local" (the format's own namespace) or "prefix:local"."""
    cache = _KEY_CACHES[home]
    try:
        return cache[tag]
    except (KeyError, TypeError):
        pass
    if not isinstance(tag, str):  # comment, processing instruction, entity
        return ""
    if tag[0] == "{":
        ns, _, local = tag[1:].partition("}")
        prefix = _NAMESPACES.get(ns, "?")
    elif ":" in tag:
        written, _, local = tag.partition(":")
        prefix = _PREFIX_NAMES.get(written, "")
    else:
        prefix, local = "", tag
    key = local if prefix in ("", home) else f"{prefix}:{local}"
    if len(cache) < _KEY_CACHE_MAX:
        cache[tag] = key
    return key


# Only from the start of a run of spaces: from each space of a long run, the
# match would rescan the rest of the run.
_XMLNS_DECL = re.compile(r'(?<!\s)\s+xmlns(?::[\w.-]+)?="[^"]*"')


def inner_markup(el: Any) -> str:
    """An element's content as markup (children serialised), for HTML fields."""
    if len(el) == 0:
        return el.text or ""
    parts = [html.escape(el.text, quote=False) if el.text else ""]
    for child in el:
        if isinstance(child.tag, str):
            parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
        elif child.tail:
            parts.append(html.escape(child.tail, quote=False))
    markup = "".join(parts)
    return _XMLNS_DECL.sub("", markup) if "xmlns" in markup else markup


def all_text(el: Any) -> str:
    if len(el) == 0:
        return el.text or ""
    return "".join(t for t in el.itertext() if isinstance(t, str))


class Context:
    """Per-document state: how to resolve URLs."""

    __slots__ = ("has_xml_base", "url")

    def __init__(self, url: str | None, has_xml_base: bool) -> None:
        self.url = url
        self.has_xml_base = has_xml_base

    def base(self, el: Any) -> str | None:
        if not self.has_xml_base:
            return self.url
        try:
            base = el.base
        except (ValueError, etree.LxmlError):
            return self.url
        return str(base) if base else self.url

    def url_of(self, el: Any, value: str | None) -> str | None:
        return http_url(value, self.base(el))


def lang_attr(el: Any) -> str | None:
    value = el.get(_XML_LANG)
    return feed_language(value) if value else None


def read_each(elements: Iterable[Any], read: Callable[[Any], Entry],
              url: str | None) -> tuple[Entry, ...]:
    """Read every item with ``read``; an item that cannot be read is skipped.

    Feeds are hostile or merely odd: a field of an unexpected type in one item
    must cost that item, never the feed (and never the other sources).
    """
    entries: list[Entry] = []
    skipped = 0
    for element in elements:
        try:
            entries.append(read(element))
        except Exception as e:  # the item boundary: whatever it was, it costs one item
            skipped += 1
            log.debug("skipped an unreadable item of %s: %r", url or "a feed", e)
    if skipped:
        log.warning("%s: skipped %d item(s) that could not be read", url or "a feed", skipped)
    return tuple(entries)


def media_image(el: Any, ctx: Context) -> str | None:
    """An image URL from a media:thumbnail / media:content / media:group element."""
    key = element_key(el.tag, "")
    if key == "media:thumbnail":
        return ctx.url_of(el, el.get("url"))
    if key == "media:content":
        url = el.get("url")
        if url and looks_like_image(url, el.get("type"), el.get("medium")):
            return ctx.url_of(el, url)
        for child in el:
            if element_key(child.tag, "") == "media:thumbnail":
                return ctx.url_of(child, child.get("url"))
        return None
    if key == "media:group":
        for child in el:
            found = media_image(child, ctx)
            if found:
                return found
    return None


def item_image(media: Iterable[Any], markup: str, item: Any, ctx: Context) -> str | None:
    """The image of an item that names none: from its media: elements, else
    the first <img> of its HTML ``markup``."""
    for el in media:
        image = media_image(el, ctx)
        if image:
            return image
    return first_image_in_html(markup, ctx.base(item)) if markup else None


def media_description(el: Any) -> str:
    """media:description of an item or of its media:group, as HTML."""
    for child in el:
        key = element_key(child.tag, "")
        if key == "media:description":
            text = all_text(child).strip()
            if text:
                return text if child.get("type") == "html" else escape_text(text)
        elif key == "media:group":
            found = media_description(child)
            if found:
                return found
    return ""

