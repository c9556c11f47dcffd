"""Feed parsing: RSS 0.9x/1.0 (RDF)/2.0, Atom 1.0 (and 0.3), JSON Feed 1.x.

The common case is fast, the odd one still read:

1. The body is decoded here, not by the XML parser: BOM, then the XML
   declaration (or JSON), then the Content-Type charset, then UTF-8 and
   cp1252. A declared single-byte charset on a body that is valid UTF-8 is
   taken to be UTF-8, which avoids the usual mojibake.
2. The prologue is checked before any parsing: a DOCTYPE that declares
   entities (billion laughs, quadratic blow-up, external ``SYSTEM`` entities)
   is refused with :class:`UnsafeXMLError`; other DOCTYPEs are removed. lxml
   is in any case told never to load a DTD, resolve an entity or use the
   network. An HTML page raises :class:`NotAFeedError` with the feeds it
   advertises.
3. lxml parses strictly; on failure, HTML named entities, stray ``&`` and
   invalid characters are repaired and lxml tries again, then in recover
   mode; feedparser is the last resort when recovery loses items.

The result is a :class:`~bot.types.ParsedFeed` of :class:`~bot.types.Entry`:
titles as plain text, summaries and contents as HTML strings, links
resolved against ``xml:base`` or the feed URL and kept only when absolute
``http(s)``, datetimes in UTC. Pure functions, no I/O.
"""

from __future__ import annotations

import codecs
import html
import io
import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from html.entities import html5 as _HTML5_ENTITIES
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from ._html import html_to_text
from .exceptions import FeedParseError, NotAFeedError, UnsafeXMLError
from .types import Entry, ParsedFeed

__all__ = ["find_feed_links", "parse_date", "parse_feed"]

log = logging.getLogger(__name__)

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# ---------------------------------------------------------------------------
# decoding


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
# Codec names (as codecs.lookup spells them) of single-byte charsets that
# servers and generators declare by default whatever the bytes are.
_SINGLE_BYTE = frozenset(("latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15", "cp1250"))


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return None


def _decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a feed body; return the text and the codec used."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace"), codec
    # No BOM, but the NUL bytes of ASCII characters in UTF-16 or UTF-32 show.
    head = body[:4].ljust(4, b"\x01")
    if head[1:4] == b"\x00\x00\x00" or head[:3] == b"\x00\x00\x00":
        codec = "utf-32-le" if head[0] else "utf-32-be"
        return body.decode(codec, errors="replace"), codec
    if (head[0] == 0) != (head[1] == 0):
        codec = "utf-16-le" if head[0] else "utf-16-be"
        return body.decode(codec, errors="replace"), codec
    m = _XML_DECL_ENCODING.match(body)
    declared = _codec_name(m.group(1).decode("ascii")) if m else None
    if declared is None and content_type:
        cm = _CHARSET.search(content_type)
        declared = _codec_name(cm.group(1)) if cm else None
    candidates: list[str] = []
    if declared is not None:
        if declared.startswith(("utf-16", "utf-32")):
            # Declared but no BOM and no NUL bytes: the declaration is wrong.
            declared = None
        elif declared in _SINGLE_BYTE:
            if not body.isascii():
                # Valid UTF-8 with non-ASCII bytes is almost never real Latin-1.
                candidates.append("utf-8")
            # Browsers read "iso-8859-1" as windows-1252; so do we.
            declared = "cp1252" if declared in ("latin-1", "iso8859-1", "ascii") else declared
    if declared is not None:
        candidates.append(declared)
    candidates += ["utf-8", "cp1252"]
    for codec in candidates:
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("latin-1"), "latin-1"


# ---------------------------------------------------------------------------
# prologue: XML declaration, comments, DOCTYPE, root element


class _Prologue:
    """What precedes the root element."""

    __slots__ = ("doctype_end", "doctype_start", "doctype_text", "root_name", "root_start")

    def __init__(self) -> None:
        self.doctype_start = -1
        self.doctype_end = -1
        self.doctype_text = ""
        self.root_start = -1
        self.root_name = ""


_ROOT_NAME = re.compile(r"<([A-Za-z_][\w:.-]*)")
# The rest of a DOCTYPE: up to the ">" outside quotes and the [internal subset];
# possessive, so linear even on a hostile document; always matches.
_DOCTYPE_REST = re.compile(
    r"""(?:[^\[>"']++|"[^"]*+"|'[^']*+'|\[(?:[^\]"']++|"[^"]*+"|'[^']*+')*+\]?)*+>?"""
)


