"""Build small feed documents (RSS 2.0, RDF/RSS 1.0, Atom 1.0, JSON Feed 1.1) for tests.

Each builder takes a list of item dicts and feed-level keyword arguments and
returns the document as bytes::

    rss([{"title": "Hello", "link": "https://example.org/1"}], language="fr")

Item keys, all optional: ``id``, ``title``, ``link``, ``summary`` (HTML),
``content`` (HTML), ``published`` / ``updated`` (datetime), ``language``,
``author``, ``categories`` (list of str), ``image`` (URL).

Feed keywords, all optional: ``title``, ``link``, ``language``,
``encoding`` (how the bytes are encoded, default UTF-8), ``declared_encoding``
(what the XML declaration says, default ``encoding``), ``xml_base``.
Text is escaped as the format requires; HTML fields are carried escaped.
JSON Feed has no HTML summary: ``summary`` goes to its plain-text ``summary``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

Item = Mapping[str, Any]

__all__ = ["atom", "json_feed", "rdf", "rss"]


def _xml_document(body: str, feed: Mapping[str, Any]) -> bytes:
    encoding = feed.get("encoding", "utf-8")
    declared = feed.get("declared_encoding", encoding)
    head = f'<?xml version="1.0" encoding="{declared}"?>\n' if declared else ""
    return (head + body).encode(encoding)


def _el(name: str, text: str | None, **attrs: str) -> str:
    if text is None:
        return ""
    attributes = "".join(f" {k.replace('_', ':')}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{name}{attributes}>{escape(text)}</{name}>"


def _lang_attr(value: str | None) -> str:
    return f" xml:lang={quoteattr(value)}" if value else ""


def _base_attr(feed: Mapping[str, Any]) -> str:
    return f" xml:base={quoteattr(feed['xml_base'])}" if feed.get("xml_base") else ""


def _rfc822(value: datetime | None) -> str | None:
    return format_datetime(value) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def rss(items: Sequence[Item], **feed: Any) -> bytes:
    """An RSS 2.0 document (with content:, dc: and media: modules)."""
    parts = [
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:media="http://search.yahoo.com/mrss/"'
        f' xmlns:atom="http://www.w3.org/2005/Atom"{_base_attr(feed)}>',
        "<channel>",
        _el("title", feed.get("title", "Test feed")),
        _el("link", feed.get("link", "https://example.org/")),
        _el("description", feed.get("description", "A feed for tests")),
        _el("language", feed.get("language")),
    ]
    for item in items:
        parts.append(f"<item{_lang_attr(item.get('language'))}>")
        parts.append(_el("title", item.get("title")))
        parts.append(_el("link", item.get("link")))
        if item.get("id") is not None:
            parts.append(_el("guid", item["id"], isPermaLink="false"))
        parts.append(_el("description", item.get("summary")))
        parts.append(_el("content:encoded", item.get("content")))
        parts.append(_el("pubDate", _rfc822(item.get("published"))))
        parts.append(_el("dc:creator", item.get("author")))
        parts.extend(_el("category", c) for c in item.get("categories", ()))
        if item.get("image"):
            parts.append(f"<media:thumbnail url={quoteattr(item['image'])}/>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return _xml_document("\n".join(p for p in parts if p), feed)


def rdf(items: Sequence[Item], **feed: Any) -> bytes:
    """An RSS 1.0 (RDF) document, dates as dc:date."""
    link = feed.get("link", "https://example.org/")
    parts = [
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f' xmlns:content="http://purl.org/rss/1.0/modules/content/"{_base_attr(feed)}>',
        f"<channel rdf:about={quoteattr(link)}>",
        _el("title", feed.get("title", "Test feed")),
        _el("link", link),
        _el("description", feed.get("description", "A feed for tests")),
        _el("dc:language", feed.get("language")),
        "</channel>",
    ]
    for item in items:
        about = item.get("id") or item.get("link") or ""
        parts.append(f"<item rdf:about={quoteattr(about)}{_lang_attr(item.get('language'))}>")
        parts.append(_el("title", item.get("title")))
        parts.append(_el("link", item.get("link")))
        parts.append(_el("description", item.get("summary")))
        parts.append(_el("content:encoded", item.get("content")))
        parts.append(_el("dc:date", _iso(item.get("published"))))
        parts.append(_el("dc:creator", item.get("author")))
        parts.extend(_el("dc:subject", c) for c in item.get("categories", ()))
        parts.append("</item>")
    parts.append("</rdf:RDF>")
    return _xml_document("\n".join(p for p in parts if p), feed)


def atom(items: Sequence[Item], **feed: Any) -> bytes:
    """An Atom 1.0 document; summary and content as type="html"."""
    parts = [
        '<feed xmlns="http://www.w3.org/2005/Atom"'
        ' xmlns:media="http://search.yahoo.com/mrss/"'
        f"{_lang_attr(feed.get('language'))}{_base_attr(feed)}>",
        _el("title", feed.get("title", "Test feed")),
        _el("id", feed.get("id", "urn:test:feed")),
        _el("updated", _iso(feed.get("updated")) or "2024-01-01T00:00:00Z"),
    ]
    if feed.get("link", "https://example.org/"):
        parts.append(f'<link rel="alternate" href={quoteattr(feed.get("link", "https://example.org/"))}/>')
    for item in items:
        parts.append(f"<entry{_lang_attr(item.get('language'))}>")
        parts.append(_el("id", item.get("id")))
        parts.append(_el("title", item.get("title")))
        if item.get("link"):
            parts.append(f'<link rel="alternate" type="text/html" href={quoteattr(item["link"])}/>')
        parts.append(_el("summary", item.get("summary"), type="html"))
        parts.append(_el("content", item.get("content"), type="html"))
        parts.append(_el("published", _iso(item.get("published"))))
        parts.append(_el("updated", _iso(item.get("updated"))))
        if item.get("author"):
            parts.append(f"<author>{_el('name', item['author'])}</author>")
        parts.extend(f"<category term={quoteattr(c)}/>" for c in item.get("categories", ()))
        if item.get("image"):
            parts.append(f"<media:thumbnail url={quoteattr(item['image'])}/>")
        parts.append("</entry>")
    parts.append("</feed>")
    return _xml_document("\n".join(p for p in parts if p), feed)


def json_feed(items: Sequence[Item], **feed: Any) -> bytes:
    """A JSON Feed 1.1 document (``version`` may be overridden for 1.0)."""
    doc: dict[str, Any] = {
        "version": feed.get("version", "https://jsonfeed.org/version/1.1"),
        "title": feed.get("title", "Test feed"),
        "home_page_url": feed.get("link", "https://example.org/"),
        "items": [],
    }
    if feed.get("language"):
        doc["language"] = feed["language"]
    for item in items:
        out: dict[str, Any] = {"id": item.get("id") or item.get("link") or item.get("title")}
        for key, name in (("title", "title"), ("link", "url"), ("summary", "summary"),
                          ("content", "content_html"), ("language", "language"),
                          ("image", "image")):
            if item.get(key) is not None:
                out[name] = item[key]
        if item.get("published") is not None:
            out["date_published"] = item["published"].isoformat()
        if item.get("updated") is not None:
            out["date_modified"] = item["updated"].isoformat()
        if item.get("author"):
            out["authors"] = [{"name": item["author"]}]
        if item.get("categories"):
            out["tags"] = list(item["categories"])
        doc["items"].append(out)
    return json.dumps(doc, ensure_ascii=False).encode(feed.get("encoding", "utf-8"))
