"""RSS 0.9x, 1.0 (RDF) and 2.0."""

from __future__ import annotations

import re
from typing import Any

from .._lang import feed_language
from ..types import Entry, ParsedFeed
from ._common import (
    Context,
    all_text,
    dedupe,
    element_key,
    inner_markup,
    item_image,
    lang_attr,
    looks_like_image,
    media_description,
    plain,
    read_each,
    title_text,
)
from ._dates import parse_date

# "jane@example.com (Jane Doe)"; possessive, with the address split at its
# first "@" and ended by the first "(", so that no text makes it backtrack.
_EMAIL_AND_NAME = re.compile(r"[^\s@]++@[^\s(]++\s*+\((.+)\)")


def rss_author(value: str) -> str:
    """An RSS author as a name: "jane@example.com (Jane Doe)" → "Jane Doe"."""
    value = plain(value)
    m = _EMAIL_AND_NAME.fullmatch(value)
    return m.group(1).strip() if m else value



def _read_rss_item(item: Any, ctx: Context, feed_lang: str | None) -> Entry:
    title = link = guid = description = content = None
    published = updated = author = language = image = None
    guid_is_link = True
    alternate: str | None = None
    categories: list[str] = []
    media_el: list[Any] = []
    for child in item:
        key = element_key(child.tag, "")
        if not key:
            continue
        if key == "title":
            if title is None:
                title = all_text(child)
        elif key == "link":
            if link is None and (child.text or "").strip():
                link = ctx.url_of(child, child.text)
        elif key == "guid":
            guid = plain(child.text) or None
            guid_is_link = (child.get("isPermaLink") or "true").strip().lower() != "false"
        elif key == "description" and description is None:
            description = inner_markup(child).strip()
        elif key == "content:encoded" and content is None:
            content = inner_markup(child).strip()
        elif key in ("pubDate", "dc:date", "atom:published", "dcterms:issued", "dcterms:created"):
            published = published or parse_date(child.text)
        elif key in ("atom:updated", "dcterms:modified", "dc:modified"):
            updated = updated or parse_date(child.text)
        elif key in ("dc:creator", "author", "itunes:author"):
            if author is None:
                author = rss_author(child.text or "") or None
        elif key == "atom:author":
            for sub in child:
                if element_key(sub.tag, "atom") == "name" and author is None:
                    author = plain(sub.text) or None
        elif key == "dc:language":
            language = feed_language(child.text)
        elif key in ("category", "dc:subject"):
            term = plain(all_text(child))
            if term:
                categories.append(term)
        elif key == "enclosure":
            url = child.get("url")
            if image is None and url and looks_like_image(url, child.get("type")):
                image = ctx.url_of(child, url)
        elif key in ("media:thumbnail", "media:content", "media:group"):
            media_el.append(child)
        elif key == "atom:link":
            rel = (child.get("rel") or "alternate").lower()
            if rel == "alternate" and alternate is None:
                alternate = ctx.url_of(child, child.get("href"))
            elif rel == "enclosure" and image is None:
                href = child.get("href")
                if href and looks_like_image(href, child.get("type")):
                    image = ctx.url_of(child, href)
        elif key == "itunes:image":
            if image is None:
                image = ctx.url_of(child, child.get("href"))
        elif key in ("xhtml:body", "atom:content") and content is None:
            content = inner_markup(child).strip()
        elif key in ("dc:description", "atom:summary") and description is None:
            description = inner_markup(child).strip()
        elif key == "feedburner:origLink":
            alternate = alternate or ctx.url_of(child, child.text)
    rdf_about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    if guid is None and rdf_about:
        guid = rdf_about.strip() or None
    if link is None:
        link = alternate
    if link is None and guid and guid_is_link:
        link = ctx.url_of(item, guid)
    if image is None:
        image = item_image(media_el, content or description or "", item, ctx)
    if not description:
        description = media_description(item)
    return Entry(
        id=guid,
        title=title_text(title),
        link=link,
        summary_html=description or "",
        content_html=content or "",
        published=published or updated,
        updated=updated,
        author=author,
        language=lang_attr(item) or language or feed_lang,
        image=image,
        categories=dedupe(categories),
    )


def _read_channel(
    channel: Any, ctx: Context, items: list[Any]
) -> tuple[str | None, str | None, str | None]:
    """Read a channel's title, link and language; append its items to ``items``."""
    title = link = language = None
    for child in channel:
        key = element_key(child.tag, "")
        if key == "item":
            items.append(child)
        elif key == "title" and title is None:
            title = title_text(all_text(child)) or None
        elif key == "link" and link is None:
            link = ctx.url_of(child, child.text)
        elif key in ("language", "dc:language") and language is None:
            language = feed_language(child.text)
        elif (
            key == "atom:link"
            and link is None
            and (child.get("rel") or "alternate").lower() == "alternate"
        ):
            link = ctx.url_of(child, child.get("href"))
    return title, link, language or lang_attr(channel)


def read_rss(root: Any, ctx: Context, fmt: str) -> ParsedFeed:
    """Read an <rss>, <rdf:RDF> or bare <channel> element as format ``fmt``."""
    # Items are the channel's children (RSS 2.0) or its siblings (RSS 1.0,
    # 0.90, and broken documents recovered); document order is kept.
    items: list[Any] = []
    title = link = language = None
    if element_key(root.tag, "") == "channel":
        title, link, language = _read_channel(root, ctx, items)
    else:
        seen_channel = False
        for child in root:
            key = element_key(child.tag, "")
            if key == "item":
                items.append(child)
            elif key == "channel" and not seen_channel:
                seen_channel = True
                title, link, language = _read_channel(child, ctx, items)
    language = language or lang_attr(root)
    entries = read_each(items, lambda item: _read_rss_item(item, ctx, language), ctx.url)
    return ParsedFeed(format=fmt, title=title, link=link, language=language, entries=entries)