def _scan_prologue(text: str, start: int) -> _Prologue:
    """Find the DOCTYPE and the root element, skipping declarations and comments."""
    info = _Prologue()
    pos = start
    n = len(text)
    while pos < n:
        lt = text.find("<", pos)
        if lt < 0:
            break
        if text.startswith("<?", lt):
            end = text.find("?>", lt)
            pos = n if end < 0 else end + 2
        elif text.startswith("<!--", lt):
            end = text.find("-->", lt)
            pos = n if end < 0 else end + 3
        elif text[lt : lt + 9].upper() == "<!DOCTYPE":
            rest = _DOCTYPE_REST.match(text, lt + 9)
            info.doctype_start = lt
            info.doctype_end = rest.end() if rest else n
            info.doctype_text = text[lt : info.doctype_end]
            pos = info.doctype_end
        elif text.startswith("<!", lt):
            end = text.find(">", lt)
            pos = n if end < 0 else end + 1
        else:
            m = _ROOT_NAME.match(text, lt)
            if m:
                info.root_start = lt
                info.root_name = m.group(1)
                break
            pos = lt + 1
    return info


_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)


# ---------------------------------------------------------------------------
# repairs for XML that is not well-formed

_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# A reference other than the well-formed ordinary ones (skipped by the
# lookahead, so that the callback runs only for the few odd ones).
_REFERENCE = re.compile(
    r"&(?!(?:amp|lt|gt|quot|apos|#[1-9][0-9]{2,5}|#3[2-9]|#[4-9][0-9]|#9|#1[03]"
    r"|#[xX][1-9a-fA-F][0-9a-fA-F]{1,5}|#[xX][9aAdD]);)"
    r"(?:([A-Za-z][A-Za-z0-9]{0,31})|#([0-9]{1,8})|#[xX]([0-9A-Fa-f]{1,7}));?"
)
# An unquoted attribute value (an HTML habit): name=value inside a start tag.
_START_TAG = re.compile(r"<[A-Za-z][^<>]*>")
# A "<" that cannot start markup ("a < b", "<3").
_STRAY_LT = re.compile(r"<(?![A-Za-z_:/!?])")
# Quoted values are matched first and kept; an unquoted "=value" gets quotes.
_ATTRIBUTE_VALUE = re.compile(r"""("[^"]*"|'[^']*')|=\s*([^\s"'<>=]+)""")
_XML_ENTITIES = frozenset(("amp", "lt", "gt", "quot", "apos"))
# After the repairs above, any "&" not starting a reference is a bare ampersand.
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")


def _valid_xml_char(cp: int) -> bool:
    return cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or (
        0x10000 <= cp <= 0x10FFFF
    )


def _repair_reference(m: re.Match[str]) -> str:
    whole = m.group()
    name, dec, hexa = m.groups()
    if name is not None:
        if not whole.endswith(";"):
            return "&amp;" + whole[1:]
        if name in _XML_ENTITIES:
            return whole
        chars = _HTML5_ENTITIES.get(name + ";")
        if chars is None:
            return "&amp;" + whole[1:]
        return "".join(f"&#{ord(c)};" for c in chars)
    if not whole.endswith(";"):
        return "&amp;" + whole[1:]
    cp = int(dec) if dec is not None else int(hexa, 16)
    return whole if _valid_xml_char(cp) else ""


def _quote_attributes(m: re.Match[str]) -> str:
    tag = m.group()
    if "=" not in tag:
        return tag
    return _ATTRIBUTE_VALUE.sub(_quote_value, tag)


def _quote_value(m: re.Match[str]) -> str:
    return m.group(1) or f'="{m.group(2)}"'


def _repair(text: str) -> str:
    """Make common malformations well-formed.

    HTML named entities become numeric references, a bare "&" or "<" is
    escaped, characters XML forbids go, unquoted attribute values get quotes.
    """
    text = _INVALID_XML_CHARS.sub("", text)
    text = _REFERENCE.sub(_repair_reference, text)
    text = _START_TAG.sub(_quote_attributes, text)
    text = _STRAY_LT.sub("&lt;", text)
    return _BARE_AMPERSAND.sub("&amp;", text)


# ---------------------------------------------------------------------------
# dates

_MONTHS = {
    "jan": 1, "january": 1, "janv": 1, "janvier": 1,
    "feb": 2, "february": 2, "fev": 2, "fév": 2, "fevr": 2, "févr": 2, "fevrier": 2,
    "février": 2,
    "mar": 3, "march": 3, "mars": 3,
    "apr": 4, "april": 4, "avr": 4, "avril": 4,
    "may": 5, "mai": 5,
    "jun": 6, "june": 6, "juin": 6,
    "jul": 7, "july": 7, "juil": 7, "juillet": 7,
    "aug": 8, "august": 8, "aou": 8, "aoû": 8, "aout": 8, "août": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9,
    "oct": 10, "october": 10, "octobre": 10,
    "nov": 11, "november": 11, "novembre": 11,
    "dec": 12, "december": 12, "déc": 12, "decembre": 12, "décembre": 12,
}  # fmt: skip
#: Named zones seen in feeds, in minutes east of UTC.
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420, "akst": -540, "akdt": -480, "hst": -600,
    "ast": -240, "adt": -180, "nst": -210, "ndt": -150,
    "bst": 60, "ist": 330, "cet": 60, "met": 60, "cest": 120, "mest": 120, "west": 60,
    "eet": 120, "eest": 180, "msk": 180,
    "jst": 540, "kst": 540, "hkt": 480, "sgt": 480, "awst": 480,
    "acst": 570, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
}  # fmt: skip
_ISO_DATE = re.compile(
    r"(\d{4})[-/]?(\d{2})[-/]?(\d{2})"
    r"(?:[Tt ]+(\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
_DATE_TOKENS = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?|[+-]\d{1,2}(?::?\d{2})?(?!\d)|\d+|[^\W\d_]+"
)


