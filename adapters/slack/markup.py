"""Slack markup (pure): Block Kit's limits, and untrusted text made safe.

Feed text is untrusted. Everything that reaches a ``mrkdwn`` text goes through
:func:`mrkdwn`, which escapes ``&``, ``<`` and ``>`` (so no ``<!channel>``,
``<@U…>``, ``<#C…>`` or ``<!subteam^…>`` can form), replaces Slack's
formatting characters with look-alikes (so only the emphasis Vigie adds is
bold), and defuses bare ``@channel`` / ``@here`` / ``@everyone``. Links are
made only from http(s) URLs. The text of command replies goes through
:func:`reply_mrkdwn`, the same plus `backquoted` spans as inline code (the
command layer's own markup); feed text never gets code.

Limits (Block Kit's, as Slack enforces them) are respected by cutting text at
word boundaries with :func:`adapters._text.truncate`; the escaped length is
what counts, so cutting is repeated until the escaped text fits. The
messages themselves are built in :mod:`.render`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from adapters._text import ELLIPSIS, clip_spans, merge_spans, truncate
from bot.plugins import strip_control

#: A JSON object as sent to Slack.
JSON = dict[str, Any]
Span = tuple[int, int]

# -- Block Kit limits ----------------------------------------------------------

MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
MAX_FIELDS = 10
FIELD_TEXT_LIMIT = 2000
MAX_CONTEXT_ELEMENTS = 10
CONTEXT_TEXT_LIMIT = 3000
MESSAGE_TEXT_LIMIT = 40000
IMAGE_URL_LIMIT = 3000
ALT_TEXT_LIMIT = 2000

#: Longest URL turned into a link; longer ones are shown as text only.
LINK_URL_LIMIT = 2000
#: The title's share of an alert's section (the summary gets the rest).
TITLE_LIMIT = 300
#: Per context element (source, topics): a line, not an essay.
META_LIMIT = 300
#: The plain-text fallback shown in notifications.
FALLBACK_LIMIT = 3000
#: A digest's topic heading and an item's source in a digest line.
DIGEST_NAME_LIMIT = 200

# -- escaping ------------------------------------------------------------------

# Slack mrkdwn has no escape character: formatting characters in feed text are
# replaced by look-alikes so that they can neither format nor unbalance Vigie's own.
_FORMAT_CHARS = str.maketrans({
    "*": "\u2217",  # ∗ asterisk operator
    "_": "\u02cd",  # ˍ modifier letter low macron
    "~": "\u223c",  # ∼ tilde operator
    "`": "\u02cb",  # ˋ modifier letter grave accent
})
# Slack auto-parses these even without angle brackets when text is not verbatim;
# a word joiner after "@" keeps the word readable and unmatched.
_BROADCAST_RE = re.compile(r"@(?=(?:channel|here|everyone|group)\b)", re.I)
_WORD_RE = re.compile(r"\w")
_SPACES_RE = re.compile(r"\s+")


def escape(text: str) -> str:
    """Slack's three escapes: ``&`` → ``&amp;``, ``<`` → ``&lt;``, ``>`` → ``&gt;``.

    Applied to already-escaped input too (``&lt;!channel&gt;`` becomes
    ``&amp;lt;!channel&amp;gt;``, shown literally), so nothing decodes into a
    control sequence.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_mrkdwn(text: str) -> str:
    """Untrusted text made inert for a mrkdwn field."""
    text = strip_control(text).translate(_FORMAT_CHARS)
    return escape(_BROADCAST_RE.sub("@\u2060", text))


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """A span widened to whole words and stripped of surrounding spaces.

    Slack only renders ``*bold*`` when the asterisks sit at word boundaries.
    """
    start, end = max(0, start), min(len(text), end)
    def word(i: int) -> bool:
        return 0 <= i < len(text) and _WORD_RE.match(text[i]) is not None

    while word(start - 1) and word(start):
        start -= 1
    while word(end) and word(end - 1):
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _normalise_spans(text: str, spans: Sequence[Span]) -> list[Span]:
    """Valid spans widened to words, merged when they touch, split at line breaks."""
    widened = sorted(
        _word_bounds(text, s, e) for s, e in spans
        if isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)
    )
    out: list[Span] = []
    for s, e in merge_spans(widened, len(text)):
        # Bold cannot cross a line break: emphasise each line's part.
        pos = s
        for line in text[s:e].split("\n"):
            ls, le = _word_bounds(text, pos, pos + len(line))
            if ls < le:
                out.append((ls, le))
            pos += len(line) + 1
    return out


def mrkdwn(text: str, emphasis: Sequence[Span] = ()) -> str:
    """Untrusted ``text`` as Slack mrkdwn, with ``emphasis`` spans in bold.

    The only formatting characters in the result are the asterisks added here.
    Spans out of range are ignored; spans are widened to whole words.
    """
    out: list[str] = []
    pos = 0
    for s, e in _normalise_spans(text, emphasis):
        out += [plain_mrkdwn(text[pos:s]), "*", plain_mrkdwn(text[s:e]), "*"]
        pos = e
    out.append(plain_mrkdwn(text[pos:]))
    return "".join(out)


