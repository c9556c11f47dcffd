"""Decoding a feed body to text: BOM, XML declaration, Content-Type charset, UTF-8, cp1252."""

from __future__ import annotations

import codecs
import re

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


def decode(body: bytes, content_type: str | None) -> tuple[str, str]:
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