def _make_datetime(
    year: int, month: int, day: int, hour: int, minute: int, second: int, micro: int,
    offset_minutes: int,
) -> datetime | None:
    try:
        value = datetime(year, month, day, hour, minute, min(second, 59), micro, UTC)
        return value - timedelta(minutes=offset_minutes)
    except (ValueError, OverflowError):
        return None


def _parse_offset(token: str) -> int | None:
    sign = -1 if token[0] == "-" else 1
    digits = token[1:].replace(":", "")
    if len(digits) <= 2:
        hours, minutes = int(digits), 0
    elif len(digits) == 4:
        hours, minutes = int(digits[:2]), int(digits[2:])
    else:
        return None
    if hours > 14 or minutes > 59:
        return None
    return sign * (hours * 60 + minutes)


def _parse_iso(value: str) -> datetime | None:
    m = _ISO_DATE.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    offset = 0
    if zone and zone.upper() not in ("Z", "UTC", "GMT"):
        parsed = _parse_offset(zone)
        if parsed is None:
            return None
        offset = parsed
    micro = int((frac or "0")[:6].ljust(6, "0"))
    return _make_datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
        micro, offset,
    )


def _parse_rfc822(value: str) -> datetime | None:
    """RFC 822 and its common deviations (order, names, missing parts)."""
    day = month = year = None
    hour = minute = second = 0
    offset: int | None = None
    offset_from_name = False
    time_seen = False
    for token in _DATE_TOKENS.findall(value.lower()):
        first = token[0]
        if first.isdigit() and ":" in token:
            if time_seen:
                continue
            parts = re.split(r"[:.,]", token)
            hour, minute = int(parts[0]), int(parts[1])
            second = int(parts[2]) if token.count(":") == 2 else 0
            time_seen = True
        elif first in "+-":
            if time_seen and (offset is None or offset_from_name):
                parsed = _parse_offset(token)
                if parsed is not None:
                    offset = (offset or 0) + parsed
                    offset_from_name = False
                continue
            number = int(token[1:].replace(":", ""))
            if year is None and (len(token) - 1 == 4 or number > 31):
                year = number
            elif day is None:
                day = number
        elif first.isdigit():
            number = int(token)
            if len(token) >= 3 or number > 31:
                if year is None:
                    year = number
            elif day is None:
                day = number
            elif year is None:
                year = number
        elif token in _MONTHS:
            # The last month name wins: a French "mar." (mardi) may come first.
            month = _MONTHS[token]
        elif token in _ZONES and time_seen and offset is None:
            offset = _ZONES[token]
            offset_from_name = True
        elif token == "pm" and time_seen and hour < 12:
            hour += 12
        elif token == "am" and time_seen and hour == 12:
            hour = 0
    if day is None or month is None or year is None:
        return None
    if year < 100:
        # RFC 2822 §4.3: 00–49 are 2000–2049, 50–99 are 1950–1999.
        year += 2000 if year < 50 else 1900
    return _make_datetime(year, month, day, hour, minute, second, 0, offset or 0)


# The canonical RFC 822 form most feeds use, parsed without the general scanner.
_RFC822_COMMON = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?"
    r" ?(GMT|UTC|UT|Z|[+-]\d{4})"
)


def _parse_rfc822_common(value: str) -> datetime | None:
    m = _RFC822_COMMON.fullmatch(value)
    if m is None:
        return None
    day, mon, year, hour, minute, second, zone = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    offset = 0 if zone[0] not in "+-" else _parse_offset(zone)
    if offset is None:
        return None
    return _make_datetime(
        int(year), month, int(day), int(hour), int(minute), int(second or 0), 0, offset
    )


def parse_date(value: str | None) -> datetime | None:
    """Parse a feed date (RFC 822 or ISO 8601 / RFC 3339) to a UTC-aware datetime.

    A missing zone means UTC. Dates in the future are returned as given.
    Returns None for a missing or unreadable date; never raises.
    """
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > 100:
        return None
    if value[:4].isdigit() and (value[4:5] in ("-", "/") or value[4:8].isdigit()):
        result = _parse_iso(value)
        if result is not None:
            return result
    return _parse_rfc822_common(value) or _parse_rfc822(value)


