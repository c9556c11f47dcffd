"""Discord markup (pure): its limits, and untrusted text made safe to show.

Feed text is untrusted: it is stripped of control characters, its markdown
is escaped, and anything that looks like a mention is neutralised, so that a
feed can neither format nor ping. Limits are counted in Unicode code points
(Python ``len``), the unit Discord counts in; every text is cut at a word
boundary with an ellipsis, never rejected. The messages themselves are built
in :mod:`.render`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from adapters._text import ELLIPSIS, clip_spans, merge_spans, truncate
from bot.exceptions import InvalidValueError
from bot.plugins import CONTROL_RE, strip_control

# -- Discord's limits ----------------------------------------------------------

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBEDS_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
URL_LIMIT = 2048
NONCE_LIMIT = 25

#: Our own, smaller caps, so that the description keeps most of the 6,000.
FOOTER_CAP = 1024
TOPICS_CAP = 1024

#: A stable default palette (colour-blind friendly, readable on dark and light themes).
DEFAULT_PALETTE: tuple[int, ...] = (
    0x5865F2, 0x57F287, 0xFEE75C, 0xEB459E, 0xED4245,
    0x3BA55C, 0xFAA61A, 0x00B0F4, 0x9B59B6, 0x1ABC9C,
)

#: Markdown-free, mention-free: what every message we send allows to ping.
NO_MENTIONS: dict[str, Any] = {"parse": []}

_SNOWFLAKE_RE = re.compile(r"^\d{15,21}$")
_ROLE_MENTION_RE = re.compile(r"^<@&(\d{15,21})>$")
_URL_RE = re.compile(r"https?://[^\s<>]+", re.I)
# Characters that are markdown anywhere in a line, plus '<' which opens
# mentions, channels, timestamps and custom emoji.
_INLINE_SPECIAL_RE = re.compile(r"([\\*_~|`\[\]<])")
# Markdown that only counts at the start of a line: headings, subtext,
# quotes, lists.
_LINE_START_RE = re.compile(r"^([ \t]*)([#>\-+]|\d+\.(?=[ \t]))", re.M)
_EVERYONE_RE = re.compile(r"@(everyone|here)", re.I)
_HEX_COLOR_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")


# -- text --------------------------------------------------------------------



def one_line(text: str) -> str:
    """``text`` cleaned, with runs of whitespace (newlines included) made one space."""
    return " ".join(strip_control(text).split())


def neutralise_mentions(text: str) -> str:
    """``@everyone`` and ``@here`` broken with a zero-width space so they cannot ping.

    User, role and channel mentions (``<@id>``, ``<@&id>``, ``<#id>``) are
    neutralised by :func:`escape`, which escapes their ``<``.
    """
    return _EVERYONE_RE.sub("@\u200b\\1", text)


def _escape_plain(text: str, *, at_line_start: bool) -> str:
    text = _INLINE_SPECIAL_RE.sub(r"\\\1", text)
    text = neutralise_mentions(text)

    def line_start(m: re.Match[str]) -> str:
        # re.M '^' also matches at offset 0, which is only a line start if we say so.
        if m.start() == 0 and not at_line_start:
            return m.group(0)
        mark = m.group(2)
        # "1." is escaped before its dot: a backslash before a digit would show.
        return m.group(1) + (mark[:-1] + "\\." if mark.endswith(".") else "\\" + mark)

    return _LINE_START_RE.sub(line_start, text)


def escape(text: str, *, at_line_start: bool = True) -> str:
    """Feed text made inert for Discord markdown: no formatting, links or mentions.

    Markdown characters are backslash-escaped (Discord shows the character
    without the backslash); bare ``http(s)://`` URLs are left as they are, so
    they stay clickable, since Discord parses no markdown inside them.
    ``at_line_start`` says whether ``text`` begins a line (for headings,
    quotes and lists).
    """
    out: list[str] = []
    pos = 0
    for m in _URL_RE.finditer(text):
        if m.start() > pos:
            start = at_line_start if pos == 0 else text[pos - 1] == "\n"
            out.append(_escape_plain(text[pos:m.start()], at_line_start=start))
        # A URL keeps its markdown characters, but "@everyone" is broken even there.
        out.append(neutralise_mentions(m.group(0)))
        pos = m.end()
    if pos < len(text):
        start = at_line_start if pos == 0 else text[pos - 1] == "\n"
        out.append(_escape_plain(text[pos:], at_line_start=start))
    return "".join(out)


def emphasise(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, with ``spans`` (offsets into ``text``) in **bold**."""
    out: list[str] = []
    pos = 0

    def plain(a: int, b: int) -> str:
        return escape(text[a:b], at_line_start=a == 0 or text[a - 1] == "\n")

    for start, end in merge_spans(spans, len(text)):
        piece = text[start:end]
        # Bold markers must hug the words, or Discord shows the asterisks.
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if lead == len(piece):
            continue
        out.append(plain(pos, start + lead))
        out.append("**" + plain(start + lead, end - trail) + "**")
        pos = end - trail
    out.append(plain(pos, len(text)))
    return "".join(out)


def fit(text: str, limit: int, spans: Sequence[tuple[int, int]] = (), *,
        markdown: bool = True) -> str:
    """``text`` rendered (escaped and emphasised when ``markdown``) in at most ``limit``
    characters, cut at a word boundary with an ellipsis when too long. Never fails.
    """
    text = strip_control(text)
    if not markdown:
        return truncate(text, limit)
    n = limit
    while n > 0:
        cut = truncate(text, n)
        shortened = cut != text
        body = cut[: -len(ELLIPSIS)] if shortened else cut
        out = emphasise(body, clip_spans(tuple(spans), len(body)))
        if shortened:
            out += ELLIPSIS
        if len(out) <= limit:
            return out
        # Escapes and bold markers took the excess: cut the plain text that much more.
        n = min(n - 1, len(cut) - (len(out) - limit))
    return ""


# -- colours and URLs ----------------------------------------------------------


def parse_color(value: object) -> int:
    """A colour from ``"#76b900"``, ``"76b900"`` or an integer 0..0xFFFFFF.

    Raises :class:`~bot.exceptions.InvalidValueError` (a ValueError) with a
    message fit for a config error.
    """
    if isinstance(value, bool):
        raise InvalidValueError("expected a colour such as \"#76b900\"")
    if isinstance(value, int):
        if 0 <= value <= 0xFFFFFF:
            return value
        raise InvalidValueError("must be between 0 and 0xFFFFFF")
    if isinstance(value, str):
        m = _HEX_COLOR_RE.match(value.strip())
        if m:
            return int(m.group(1), 16)
        raise InvalidValueError(f"{value!r} is not a colour (example: \"#76b900\")")
    raise InvalidValueError("expected a colour such as \"#76b900\"")


def topic_color(topics: Sequence[str], colors: Mapping[str, int], fallback_key: str = "") -> int:
    """The colour of an alert: the first of its topics with a configured colour,
    else a palette colour chosen by a stable hash of its first topic (or of
    ``fallback_key`` when it has no topic)."""
    for topic in topics:
        if topic in colors:
            return colors[topic]
    key = topics[0] if topics else fallback_key
    return DEFAULT_PALETTE[zlib.crc32(key.encode("utf-8")) % len(DEFAULT_PALETTE)]


def safe_url(url: str | None) -> str | None:
    """``url`` when it is a well-formed http(s) URL Discord accepts in an embed, else None."""
    if not url or len(url) > URL_LIMIT or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if CONTROL_RE.search(url):
        return None
    return url


def role_id(mention: str | None) -> str | None:
    """The role id of a subscription's ``mention`` option (``"123…"`` or ``"<@&123…>"``)."""
    if not mention:
        return None
    mention = mention.strip()
    m = _ROLE_MENTION_RE.match(mention)
    if m:
        return m.group(1)
    return mention if _SNOWFLAKE_RE.match(mention) else None


# -- lengths -------------------------------------------------------------------


def embed_length(embed: Mapping[str, Any]) -> int:
    """The characters of an embed that count toward the 6,000 of a message."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or ():
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


# Characters a link target keeps as they are; the rest (parentheses, angle
# brackets, quotes, non-ASCII …) is percent-encoded, so the target cannot end
# the markdown link early, and means the same to the browser.
_LINK_SAFE = ":/?#[]@!$&'*+,;=%~-._"


def link_target(url: str | None, cap: int) -> str | None:
    """``url`` fit to be the target of a markdown link, or None (also when
    longer than ``cap`` once encoded)."""
    checked = safe_url(url)
    if checked is None:
        return None
    target = quote(checked, safe=_LINK_SAFE)
    # "@everyone" in a link pings no one (embeds never ping), but is shown nowhere either.
    target = _EVERYONE_RE.sub(r"%40\1", target)
    return target if len(target) <= cap else None
