"""HTML to plain text: the visible text of a fragment, nothing else.

One regular-expression pass rather than an HTML parser: feed text is mostly
short fragments, often broken, sometimes plain text with stray ``<``
characters. Measured on the corpus' 6,000 summaries and contents
(``bench/bench_parser.py``), this is faster than a tree built by
``lxml.html`` with block handling, and unlike libxml2 it keeps "if a<b then"
intact. It does no I/O and expands nothing but the fixed set of HTML
character references.

Linear time on any input: every quantifier that could rescan is possessive,
unclosed comments and hidden elements run to the end (as in a browser), and
an unquoted attribute may not contain "<", so a failed tag match stops at
the next "<".
"""

from __future__ import annotations

import html
import re

__all__ = ["html_to_text"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Private-use code points stand for line and paragraph breaks until whitespace
# has been collapsed; any in the input are removed first.
_LINE = "\ue000"
_PARA = "\ue001"

#: Elements whose start or end begins a new paragraph.
_PARA_ELEMENTS = _words(
    """p h1 h2 h3 h4 h5 h6 blockquote pre ul ol dl table figure hr address
    article section header footer aside nav main form fieldset details
    """
)
#: Elements whose start or end begins a new line.
_LINE_ELEMENTS = _words(
    """br div li dt dd tr caption figcaption summary thead tbody tfoot legend
    option dir menu center frameset noframes
    """
)
#: Table cells are separated by a space so that their words do not run together.
_CELL_ELEMENTS = _words("td th")
#: Elements whose content is never shown (code, styles, fallbacks, metadata).
#: Unclosed, they hide the rest of the fragment, as in a browser.
_HIDDEN_ELEMENTS = _words(
    """script style noscript template head title svg math iframe object canvas
    audio video
    """
)


def _alternatives(names: frozenset[str]) -> str:
    return "|".join(sorted(names, key=len, reverse=True))


# After a tag name: attributes up to ">", where quoted values may hold ">";
# if the quotes do not pair up, up to the next ">" regardless.
_ATTRIBUTES = r"""(?=[\s/>])(?:[^<>"']*+(?:(?:"[^"]*+"|'[^']*+')[^<>"']*+)*+>|[^<>]*+>)"""
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)"  # comment
    r"|<!\[CDATA\[(.*?)(?:\]\]>|\Z)"  # CDATA section: group 1 is text
    r"|<[!?][^>]*+>?"  # DOCTYPE, processing instruction, bogus comment
    # A hidden element with its content: group 2 is its name.
    rf"|<((?i:{_alternatives(_HIDDEN_ELEMENTS)})){_ATTRIBUTES}.*?(?:</(?i:\2)\s*>|\Z)"
    rf"|</?([A-Za-z][^\s/<>]*+){_ATTRIBUTES}",  # any other tag: group 3 is its name
    re.DOTALL,
)
_TAG_OUTPUT: dict[str, str] = {}
for _names, _output in ((_PARA_ELEMENTS, _PARA), (_LINE_ELEMENTS, _LINE), (_CELL_ELEMENTS, " ")):
    for _name in _names:
        _TAG_OUTPUT[_name] = _TAG_OUTPUT[_name.upper()] = _output

_MARKERS = re.compile(f"[{_LINE}{_PARA}]")
# Controls, lone surrogates and invisible format characters (soft hyphen,
# zero-width space, BOM) that would split words for keyword matching.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff\u00ad\u200b\ufeff]")
# Whitespace runs other than a lone space (a lone space needs no replacing).
_SPACES = re.compile(r"[^\S ]\s*| \s+")
_BREAKS = re.compile(f" ?[{_LINE}{_PARA}][ {_LINE}{_PARA}]*")


def _replace_markup(match: re.Match[str]) -> str:
    name = match.group(3)
    if name is not None:
        output = _TAG_OUTPUT.get(name)
        if output is None and not name.islower():
            output = _TAG_OUTPUT.get(name.lower())
        return output or ""
    cdata = match.group(1)
    # Escaped, so that the decoding below restores it exactly.
    return html.escape(cdata, quote=False) if cdata else ""


def _break(match: re.Match[str]) -> str:
    return "\n\n" if _PARA in match.group() else "\n"


def html_to_text(html_text: str) -> str:
    """Return the visible text of an HTML fragment (or of plain text).

    Character references are decoded (named, numeric, HTML5 legacy forms);
    tags, attributes, comments and the content of ``script``, ``style``,
    ``noscript`` and similar elements are dropped; block elements become line
    or paragraph breaks (``\\n`` / ``\\n\\n``), inline elements nothing;
    other whitespace runs become one space. A "<" that cannot start a tag
    ("a < b", "x<3") is text. Never raises on any input.
    """
    if not html_text:
        return ""
    text = html_text
    if "<" in text:
        if _LINE in text or _PARA in text:
            text = _MARKERS.sub("", text)
        text = _MARKUP.sub(_replace_markup, text)
    if "&" in text:
        text = html.unescape(text)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    if _LINE in text or _PARA in text:
        text = _BREAKS.sub(_break, text)
    return text.strip()
