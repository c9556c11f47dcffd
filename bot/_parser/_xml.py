"""Safe XML: the prologue scan that refuses entity declarations, the repairs
that make common malformations well-formed, and an lxml parser that never
loads a DTD, resolves an entity or uses the network."""

from __future__ import annotations

import re
from html.entities import html5 as _HTML5_ENTITIES
from typing import Any

from lxml import etree

from ._common import INVALID_XML_CHARS, Context


class Prologue:
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


def scan_prologue(text: str, start: int) -> Prologue:
    """Find the DOCTYPE and the root element, skipping declarations and comments."""
    info = Prologue()
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


ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)

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


def repair(text: str) -> str:
    """Make common malformations well-formed.

    HTML named entities become numeric references, a bare "&" or "<" is
    escaped, characters XML forbids go, unquoted attribute values get quotes.
    """
    text = INVALID_XML_CHARS.sub("", text)
    text = _REFERENCE.sub(_repair_reference, text)
    text = _START_TAG.sub(_quote_attributes, text)
    text = _STRAY_LT.sub("&lt;", text)
    return _BARE_AMPERSAND.sub("&amp;", text)


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


def xml_root(data: bytes, recover: bool, ctx: Context) -> Any:
    """The root element, or None when lxml cannot parse ``data``."""
    # The document URL matters only to resolve xml:base; Context uses it directly otherwise.
    base_url = ctx.url if ctx.has_xml_base else None
    for attempt in (base_url, None) if base_url else (None,):
        try:
            return etree.fromstring(data, _xml_parser(recover), base_url=attempt)
        except ValueError:
            continue  # a base URL lxml refuses: try without
        except etree.LxmlError:
            return None
    return None
