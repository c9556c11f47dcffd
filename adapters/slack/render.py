"""Block Kit rendering of alerts, digests and command replies (pure: no I/O).

Feed text is untrusted. Everything that reaches a ``mrkdwn`` text goes through
:func:`mrkdwn`, which escapes ``&``, ``<`` and ``>`` (so no ``<!channel>``,
``<@U…>``, ``<#C…>`` or ``<!subteam^…>`` can form), replaces Slack's
formatting characters with look-alikes (so only the emphasis Vigie adds is
bold), and defuses bare ``@channel`` / ``@here`` / ``@everyone``. Text
objects are sent ``verbatim`` so Slack does not auto-link or auto-mention
either. Links are made only from http(s) URLs. The text of command replies
goes through :func:`reply_mrkdwn`, the same plus `backquoted` spans as inline
code (the command layer's own markup); feed text never gets code.

Limits (Block Kit's, as Slack enforces them) are respected by cutting text at
word boundaries with :func:`adapters._text.truncate`; the escaped length is
what counts, so cutting is repeated until the escaped text fits.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from adapters._text import ELLIPSIS, clip_spans, truncate
from bot.plugins import LISTED_IN_ROLLUP, strip_control
from bot.replies import Code, Fields, Heading, ItemCard, Reply, Text
from bot.types import Alert, AlertDigest

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

# Control characters and bidi overrides: invisible, and able to reorder what a reader sees.
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


def _plain_mrkdwn(text: str) -> str:
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
    merged: list[Span] = []
    for s, e in widened:
        if s >= e:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    out: list[Span] = []
    for s, e in merged:
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
        out += [_plain_mrkdwn(text[pos:s]), "*", _plain_mrkdwn(text[s:e]), "*"]
        pos = e
    out.append(_plain_mrkdwn(text[pos:]))
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


def _strip(text: str) -> tuple[int, str]:
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


# -- blocks ----------------------------------------------------------------------


def _text_obj(text: str) -> JSON:
    # verbatim: Slack must not auto-link or auto-mention inside feed text.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain_obj(text: str) -> JSON:
    return {"type": "plain_text", "text": text, "emoji": True}


def _context(elements: Sequence[str]) -> JSON:
    return {"type": "context",
            "elements": [_text_obj(e) for e in elements[:MAX_CONTEXT_ELEMENTS] if e]}


def card_blocks(card: ItemCard) -> list[JSON]:
    """One news item: a section (linked title, summary with matched words in
    bold, image accessory) and a context line (source, date, topics)."""
    title = one_line(card.title) or "(no title)"
    safe = safe_url(card.url)

    def title_line(cut: str) -> str:
        label = _plain_mrkdwn(cut)
        return f"*<{safe}|{label}>*" if safe else f"*{label}*"

    head = fit(title, TITLE_LIMIT, title_line) or "*(no title)*"
    text = head
    # Spans index the raw summary: strip it without cleaning (mrkdwn cleans
    # each piece it renders), shifting the spans by what was stripped.
    offset, summary = _strip(card.summary)
    if summary:
        spans = tuple((s - offset, e - offset) for s, e in card.summary_highlights)
        body = fit_mrkdwn(summary, spans, SECTION_TEXT_LIMIT - len(head) - 1)
        if body:
            text = f"{head}\n{body}"
    section: JSON = {"type": "section", "text": _text_obj(text)}
    image = image_url(card.image)
    if image:
        section["accessory"] = {
            "type": "image", "image_url": image,
            "alt_text": truncate(title, ALT_TEXT_LIMIT),
        }
    meta = [
        fit(one_line(card.source), META_LIMIT, lambda s: f"*{_plain_mrkdwn(s)}*"),
        date_token(card.published) if card.published else "undated",
    ]
    if card.topics:
        topics = ", ".join(one_line(t) for t in card.topics)
        meta.append(fit(topics, META_LIMIT, lambda s: "Topics: " + _plain_mrkdwn(s)))
    elif card.matched_terms:
        terms = ", ".join(one_line(t) for t in card.matched_terms)
        meta.append(fit(terms, META_LIMIT, lambda s: "Matched: " + _plain_mrkdwn(s)))
    return [section, _context(meta)]


def fallback_text(text: str, limit: int = FALLBACK_LIMIT) -> str:
    """The top-level ``text`` of a message (notifications, screen readers)."""
    return fit(strip_control(text).strip(), min(limit, MESSAGE_TEXT_LIMIT), _plain_mrkdwn) or " "


def render_alert(alert: Alert, *, unfurl: bool = False) -> JSON:
    """An alert as a ``chat.postMessage`` / incoming-webhook payload (without ``channel``).

    ``unfurl`` sets ``unfurl_links`` and ``unfurl_media`` (both explicit:
    Slack's defaults differ between bot messages and webhooks).
    """
    card = ItemCard.from_alert(alert)
    item = alert.item
    notice = f"{one_line(item.title) or '(no title)'} — {one_line(item.source)}"
    return {
        "text": fallback_text(notice),
        "blocks": card_blocks(card),
        "unfurl_links": unfurl,
        "unfurl_media": unfurl,
    }


# -- digests -----------------------------------------------------------------------


def _date_span(alerts: Sequence[Alert]) -> str:
    """When the dated ``alerts`` were published: one date, or the first – the last."""
    dates = sorted(a.item.published for a in alerts if a.item.published is not None)
    if not dates:
        return ""
    if dates[0] == dates[-1]:
        return date_token(dates[0])
    return f"{date_token(dates[0])} – {date_token(dates[-1])}"


def _digest_line(alert: Alert, *, with_source: bool) -> str:
    """One item of a digest: "• <url|title>", and " — source" when asked.

    At most about 2,500 characters (a 2,000-character URL, a 300-character
    title, a 200-character source), so it always fits in a fresh section.
    """
    item = alert.item
    title = one_line(item.title) or "(no title)"
    safe = safe_url(item.url)

    def link(cut: str) -> str:
        label = _plain_mrkdwn(cut)
        return f"<{safe}|{label}>" if safe else label

    room = TITLE_LIMIT + (len(safe) + 3 if safe else 0)
    line = "• " + (fit(title, room, link) or "(no title)")
    source = one_line(item.source) if with_source else ""
    if source:
        line += " — " + fit(source, DIGEST_NAME_LIMIT, _plain_mrkdwn)
    return line


def _topic_context(alerts: Sequence[Alert]) -> JSON:
    """How many items a topic's section lists, from which source(s), and when."""
    n = len(alerts)
    count = f"{n} item{'s' if n != 1 else ''}"
    sources = [s for s in dict.fromkeys(one_line(a.item.source) for a in alerts) if s]
    if len(sources) == 1:
        origin = fit(sources[0], DIGEST_NAME_LIMIT,
                     lambda s: f"{count} from *{_plain_mrkdwn(s)}*") or count
    elif sources:
        origin = f"{count} from {len(sources)} sources"
    else:
        origin = count
    return _context([origin, _date_span(alerts)])


def _topic_blocks(name: str, alerts: Sequence[Alert], room: int) -> tuple[list[JSON], int]:
    """One topic of a digest in at most ``room`` blocks: section(s) headed by
    the topic's name listing its items, then a context line. Returns the
    blocks and how many of ``alerts`` they list (a prefix, fewer when the
    room runs out)."""
    if room < 2 or not alerts:
        return [], 0
    heading = fit(one_line(name), DIGEST_NAME_LIMIT,
                  lambda s: f"*{_plain_mrkdwn(s)}*") or "*(no topic)*"
    # The source goes on each line only when it differs between lines; a
    # single source is named once, in the context line.
    several = len({one_line(a.item.source) for a in alerts}) > 1
    texts: list[str] = []
    current = heading
    shown = 0
    for alert in alerts:
        line = _digest_line(alert, with_source=several)
        if len(current) + 1 + len(line) <= SECTION_TEXT_LIMIT:
            current += "\n" + line
        elif len(texts) + 3 <= room:  # the full section, this new one and the context
            texts.append(current)
            current = line
        else:
            break
        shown += 1
    if shown == 0:
        return [], 0
    texts.append(current)
    blocks = [{"type": "section", "text": _text_obj(t)} for t in texts]
    return [*blocks, _topic_context(alerts[:shown])], shown


def _digest_fallback(title: str, listed: Sequence[Alert], total: int) -> str:
    # Titles and sources only: notifications need no URLs, and a URL in
    # this non-verbatim text could be auto-linked whatever its scheme.
    lines = [title]
    for alert in listed:
        item = alert.item
        source = one_line(item.source)
        line = f"• {one_line(item.title) or '(no title)'}"
        lines.append(f"{line} ({source})" if source else line)
    if total > len(listed):
        lines.append(f"… and {total - len(listed)} more")
    return fallback_text("\n".join(lines))


def render_digest(digest: AlertDigest, *, unfurl: bool = False) -> JSON:
    """A digest, quiet-hours catch-up or burst roll-up as one
    ``chat.postMessage`` / incoming-webhook payload (without ``channel``).

    A header with the digest's title, then per topic (:meth:`AlertDigest.by_topic`)
    a section headed by the topic's name listing the linked titles, and a
    context line saying how many items, from which source, published when.
    A roll-up lists its first :data:`LISTED_IN_ROLLUP` items, like the other
    renderings. What does not fit Slack's limits (50 blocks, 3,000 characters
    a section) is counted in a last line, "… and 12 more". ``unfurl`` as
    for :func:`render_alert`. Never raises.
    """
    title = one_line(digest.title) or "Vigie digest"
    blocks: list[JSON] = [{"type": "header",
                           "text": _plain_obj(truncate(title, HEADER_TEXT_LIMIT))}]
    listed = digest.alerts[:LISTED_IN_ROLLUP] if digest.kind == "overflow" else digest.alerts
    room = MAX_BLOCKS - len(blocks) - 1  # one kept for the "… and N more" line
    shown = 0
    for name, alerts in dataclasses.replace(digest, alerts=listed).by_topic():
        topic, count = _topic_blocks(name, alerts, room)
        blocks += topic
        room -= len(topic)
        shown += count
        if count < len(alerts):
            break  # out of room: every later topic is counted as more
    rest = len(digest.alerts) - shown
    if rest > 0:
        blocks.append(_context([f"… and {rest} more"]))
    return {
        "text": _digest_fallback(title, listed, len(digest.alerts)),
        "blocks": blocks,
        "unfurl_links": unfurl,
        "unfurl_media": unfurl,
    }


def _split(text: str, limit: int, render: Callable[[int, int], str]) -> list[str]:
    """``text`` rendered in consecutive pieces, each within ``limit``.

    ``render(start, end)`` renders ``text[start:end]``. Cuts fall at a line
    break, else a space, in the second half of the room; nothing is lost but
    the whitespace at the cuts.
    """
    pieces: list[str] = []
    pos, total = 0, len(text)
    while pos < total and text[pos:].strip():
        if len(render(pos, total)) <= limit:
            pieces.append(render(pos, total))
            break
        # Rendering never shortens text, so the piece is at most `limit` raw
        # characters; search the longest prefix whose rendering fits.
        lo, hi = pos + 1, min(total, pos + limit)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if len(render(pos, mid)) <= limit:
                lo = mid
            else:
                hi = mid - 1
        end = lo
        cut = text.rfind("\n", pos, end + 1)
        if cut <= pos + (end - pos) // 2:
            cut = text.rfind(" ", pos, end + 1)
        if cut <= pos + (end - pos) // 2:
            cut = end
        while cut > pos + 1 and len(render(pos, cut)) > limit:
            cut -= 1
        pieces.append(render(pos, cut))
        pos = cut
        while pos < total and text[pos] in " \n":
            pos += 1
    return pieces


def _text_blocks(block: Text) -> list[JSON]:
    text = block.text  # not cleaned here: the spans index it; mrkdwn cleans each piece
    if not strip_control(text).strip():
        return []

    def render(start: int, end: int) -> str:
        spans = clip_spans(tuple((s - start, e - start) for s, e in block.emphasis
                                 if e > start), end - start)
        return reply_mrkdwn(text[start:end], tuple((max(0, s), e) for s, e in spans))

    return [{"type": "section", "text": _text_obj(r)}
            for r in _split(text, SECTION_TEXT_LIMIT, render)]


def _code_blocks(block: Code) -> list[JSON]:
    text = strip_control(block.text).strip("\n")
    if not text.strip():
        return []

    def render(start: int, end: int) -> str:
        # Only a run of three backticks could close the block early; a
        # zero-width space after each backtick breaks any run.
        return "```\n" + escape(text[start:end].replace("`", "`\u200b")) + "\n```"

    return [{"type": "section", "text": _text_obj(r)}
            for r in _split(text, SECTION_TEXT_LIMIT, render)]


def _field_blocks(block: Fields) -> list[JSON]:
    fields: list[JSON] = []
    for label, value in block.pairs:
        label_md = fit(one_line(label), 200, lambda s: f"*{_plain_mrkdwn(s)}*") if label else ""
        room = FIELD_TEXT_LIMIT - len(label_md) - 1
        value_md = fit(strip_control(value).strip(), room, reply_mrkdwn) if value.strip() else ""
        text = "\n".join(x for x in (label_md, value_md) if x)
        if text:
            fields.append(_text_obj(text))
    return [{"type": "section", "fields": fields[i:i + MAX_FIELDS]}
            for i in range(0, len(fields), MAX_FIELDS)]


def _heading_blocks(block: Heading) -> list[JSON]:
    # plain_text is never parsed for mentions or markup: no escaping needed.
    text = truncate(one_line(block.text), HEADER_TEXT_LIMIT)
    return [{"type": "header", "text": _plain_obj(text)}] if text else []


def reply_blocks(reply: Reply) -> list[JSON]:
    """A neutral reply as Block Kit blocks (at most :data:`MAX_BLOCKS`)."""
    blocks: list[JSON] = []
    for block in reply.blocks:
        if isinstance(block, Heading):
            blocks += _heading_blocks(block)
        elif isinstance(block, Text):
            blocks += _text_blocks(block)
        elif isinstance(block, Code):
            blocks += _code_blocks(block)
        elif isinstance(block, Fields):
            blocks += _field_blocks(block)
        else:
            blocks += card_blocks(block)
    if len(blocks) > MAX_BLOCKS:
        dropped = len(blocks) - (MAX_BLOCKS - 1)
        blocks = blocks[:MAX_BLOCKS - 1]
        blocks.append(_context([f"… {dropped} more blocks cut to fit Slack's limits."]))
    return blocks


def render_reply(reply: Reply) -> JSON:
    """A neutral reply as ``{"text", "blocks"}`` (the caller adds ``response_type``)."""
    return {
        "text": fallback_text(reply.plain_text(), MESSAGE_TEXT_LIMIT),
        "blocks": reply_blocks(reply),
    }