# ---------------------------------------------------------------------------
# small helpers

_LANGUAGE_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*")
_LANGUAGE_NAMES = {
    "english": "en", "french": "fr", "français": "fr", "francais": "fr", "german": "de",
    "deutsch": "de", "spanish": "es", "español": "es", "italian": "it", "italiano": "it",
    "eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "spa": "es", "ita": "it",
    "por": "pt", "nld": "nl", "dut": "nl",
}  # fmt: skip


def _language(value: str | None) -> str | None:
    """The lower-case primary subtag of a language tag ("fr-FR" → "fr"), or None."""
    if not value:
        return None
    value = value.strip().lower()
    if value in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[value]
    m = _LANGUAGE_TAG.fullmatch(value)
    if m is None:
        return None
    primary = m.group(1)
    return _LANGUAGE_NAMES.get(primary, primary)


_URL_SPACE = re.compile(r"\s")


def _http_url(value: str | None, base: str | None) -> str | None:
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
_KNOWN_TAG = re.compile(
    r"</?(?:a|abbr|b|big|blockquote|br|cite|code|del|div|em|font|h[1-6]|hr|i|img|ins|kbd|li|"
    r"mark|ol|p|pre|q|s|small|span|strike|strong|sub|sup|tt|u|ul)\b[^>]*>",
    re.IGNORECASE,
)


def _title(raw: str | None) -> str:
    """An RSS title as plain text: HTML only if it holds known HTML tags.

    "a <b>bold</b> move" loses its tags; "Use <template> wisely" keeps its
    words. References are decoded either way (double-escaped feeds).
    """
    if not raw:
        return ""
    if "<" in raw and _KNOWN_TAG.search(raw):
        return html_to_text(raw)
    return _plain(html.unescape(raw)) if "&" in raw else _plain(raw)


def _plain(text: str | None) -> str:
    """Collapse whitespace of a text that is not HTML."""
    return " ".join(text.split()) if text else ""


