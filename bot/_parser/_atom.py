"""Atom 1.0 (and 0.3)."""

from __future__ import annotations

from typing import Any

from .._html import html_to_text
from .._lang import feed_language
from ..types import Entry, ParsedFeed
from ._common import (
    Context,
    all_text,
    dedupe,
    element_key,
    escape_text,
    http_url,
    inner_markup,
    item_image,
    lang_attr,
    looks_like_image,
    media_description,
    plain,
    read_each,
)
from ._dates import parse_date

_HTML_TYPES = frozenset(("html", "text/html"))
_XHTML_TYPES = frozenset(("xhtml", "application/xhtml+xml"))


def _atom_text(el: Any) -> str:
    """An Atom text construct as plain text."""
    kind = (el.get("type") or "text").lower()
    if kind in _XHTML_TYPES:
        return html_to_text(inner_markup(el))
    if kind in _HTML_TYPES or el.get("mode") == "escaped":
        return html_to_text(all_text(el))
    return plain(all_text(el))


def _atom_html(el: Any) -> str:
    """An Atom text construct (summary, content) as HTML; "" for out-of-line content."""
    if el.get("src"):
        return ""
    kind = (el.get("type") or "text").lower()
    if kind in _XHTML_TYPES:
        inner = [child for child in el if isinstance(child.tag, str)]
        only_div = len(inner) == 1 and element_key(inner[0].tag, "") == "xhtml:div"
        if only_div and not (el.text or "").strip():
            return inner_markup(inner[0]).strip()
        return inner_markup(el).strip()
    if kind in _HTML_TYPES or el.get("mode") == "escaped":
        return all_text(el).strip()
    if kind == "text" or kind.startswith("text/"):
        return escape_text(all_text(el))
    if kind.endswith("xml"):
        return inner_markup(el).strip()
    return ""  # base64 media and the like


def _atom_author(el: Any) -> str | None:
    for child in el:
        if element_key(child.tag, "atom") == "name":
            return plain(child.text) or None
    return plain(el.text) or None


def _atom_link(links: list[Any], ctx: Context) -> str | None:
    """The alternate link, preferring HTML ones."""
    best: str | None = None
    for el in links:
        rel = (el.get("rel") or "alternate").strip().lower()
        if rel not in ("alternate", "http://www.iana.org/assignments/relation/alternate"):
            continue
        url = ctx.url_of(el, el.get("href"))
        if url is None:
            continue
        kind = (el.get("type") or "text/html").lower()
        if kind in ("text/html", "application/xhtml+xml"):
            return url
        best = best or url
    return best


def _read_atom_entry(
    entry: Any, ctx: Context, feed_lang: str | None, feed_author: str | None
) -> Entry:
    entry_id = title = summary = content = None
    published = updated = author = language = image = None
    links: list[Any] = []
    categories: list[str] = []
    media_el: list[Any] = []
    orig_link: str | None = None
    for child in entry:
        key = element_key(child.tag, "atom")
        if not key:
            continue
        if key == "id":
            entry_id = plain(child.text) or None
        elif key == "title":
            title = _atom_text(child)
        elif key == "link":
            links.append(child)
            if (child.get("rel") or "").lower() == "enclosure" and image is None:
                href = child.get("href")
                if href and looks_like_image(href, child.get("type")):
                    image = ctx.url_of(child, href)
        elif key == "summary":
            summary = _atom_html(child)
        elif key == "content":
            content = _atom_html(child)
        elif key in ("published", "issued", "dc:date", "created"):
            published = published or parse_date(child.text)
        elif key in ("updated", "modified"):
            updated = updated or parse_date(child.text)
        elif key == "author":
            author = author or _atom_author(child)
        elif key == "dc:creator":
            author = author or plain(child.text) or None
        elif key == "category":
            term = plain(child.get("term") or child.get("label") or child.text)
            if term:
                categories.append(term)
        elif key == "dc:subject":
            term = plain(child.text)
            if term:
                categories.append(term)
        elif key == "dc:language":
            language = feed_language(child.text)
        elif key in ("media:thumbnail", "media:content", "media:group"):
            media_el.append(child)
        elif key == "feedburner:origLink":
            orig_link = ctx.url_of(child, child.text)
    if image is None:
        image = item_image(media_el, content or summary or "", entry, ctx)
    if not summary and not content:
        summary = media_description(entry)
    link = _atom_link(links, ctx) or orig_link
    if link is None and entry_id:
        link = http_url(entry_id, None)
    return Entry(
        id=entry_id,
        title=title or "",
        link=link,
        summary_html=summary or "",
        content_html=content or "",
        published=published or updated,
        updated=updated,
        author=author or feed_author,
        language=lang_attr(entry) or language or feed_lang,
        image=image,
        categories=dedupe(categories),
    )


def read_atom(root: Any, ctx: Context) -> ParsedFeed:
    """Read an Atom <feed> element."""
    title = author = language = None
    links: list[Any] = []
    entries: list[Any] = []
    for child in root:
        key = element_key(child.tag, "atom")
        if key == "entry":
            entries.append(child)
        elif key == "title":
            title = _atom_text(child) or None
        elif key == "link":
            links.append(child)
        elif key == "author" and author is None:
            author = _atom_author(child)
        elif key == "dc:language":
            language = feed_language(child.text)
    language = lang_attr(root) or language
    return ParsedFeed(
        format="atom",
        title=title,
        link=_atom_link(links, ctx),
        language=language,
        entries=read_each(entries, lambda e: _read_atom_entry(e, ctx, language, author),
                          ctx.url),
    )