# `code` in a command's reply (the command layer writes `subscribe gpu`): shown
# as Slack inline code. Never used on feed text, where backticks stay inert.
_CODE_SPAN_RE = re.compile(r"`([^`\n]{1,300})`")


def reply_mrkdwn(text: str, emphasis: Sequence[Span] = ()) -> str:
    """:func:`mrkdwn` for the text of a command's reply: the same escaping,
    plus `backquoted` spans as inline code.

    The code's content is escaped (``&``, ``<``, ``>``) and cannot contain a
    backtick, so it cannot end the code early or form a mention; Slack shows
    formatting characters inside code literally. Emphasis inside code is dropped.
    """
    out: list[str] = []
    pos = 0

    def plain(start: int, end: int) -> str:
        spans = [(max(s, start) - start, min(e, end) - start) for s, e in emphasis
                 if isinstance(s, int) and isinstance(e, int) and s < end and e > start]
        return mrkdwn(text[start:end], spans)

    for m in _CODE_SPAN_RE.finditer(text):
        inner = strip_control(m.group(1))
        if not inner.strip():
            continue
        out += [plain(pos, m.start()), "`", escape(_BROADCAST_RE.sub("@\u2060", inner)), "`"]
        pos = m.end()
    out.append(plain(pos, len(text)))
    return "".join(out)


_EDGE_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]*")


def strip_edges(text: str) -> tuple[int, str]:
    """``text`` without leading/trailing spaces and control characters, and
    how many characters were removed at the start (to shift spans by)."""
    start = _EDGE_RE.match(text)
    offset = start.end() if start else 0
    end = len(text)
    while end > offset and _EDGE_RE.fullmatch(text[end - 1]):
        end -= 1
    return offset, text[offset:end]


def one_line(text: str) -> str:
    """Whitespace runs (newlines included) as single spaces, trimmed."""
    return _SPACES_RE.sub(" ", strip_control(text)).strip()


def fit(text: str, limit: int, render: Callable[[str], str]) -> str:
    """``render`` of the longest word-boundary cut of ``text`` whose rendering fits ``limit``.

    Escaping lengthens text (``&`` is five characters once escaped), so the cut
    is shortened until the rendered form fits. Never fails: returns "" when
    nothing fits.
    """
    n = len(text)
    while n > 0:
        cut = truncate(text, n)
        rendered = render(cut)
        if len(rendered) <= limit:
            return rendered
        n -= max(1, min(len(rendered) - limit, n // 2))
    return ""


def fit_mrkdwn(text: str, spans: Sequence[Span], limit: int) -> str:
    """:func:`mrkdwn` of ``text`` cut at a word boundary to fit ``limit`` characters."""

    def render(cut: str) -> str:
        # The ellipsis truncate adds is not part of the original text: clip spans before it.
        kept = len(cut) - (len(ELLIPSIS) if len(cut) < len(text) else 0)
        return mrkdwn(cut, clip_spans(tuple(spans), kept))

    return fit(text, limit, render)


# -- URLs --------------------------------------------------------------------------

# Characters left as they are in a URL; everything else is percent-encoded, so
# that "|", ">", spaces and quotes can never end a <url|label> early.
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]~_"


def safe_url(url: str | None, *, limit: int = LINK_URL_LIMIT) -> str | None:
    """An http(s) URL fit to put in ``<url|label>`` or an image, or None.

    Other schemes (``javascript:``, ``slack://``, ``file:`` …), URLs without a
    host, with credentials, or longer than ``limit`` once encoded give None.
    """
    if not url:
        return None
    url = strip_control(url).strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    try:
        # IDNA keeps a non-ASCII host usable; an invalid one is dropped.
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", ascii_host):
        return None
    if ":" in ascii_host:  # an IPv6 literal keeps its brackets
        ascii_host = f"[{ascii_host}]"
    netloc = ascii_host if port is None else f"{ascii_host}:{port}"
    try:
        rebuilt = urlunsplit((
            parts.scheme.lower(), netloc,
            quote(parts.path, safe=_URL_SAFE), quote(parts.query, safe=_URL_SAFE),
            quote(parts.fragment, safe=_URL_SAFE),
        ))
    except UnicodeError:  # lone surrogates cannot be percent-encoded: not a usable URL
        return None
    encoded = escape(rebuilt)
    return encoded if len(encoded) <= limit else None


def image_url(url: str | None) -> str | None:
    """An http(s) image URL for Block Kit (unescaped JSON string), or None."""
    safe = safe_url(url, limit=IMAGE_URL_LIMIT)
    # Image URLs are JSON strings, not mrkdwn: undo the &amp; escape.
    return safe.replace("&amp;", "&") if safe else None


def date_token(when: datetime) -> str:
    """Slack's localised date: each reader sees it in their own time zone."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"