def _escape_text(text: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    escaped = html.escape(text.strip(), quote=False)
    return escaped.replace("\n", "<br>\n") if "\n" in escaped else escaped


_IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


def _looks_like_image(url: str, mime: str | None, medium: str | None = None) -> bool:
    if medium:
        return medium.lower() == "image"
    if mime:
        return mime.lower().startswith("image/")
    return url.lower().split("?", 1)[0].endswith(_IMAGE_EXTENSIONS)


def _first_image_in_html(markup: str, base: str | None) -> str | None:
    m = _IMG_SRC.search(markup) if "<img" in markup or "<IMG" in markup else None
    return _http_url(html.unescape(m.group(1)), base) if m else None


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


# ---------------------------------------------------------------------------
# XML element access

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


def _key(tag: Any, home: str) -> str:
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


_XMLNS_DECL = re.compile(r'\s+xmlns(?::[\w.-]+)?="[^"]*"')


def _inner_markup(el: Any) -> str:
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


def _all_text(el: Any) -> str:
    if len(el) == 0:
        return el.text or ""
    return "".join(t for t in el.itertext() if isinstance(t, str))


class _Ctx:
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
        return _http_url(value, self.base(el))


def _lang_attr(el: Any) -> str | None:
    value = el.get(_XML_LANG)
    return _language(value) if value else None


# ---------------------------------------------------------------------------
# RSS 0.9x / 1.0 (RDF) / 2.0


def _read_each(elements: Iterable[Any], read: Callable[[Any], Entry],
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


def _rss_author(value: str) -> str:
    # "jane@example.com (Jane Doe)" → "Jane Doe"
    value = _plain(value)
    m = re.fullmatch(r"\S+@\S+\s*\((.+)\)", value)
    return m.group(1).strip() if m else value


def _media_image(el: Any, ctx: _Ctx) -> str | None:
    """An image URL from a media:thumbnail / media:content / media:group element."""
    key = _key(el.tag, "")
    if key == "media:thumbnail":
        return ctx.url_of(el, el.get("url"))
    if key == "media:content":
        url = el.get("url")
        if url and _looks_like_image(url, el.get("type"), el.get("medium")):
            return ctx.url_of(el, url)
        for child in el:
            if _key(child.tag, "") == "media:thumbnail":
                return ctx.url_of(child, child.get("url"))
        return None
    if key == "media:group":
        for child in el:
            found = _media_image(child, ctx)
            if found:
                return found
    return None


def _media_description(el: Any) -> str:
    """media:description of an item or of its media:group, as HTML."""
    for child in el:
        key = _key(child.tag, "")
        if key == "media:description":
            text = _all_text(child).strip()
            if text:
                return text if child.get("type") == "html" else _escape_text(text)
        elif key == "media:group":
            found = _media_description(child)
            if found:
                return found
    return ""


def _read_rss_item(item: Any, ctx: _Ctx, feed_lang: str | None) -> Entry:
    title = link = guid = description = content = None
    published = updated = author = language = image = None
    guid_is_link = True
    alternate: str | None = None
    categories: list[str] = []
    media_el: list[Any] = []
    for child in item:
        key = _key(child.tag, "")
        if not key:
            continue
        if key == "title":
            if title is None:
                title = _all_text(child)
        elif key == "link":
            if link is None and (child.text or "").strip():
                link = ctx.url_of(child, child.text)
        elif key == "guid":
            guid = _plain(child.text) or None
            guid_is_link = (child.get("isPermaLink") or "true").strip().lower() != "false"
        elif key == "description" and description is None:
            description = _inner_markup(child).strip()
        elif key == "content:encoded" and content is None:
            content = _inner_markup(child).strip()
        elif key in ("pubDate", "dc:date", "atom:published", "dcterms:issued", "dcterms:created"):
            published = published or parse_date(child.text)
        elif key in ("atom:updated", "dcterms:modified", "dc:modified"):
            updated = updated or parse_date(child.text)
        elif key in ("dc:creator", "author", "itunes:author"):
            if author is None:
                author = _rss_author(child.text or "") or None
        elif key == "atom:author":
            for sub in child:
                if _key(sub.tag, "atom") == "name" and author is None:
                    author = _plain(sub.text) or None
        elif key == "dc:language":
            language = _language(child.text)
        elif key in ("category", "dc:subject"):
            term = _plain(_all_text(child))
            if term:
                categories.append(term)
        elif key == "enclosure":
            url = child.get("url")
            if image is None and url and _looks_like_image(url, child.get("type")):
                image = ctx.url_of(child, url)
        elif key in ("media:thumbnail", "media:content", "media:group"):
            media_el.append(child)
        elif key == "atom:link":
            rel = (child.get("rel") or "alternate").lower()
            if rel == "alternate" and alternate is None:
                alternate = ctx.url_of(child, child.get("href"))
            elif rel == "enclosure" and image is None:
                href = child.get("href")
                if href and _looks_like_image(href, child.get("type")):
                    image = ctx.url_of(child, href)
        elif key == "itunes:image":
            if image is None:
                image = ctx.url_of(child, child.get("href"))
        elif key in ("xhtml:body", "atom:content") and content is None:
            content = _inner_markup(child).strip()
        elif key in ("dc:description", "atom:summary") and description is None:
            description = _inner_markup(child).strip()
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
        for el in media_el:
            image = _media_image(el, ctx)
            if image:
                break
    if image is None and (content or description):
        image = _first_image_in_html(content or description or "", ctx.base(item))
    if not description:
        description = _media_description(item)
    return Entry(
        id=guid,
        title=_title(title),
        link=link,
        summary_html=description or "",
        content_html=content or "",
        published=published or updated,
        updated=updated,
        author=author,
        language=_lang_attr(item) or language or feed_lang,
        image=image,
        categories=_dedupe(categories),
    )


def _read_channel(
    channel: Any, ctx: _Ctx, items: list[Any]
) -> tuple[str | None, str | None, str | None]:
    """Read a channel's title, link and language; append its items to ``items``."""
    title = link = language = None
    for child in channel:
        key = _key(child.tag, "")
        if key == "item":
            items.append(child)
        elif key == "title" and title is None:
            title = _title(_all_text(child)) or None
        elif key == "link" and link is None:
            link = ctx.url_of(child, child.text)
        elif key in ("language", "dc:language") and language is None:
            language = _language(child.text)
        elif (
            key == "atom:link"
            and link is None
            and (child.get("rel") or "alternate").lower() == "alternate"
        ):
            link = ctx.url_of(child, child.get("href"))
    return title, link, language or _lang_attr(channel)


def _read_rss(root: Any, ctx: _Ctx, fmt: str) -> ParsedFeed:
    # Items are the channel's children (RSS 2.0) or its siblings (RSS 1.0,
    # 0.90, and broken documents recovered); document order is kept.
    items: list[Any] = []
    title = link = language = None
    if _key(root.tag, "") == "channel":
        title, link, language = _read_channel(root, ctx, items)
    else:
        seen_channel = False
        for child in root:
            key = _key(child.tag, "")
            if key == "item":
                items.append(child)
            elif key == "channel" and not seen_channel:
                seen_channel = True
                title, link, language = _read_channel(child, ctx, items)
    language = language or _lang_attr(root)
    entries = _read_each(items, lambda item: _read_rss_item(item, ctx, language), ctx.url)
    return ParsedFeed(format=fmt, title=title, link=link, language=language, entries=entries)


# ---------------------------------------------------------------------------
# Atom 1.0 (and 0.3)

_HTML_TYPES = frozenset(("html", "text/html"))
_XHTML_TYPES = frozenset(("xhtml", "application/xhtml+xml"))


def _atom_text(el: Any) -> str:
    """An Atom text construct as plain text."""
    kind = (el.get("type") or "text").lower()
    if kind in _XHTML_TYPES:
        return html_to_text(_inner_markup(el))
    if kind in _HTML_TYPES or el.get("mode") == "escaped":
        return html_to_text(_all_text(el))
    return _plain(_all_text(el))


def _atom_html(el: Any) -> str:
    """An Atom text construct (summary, content) as HTML; "" for out-of-line content."""
    if el.get("src"):
        return ""
    kind = (el.get("type") or "text").lower()
    if kind in _XHTML_TYPES:
        inner = [child for child in el if isinstance(child.tag, str)]
        only_div = len(inner) == 1 and _key(inner[0].tag, "") == "xhtml:div"
        if only_div and not (el.text or "").strip():
            return _inner_markup(inner[0]).strip()
        return _inner_markup(el).strip()
    if kind in _HTML_TYPES or el.get("mode") == "escaped":
        return _all_text(el).strip()
    if kind == "text" or kind.startswith("text/"):
        return _escape_text(_all_text(el))
    if kind.endswith("xml"):
        return _inner_markup(el).strip()
    return ""  # base64 media and the like


def _atom_author(el: Any) -> str | None:
    for child in el:
        if _key(child.tag, "atom") == "name":
            return _plain(child.text) or None
    return _plain(el.text) or None


def _atom_link(links: list[Any], ctx: _Ctx) -> str | None:
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
    entry: Any, ctx: _Ctx, feed_lang: str | None, feed_author: str | None
) -> Entry:
    entry_id = title = summary = content = None
    published = updated = author = language = image = None
    links: list[Any] = []
    categories: list[str] = []
    media_el: list[Any] = []
    orig_link: str | None = None
    for child in entry:
        key = _key(child.tag, "atom")
        if not key:
            continue
        if key == "id":
            entry_id = _plain(child.text) or None
        elif key == "title":
            title = _atom_text(child)
        elif key == "link":
            links.append(child)
            if (child.get("rel") or "").lower() == "enclosure" and image is None:
                href = child.get("href")
                if href and _looks_like_image(href, child.get("type")):
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
            author = author or _plain(child.text) or None
        elif key == "category":
            term = _plain(child.get("term") or child.get("label") or child.text)
            if term:
                categories.append(term)
        elif key == "dc:subject":
            term = _plain(child.text)
            if term:
                categories.append(term)
        elif key == "dc:language":
            language = _language(child.text)
        elif key in ("media:thumbnail", "media:content", "media:group"):
            media_el.append(child)
        elif key == "feedburner:origLink":
            orig_link = ctx.url_of(child, child.text)
    if image is None:
        for el in media_el:
            image = _media_image(el, ctx)
            if image:
                break
    if image is None and (content or summary):
        image = _first_image_in_html(content or summary or "", ctx.base(entry))
    if not summary and not content:
        summary = _media_description(entry)
    link = _atom_link(links, ctx) or orig_link
    if link is None and entry_id:
        link = _http_url(entry_id, None)
    return Entry(
        id=entry_id,
        title=title or "",
        link=link,
        summary_html=summary or "",
        content_html=content or "",
        published=published or updated,
        updated=updated,
        author=author or feed_author,
        language=_lang_attr(entry) or language or feed_lang,
        image=image,
        categories=_dedupe(categories),
    )


def _read_atom(root: Any, ctx: _Ctx) -> ParsedFeed:
    title = author = language = None
    links: list[Any] = []
    entries: list[Any] = []
    for child in root:
        key = _key(child.tag, "atom")
        if key == "entry":
            entries.append(child)
        elif key == "title":
            title = _atom_text(child) or None
        elif key == "link":
            links.append(child)
        elif key == "author" and author is None:
            author = _atom_author(child)
        elif key == "dc:language":
            language = _language(child.text)
    language = _lang_attr(root) or language
    return ParsedFeed(
        format="atom",
        title=title,
        link=_atom_link(links, ctx),
        language=language,
        entries=_read_each(entries, lambda e: _read_atom_entry(e, ctx, language, author),
                           ctx.url),
    )


# ---------------------------------------------------------------------------
# JSON Feed 1.0 / 1.1


def _json_str(value: Any) -> str | None:
    if isinstance(value, str):
        if not value.isascii() or not value.isprintable():
            # JSON may escape what no database stores: NUL, controls, lone surrogates.
            value = _INVALID_XML_CHARS.sub("", value)
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
            return _plain(name) or None
    return None


def _read_json_item(
    item: dict[str, Any], base: str | None, feed_lang: str | None, feed_author: str | None
) -> Entry:
    summary = _json_str(item.get("summary"))
    content_html = _json_str(item.get("content_html"))
    content_text = _json_str(item.get("content_text"))
    content = content_html or (_escape_text(content_text) if content_text else "")
    tags = item.get("tags")
    image = _http_url(_json_str(item.get("image")), base) or _http_url(
        _json_str(item.get("banner_image")), base
    )
    if image is None and content_html:
        image = _first_image_in_html(content_html, base)
    published = parse_date(_json_str(item.get("date_published")))
    updated = parse_date(_json_str(item.get("date_modified")))
    return Entry(
        id=_json_str(item.get("id")),
        title=_plain(_json_str(item.get("title"))),
        link=_http_url(_json_str(item.get("url")), base)
        or _http_url(_json_str(item.get("external_url")), base),
        summary_html=_escape_text(summary) if summary else "",
        content_html=content,
        published=published or updated,
        updated=updated,
        author=_json_author(item) or feed_author,
        language=_language(_json_str(item.get("language"))) or feed_lang,
        image=image,
        categories=_dedupe(_plain(t) for t in tags if isinstance(t, str))
        if isinstance(tags, list)
        else (),
    )


def _parse_json(text: str, url: str | None) -> ParsedFeed:
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
    home = _http_url(_json_str(data.get("home_page_url")), url)
    base = _http_url(_json_str(data.get("feed_url")), url) or url or home
    language = _language(_json_str(data.get("language")))
    author = _json_author(data)
    title = _json_str(data.get("title"))
    return ParsedFeed(
        format="json",
        title=_plain(title) or None,
        link=home,
        language=language,
        entries=_read_each((item for item in items if isinstance(item, dict)),
                           lambda item: _read_json_item(item, base, language, author), url),
    )


# ---------------------------------------------------------------------------
# autodiscovery

_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_BASE_TAG = re.compile(r"<base\b[^>]*>", re.IGNORECASE)
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
    text = html if isinstance(html, str) else _decode(html, None)[0]
    text = _HTML_COMMENT.sub("", text)
    base = base_url
    base_tag = _BASE_TAG.search(text)
    if base_tag:
        href = _attributes(base_tag.group()).get("href")
        base = _http_url(href, base_url) or base_url
    found: list[tuple[int, str]] = []
    for m in _LINK_TAG.finditer(text):
        attrs = _attributes(m.group())
        rels = attrs.get("rel", "").lower().split()
        kind = attrs.get("type", "").lower().split(";")[0].strip()
        if "alternate" not in rels or kind not in _FEED_TYPES:
            continue
        url = _http_url(attrs.get("href"), base)
        # WordPress advertises its REST API as application/json: not a feed.
        if url and not (kind == "application/json" and "/wp-json/" in url):
            found.append((_FEED_TYPES[kind], url))
    found.sort(key=lambda pair: pair[0])
    return _dedupe(url for _, url in found)


def _not_a_feed(text: str, url: str | None) -> NotAFeedError:
    links = find_feed_links(text, url) if url else find_feed_links(text, "")
    message = "the page is HTML, not a feed"
    if links:
        message += f" (it advertises {len(links)} feed{'s' if len(links) > 1 else ''})"
    return NotAFeedError(message, url, links)


# ---------------------------------------------------------------------------
# the XML pipeline

_FEED_ROOTS = {"rss": "rss", "channel": "rss", "RDF": "rdf", "feed": "atom"}
_ITEM_TAGS = re.compile(r"<(?:[\w-]+:)?(?:item|entry)[\s>/]")


def _xml_parser(recover: bool) -> Any:
    # A fresh parser per call: lxml parsers must not be shared between threads.
    return etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    local = tag.rpartition("}")[2]
    return local.rpartition(":")[2]


def _read_tree(root: Any, ctx: _Ctx, url: str | None, text: str) -> ParsedFeed:
    local = _local(root.tag)
    if local.lower() == "html":
        raise _not_a_feed(text, url)
    kind = _FEED_ROOTS.get(local)
    if kind == "atom":
        return _read_atom(root, ctx)
    if kind is not None:
        return _read_rss(root, ctx, kind)
    raise FeedParseError(f"not a feed: the document is <{local[:40]}>", url)


def _parse_xml_bytes(data: bytes, recover: bool, ctx: _Ctx) -> Any:
    """The root element, or None when lxml cannot parse ``data``."""
    # The document URL matters only to resolve xml:base; _Ctx uses it directly otherwise.
    base_url = ctx.url if ctx.has_xml_base else None
    for attempt in (base_url, None) if base_url else (None,):
        try:
            return etree.fromstring(data, _xml_parser(recover), base_url=attempt)
        except ValueError:
            continue  # a base URL lxml refuses: try without
        except etree.LxmlError:
            return None
    return None


def _feedparser_fallback(data: bytes, url: str | None) -> ParsedFeed | None:
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
    language = _language(feed.get("language"))
    entries = []
    for e in d.get("entries", []):
        content = e.get("content") or []
        content_html = content[0].get("value", "") if content else ""
        image = None
        for enc in e.get("enclosures", []):
            if _looks_like_image(enc.get("href", ""), enc.get("type")):
                image = _http_url(enc.get("href"), url)
                break
        for thumb in e.get("media_thumbnail", []) if image is None else []:
            image = _http_url(thumb.get("url"), url)
            if image:
                break
        published = _struct_time(e.get("published_parsed"))
        updated = _struct_time(e.get("updated_parsed"))
        entries.append(
            Entry(
                id=e.get("id") or None,
                title=_title(e.get("title", "")),
                link=_http_url(e.get("link"), url),
                summary_html=e.get("summary", "") if e.get("summary") != content_html else "",
                content_html=content_html,
                published=published or updated,
                updated=updated,
                author=_rss_author(e.get("author") or "") or None,
                language=_language(e.get("language")) or language,
                image=image,
                categories=_dedupe(_plain(t.get("term")) for t in e.get("tags", [])),
            )
        )
    fmt = "atom" if version.startswith("atom") else "rdf" if version.startswith("rss1") else "rss"
    return ParsedFeed(
        format=fmt,
        title=html_to_text(feed.get("title", "")) or None,
        link=_http_url(feed.get("link"), url),
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


def _parse_xml(text: str, body: bytes | None, url: str | None) -> ParsedFeed:
    """Parse XML ``text``; ``body`` is the same document as UTF-8 bytes, if at hand."""
    prologue = _scan_prologue(text, 0)
    if prologue.doctype_text and _ENTITY_DECL.search(prologue.doctype_text):
        raise UnsafeXMLError("the document declares XML entities; refused", url)
    end = prologue.root_start if prologue.root_start >= 0 else len(text)
    if _ENTITY_DECL.search(text, 0, end):
        raise UnsafeXMLError("the document declares XML entities; refused", url)
    root_name = prologue.root_name.lower()
    doctype_name = prologue.doctype_text[9:].strip().lower()
    if root_name in ("html", "head", "body") or doctype_name.startswith("html"):
        raise _not_a_feed(text, url)
    if prologue.root_start < 0:
        raise FeedParseError("the document has no root element", url)

    # What precedes the root goes whenever the bytes are re-encoded anyway:
    # the XML declaration (the encoding is decided already), comments,
    # stylesheets and the DOCTYPE (never loaded).
    doc = text[prologue.root_start :]
    if body is None or prologue.doctype_start >= 0:
        body = doc.encode("utf-8", errors="replace")
    ctx = _Ctx(url, b"xml:base" in body)

    root = _parse_xml_bytes(body, False, ctx)
    if root is not None:
        return _read_tree(root, ctx, url, text)

    repaired = _repair(doc).encode("utf-8", errors="replace")
    root = _parse_xml_bytes(repaired, False, ctx)
    if root is not None:
        return _read_tree(root, ctx, url, text)

    root = _parse_xml_bytes(repaired, True, ctx)
    result: ParsedFeed | None = None
    if root is not None:
        local = _local(root.tag)
        if local in _FEED_ROOTS or local.lower() == "html":
            result = _read_tree(root, ctx, url, text)
    # Recovery may silently drop what follows an error: compare with a count
    # of the item tags in the text and let feedparser try if items are missing.
    expected = len(_ITEM_TAGS.findall(doc))
    if result is None or len(result.entries) < expected:
        fallback = _feedparser_fallback(repaired, url)
        if fallback is not None and (result is None or len(fallback.entries) > len(result.entries)):
            result = fallback
    if result is None:
        head = doc[:4096].lower()
        if "<html" in head or "<body" in head:
            raise _not_a_feed(text, url)
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
    text, codec = _decode(body, content_type)
    start = 0
    n = len(text)
    while start < n and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    if start == n:
        raise FeedParseError("the document is empty", url)
    first = text[start]
    if first in "{[":
        return _parse_json(text[start:], url)
    if first != "<":
        # Stray output before the XML (a PHP warning, a byte-order mark gone wrong).
        lt = text.find("<", start)
        if lt < 0:
            raise FeedParseError("the document is neither XML nor JSON", url)
        start = lt
    # The original bytes go to lxml as they are when they are already UTF-8.
    reuse = start == 0 and codec == "utf-8" and not body.startswith(codecs.BOM_UTF8)
    return _parse_xml(text[start:] if start else text, body if reuse else None, url)
