"""The entry point: sniff the format, decode, then JSON or the XML pipeline
(check the prologue, parse strictly, repair, recover, fall back)."""

from __future__ import annotations

import codecs
import logging
import re
from typing import Any

from ..exceptions import FeedParseError, UnsafeXMLError
from ..types import ParsedFeed
from ._atom import read_atom
from ._common import Context
from ._decoding import decode
from ._discovery import not_a_feed
from ._fallback import feedparser_fallback
from ._json import parse_json
from ._rss import read_rss
from ._xml import ENTITY_DECL, repair, scan_prologue, xml_root

log = logging.getLogger(__name__)

_FEED_ROOTS = {"rss": "rss", "channel": "rss", "RDF": "rdf", "feed": "atom"}
_ITEM_TAGS = re.compile(r"<(?:[\w-]+:)?(?:item|entry)[\s>/]")


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    local = tag.rpartition("}")[2]
    return local.rpartition(":")[2]


def _read_tree(root: Any, ctx: Context, url: str | None, text: str) -> ParsedFeed:
    local = _local(root.tag)
    if local.lower() == "html":
        raise not_a_feed(text, url)
    kind = _FEED_ROOTS.get(local)
    if kind == "atom":
        return read_atom(root, ctx)
    if kind is not None:
        return read_rss(root, ctx, kind)
    raise FeedParseError(f"not a feed: the document is <{local[:40]}>", url)



def _parse_xml(text: str, body: bytes | None, url: str | None) -> ParsedFeed:
    """Parse XML ``text``; ``body`` is the same document as UTF-8 bytes, if at hand."""
    prologue = scan_prologue(text, 0)
    if prologue.doctype_text and ENTITY_DECL.search(prologue.doctype_text):
        raise UnsafeXMLError("the document declares XML entities; refused", url)
    end = prologue.root_start if prologue.root_start >= 0 else len(text)
    if ENTITY_DECL.search(text, 0, end):
        raise UnsafeXMLError("the document declares XML entities; refused", url)
    root_name = prologue.root_name.lower()
    doctype_name = prologue.doctype_text[9:].strip().lower()
    if root_name in ("html", "head", "body") or doctype_name.startswith("html"):
        raise not_a_feed(text, url)
    if prologue.root_start < 0:
        raise FeedParseError("the document has no root element", url)

    # What precedes the root goes whenever the bytes are re-encoded anyway:
    # the XML declaration (the encoding is decided already), comments,
    # stylesheets and the DOCTYPE (never loaded).
    doc = text[prologue.root_start :]
    if body is None or prologue.doctype_start >= 0:
        body = doc.encode("utf-8", errors="replace")
    ctx = Context(url, b"xml:base" in body)

    root = xml_root(body, False, ctx)
    if root is not None:
        return _read_tree(root, ctx, url, text)

    repaired = repair(doc).encode("utf-8", errors="replace")
    root = xml_root(repaired, False, ctx)
    if root is not None:
        return _read_tree(root, ctx, url, text)

    root = xml_root(repaired, True, ctx)
    result: ParsedFeed | None = None
    if root is not None:
        local = _local(root.tag)
        if local in _FEED_ROOTS or local.lower() == "html":
            result = _read_tree(root, ctx, url, text)
    # Recovery may silently drop what follows an error: compare with a count
    # of the item tags in the text and let feedparser try if items are missing.
    expected = len(_ITEM_TAGS.findall(doc))
    if result is None or len(result.entries) < expected:
        fallback = feedparser_fallback(repaired, url)
        if fallback is not None and (result is None or len(fallback.entries) > len(result.entries)):
            result = fallback
    if result is None:
        head = doc[:4096].lower()
        if "<html" in head or "<body" in head:
            raise not_a_feed(text, url)
        raise FeedParseError("the document is not well-formed XML and could not be recovered", url)
    return result


def parse_feed(
    body: bytes, *, url: str | None = None, content_type: str | None = None
) -> ParsedFeed:
    """Parse a feed document (RSS, RDF, Atom or JSON Feed) from its raw bytes.

    The format is sniffed from the content (BOM, ``<?xml``, a leading ``{``),
    not from ``content_type`` or the URL, whose charset is only a fallback.
    ``url`` (the final URL fetched) resolves relative links. An item that
    cannot be read is skipped (and logged); the others are returned.

    Raises:
        UnsafeXMLError: the XML declares entities (refused, never expanded).
        NotAFeedError: the body is an HTML page; ``feed_links`` lists the
            feeds it advertises, made absolute.
        FeedParseError: the body is empty, not a feed, or broken beyond
            repair; never any other exception.
    """
    try:
        return _parse_feed(body, url, content_type)
    except FeedParseError:
        raise
    except RecursionError as e:
        raise FeedParseError("the document is nested too deeply", url) from e
    except Exception as e:  # the document boundary: a bug must cost one source, typed
        log.warning("could not read %s: %s: %s", url or "a feed", type(e).__name__, e,
                    exc_info=log.isEnabledFor(logging.DEBUG))
        raise FeedParseError(f"the document could not be read ({type(e).__name__})", url) from e


def _parse_feed(body: bytes, url: str | None, content_type: str | None) -> ParsedFeed:
    if not body or not body.strip():
        raise FeedParseError("the document is empty", url)
    text, codec = decode(body, content_type)
    start = 0
    n = len(text)
    while start < n and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    if start == n:
        raise FeedParseError("the document is empty", url)
    first = text[start]
    if first in "{[":
        return parse_json(text[start:], url)
    if first != "<":
        # Stray output before the XML (a PHP warning, a byte-order mark gone wrong).
        lt = text.find("<", start)
        if lt < 0:
            raise FeedParseError("the document is neither XML nor JSON", url)
        start = lt
    # The original bytes go to lxml as they are when they are already UTF-8.
    reuse = start == 0 and codec == "utf-8" and not body.startswith(codecs.BOM_UTF8)
    return _parse_xml(text[start:] if start else text, body if reuse else None, url)
