"""Rendering alerts and replies as Discord messages (pure: no I/O).

Everything here returns plain JSON-ready dicts in the shape of Discord's REST
API v10, so the payloads can be checked against Discord's limits without a
client. Feed text is untrusted: it is stripped of control characters, its
markdown is escaped, and anything that looks like a mention is neutralised,
so that a feed can neither format nor ping. The only mention an alert may
carry is the subscription's configured role, in the message content.

Limits are counted in Unicode code points (Python ``len``), the unit Discord
counts in; every text is cut at a word boundary with an ellipsis, never
rejected.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from adapters._text import ELLIPSIS, clip_spans, truncate
from bot.exceptions import InvalidValueError
from bot.plugins import CONTROL_RE, LISTED_IN_DIGEST, LISTED_IN_ROLLUP, strip_control
from bot.replies import Code, Fields, Heading, ItemCard, Reply, Text
from bot.types import Alert, AlertDigest

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
# C0/C1 controls (but newline and tab), bidi overrides and isolates: a feed
# must not reorder or hide the text around it.
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


def _merge_spans(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        start, end = max(0, start), min(end, length)
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def emphasise(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, with ``spans`` (offsets into ``text``) in **bold**."""
    out: list[str] = []
    pos = 0

    def plain(a: int, b: int) -> str:
        return escape(text[a:b], at_line_start=a == 0 or text[a - 1] == "\n")

    for start, end in _merge_spans(spans, len(text)):
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


# -- embeds --------------------------------------------------------------------


def embed_length(embed: Mapping[str, Any]) -> int:
    """The characters of an embed that count toward the 6,000 of a message."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or ():
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def card_embed(card: ItemCard, *, color: int) -> dict[str, Any]:
    """One news item as an embed: linked title, summary with matched words in
    bold, source as author, topics, published time, matched terms in the footer."""
    embed: dict[str, Any] = {"type": "rich", "color": color}
    title = one_line(card.title)
    if title:
        # Embed titles are bold already: matched words are not emphasised there.
        embed["title"] = fit(title, TITLE_LIMIT)
    else:
        embed["title"] = "(no title)"
    url = safe_url(card.url)
    if url:
        embed["url"] = url
    source = one_line(card.source)
    if source:
        embed["author"] = {"name": fit(source, AUTHOR_LIMIT, markdown=False)}
    fields: list[dict[str, Any]] = []
    topics = [one_line(t) for t in card.topics if one_line(t)]
    if topics:
        fields.append({
            "name": "Topics" if len(topics) > 1 else "Topic",
            "value": fit(", ".join(topics), TOPICS_CAP),
            "inline": True,
        })
    if fields:
        embed["fields"] = fields
    terms = [one_line(t) for t in card.matched_terms if one_line(t)]
    if terms:
        embed["footer"] = {"text": fit("Matched: " + ", ".join(terms), FOOTER_CAP, markdown=False)}
    if card.published is not None:
        embed["timestamp"] = card.published.isoformat()
    image = safe_url(card.image)
    if image:
        embed["thumbnail"] = {"url": image}
    # The description gets whatever the 6,000 leave, up to its own limit.
    room = min(DESCRIPTION_LIMIT, EMBEDS_TOTAL_LIMIT - embed_length(embed))
    if card.summary.strip():
        description = fit(card.summary, room, card.summary_highlights)
        if description:
            embed["description"] = description
    return embed


@dataclass(frozen=True)
class Message:
    """One Discord message to post: the JSON body of ``POST /channels/{id}/messages``
    (or of a webhook execution / interaction response), minus transport fields."""

    #: The text above the embeds, if any.
    content: str | None = None
    #: Embeds, at most 10, at most 6,000 characters together.
    embeds: tuple[dict[str, Any], ...] = ()
    #: Who may be pinged; nobody unless a role is explicitly allowed.
    allowed_mentions: dict[str, Any] = field(default_factory=lambda: dict(NO_MENTIONS))

    def payload(self) -> dict[str, Any]:
        """The JSON body."""
        body: dict[str, Any] = {"allowed_mentions": self.allowed_mentions}
        if self.content:
            body["content"] = self.content
        body["embeds"] = list(self.embeds)
        return body


def alert_message(alert: Alert, *, colors: Mapping[str, int] | None = None) -> Message:
    """An alert as one message with one embed.

    The subscription's ``mention`` option (a role id) becomes the content and
    the only allowed mention; nothing else in the message can ping.
    """
    card = ItemCard.from_alert(alert)
    embed = card_embed(card, color=topic_color(alert.topics, colors or {}, alert.subscription))
    role = role_id(alert.options.mention)
    if role:
        return Message(f"<@&{role}>", (embed,), {"parse": [], "roles": [role]})
    return Message(None, (embed,))


# -- digests -------------------------------------------------------------------

#: Longest title, and source name, shown for one item of a digest.
DIGEST_TITLE_CAP = 200
DIGEST_SOURCE_CAP = 60
#: A link longer than this is left off its digest line (the title still shows):
#: one tracking-laden URL must not crowd out the other items.
DIGEST_URL_CAP = 600
#: Room kept for the closing "… and N more" line.
_MORE_ROOM = 40
# Characters a link target keeps as they are; the rest (parentheses, angle
# brackets, quotes, non-ASCII …) is percent-encoded, so the target cannot end
# the markdown link early, and means the same to the browser.
_LINK_SAFE = ":/?#[]@!$&'*+,;=%~-._"


def _link_target(url: str | None) -> str | None:
    """``url`` fit to be the target of a markdown link, or None."""
    checked = safe_url(url)
    if checked is None:
        return None
    target = quote(checked, safe=_LINK_SAFE)
    # "@everyone" in a link pings no one (embeds never ping), but is shown nowhere either.
    target = _EVERYONE_RE.sub(r"%40\1", target)
    return target if len(target) <= DIGEST_URL_CAP else None


def digest_line(alert: Alert) -> str:
    """One item of a digest: "• [title](url) · source", escaped, at most about 900 characters."""
    item = alert.item
    raw = item.title or ""
    title = one_line(raw)
    # Matched words are bold when the title needed no cleaning (the spans are offsets into it).
    spans = alert.title_highlights if title == raw else ()
    text = fit(title, DIGEST_TITLE_CAP, spans) if title else "(no title)"
    target = _link_target(item.url)
    line = f"• [{text}]({target})" if target and text else f"• {text or '(no title)'}"
    source = fit(one_line(item.source), DIGEST_SOURCE_CAP)
    return f"{line} · {source}" if source else line


def digest_message(digest: AlertDigest, *, colors: Mapping[str, int] | None = None) -> Message:
    """A digest, quiet-hours catch-up or roll-up as one message.

    The content says what it is (the digest's title); then one embed per
    topic, titled with the topic and its count, lists the items as linked
    titles with their source. A roll-up lists its first few items, a digest
    as many as fit, at most 10 embeds and 6,000 characters; the rest is
    summed up as "… and N more". As in :func:`alert_message`, the
    subscription's ``mention`` role is the only thing that may ping.
    """
    colors = colors or {}
    cap = LISTED_IN_ROLLUP if digest.kind == "overflow" else LISTED_IN_DIGEST
    budget = EMBEDS_TOTAL_LIMIT - _MORE_ROOM
    embeds: list[dict[str, Any]] = []
    used = listed = 0
    full = False
    for name, alerts in digest.by_topic():
        if full or listed >= cap or len(embeds) >= EMBEDS_PER_MESSAGE:
            break
        label = fit(one_line(name), TITLE_LIMIT - 16) or fit(one_line(digest.subscription),
                                                              TITLE_LIMIT - 16) or "Items"
        title = f"{label} ({len(alerts)})"
        lines: list[str] = []
        for alert in alerts:
            if listed >= cap:
                break
            line = digest_line(alert)
            description = "\n".join([*lines, line])
            if len(description) > DESCRIPTION_LIMIT - _MORE_ROOM \
                    or used + len(title) + len(description) > budget:
                full = True
                break
            lines.append(line)
            listed += 1
        if not lines:
            break
        embed: dict[str, Any] = {"type": "rich", "title": title, "description": "\n".join(lines),
                                 "color": topic_color(alerts[0].topics, colors,
                                                      digest.subscription)}
        used += embed_length(embed)
        embeds.append(embed)
    rest = len(digest.alerts) - listed
    if rest > 0:
        more = f"… and {rest} more"
        if embeds:
            embeds[-1]["description"] += "\n" + more
        else:
            embeds.append({"type": "rich", "description": more})
    if not embeds:
        embeds.append({"type": "rich", "description": "(no items)"})
    # The content is the one place that can ping: break any mention syntax
    # outright rather than rely on the escape alone (then fit to the limit).
    title = one_line(digest.title).replace("<@", "<\u200b@").replace("<#", "<\u200b#")
    heading = fit(title, CONTENT_LIMIT - 64)
    content = f"**{heading}**" if heading else None
    role = role_id(digest.options.mention)
    if role:
        content = f"<@&{role}> {content}" if content else f"<@&{role}>"
        return Message(content, tuple(embeds), {"parse": [], "roles": [role]})
    return Message(content, tuple(embeds))


# -- replies -------------------------------------------------------------------


def _code_block(text: str, limit: int) -> str:
    # A fence inside the text would close ours: break it with a zero-width space.
    body = strip_control(text).replace("```", "``\u200b`")
    room = limit - len("```\n\n```")
    if len(body) > room:
        body = body[: max(0, room - 1)] + ELLIPSIS
    return f"```\n{body}\n```"


def reply_messages(reply: Reply, *, colors: Mapping[str, int] | None = None) -> list[Message]:
    """A neutral reply as one or more messages, in order.

    Text blocks become the content (cut into several messages past 2,000
    characters), item cards become embeds (10 per message, 6,000 characters
    per message). Content always shows above embeds, so text that follows
    cards starts a new message.
    """
    return _render_reply(reply, colors or {}, CONTENT_LIMIT)


#: Room kept in a paged message's content for its counter ("\n\nPage 12/12").
PAGE_COUNTER_ROOM = 24


def reply_pages(reply: Reply, *, colors: Mapping[str, int] | None = None) -> list[Message]:
    """A reply as the pages of one message, which the reader turns with buttons.

    A reply that fits in one message is that one page, as
    :func:`reply_messages` renders it. A longer one is cut the same way (at
    most 10 embeds, 6,000 embed characters and 2,000 content characters a
    page), and every page's content ends with its counter ("Page 2/3"); a
    page without text of its own repeats the reply's heading, so that each
    page says what it lists.
    """
    colors = colors or {}
    pages = _render_reply(reply, colors, CONTENT_LIMIT)
    if len(pages) == 1:
        return pages
    limit = CONTENT_LIMIT - PAGE_COUNTER_ROOM
    pages = _render_reply(reply, colors, limit)
    if len(pages) == 1:
        # Shorter cuts of long headings and texts can make it fit after all.
        return pages
    first = reply.blocks[0] if reply.blocks else None
    header = _heading(first.text, limit) if isinstance(first, Heading) else ""
    out: list[Message] = []
    for number, page in enumerate(pages, start=1):
        text = page.content or header
        counter = f"Page {number}/{len(pages)}"
        out.append(Message(f"{text}\n\n{counter}" if text else counter, page.embeds,
                           page.allowed_mentions))
    return out


def _heading(text: str, limit: int) -> str:
    heading = fit(one_line(text), limit - 4)
    return "**" + heading + "**" if heading else ""


def _render_reply(reply: Reply, colors: Mapping[str, int], limit: int) -> list[Message]:
    """:func:`reply_messages` with at most ``limit`` characters of content a message."""
    pages: list[Message] = []
    lines: list[str] = []
    embeds: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal lines, embeds
        if lines or embeds:
            pages.append(Message("\n\n".join(lines) or None, tuple(embeds)))
        lines, embeds = [], []

    def add_text(text: str) -> None:
        if embeds:
            flush()
        if lines and len("\n\n".join([*lines, text])) > limit:
            flush()
        lines.append(text)

    for block in reply.blocks:
        if isinstance(block, Heading):
            heading = _heading(block.text, limit)
            if heading:
                add_text(heading)
        elif isinstance(block, Text):
            for chunk in _split_text(block.text, block.emphasis, limit):
                add_text(chunk)
        elif isinstance(block, Fields):
            rows = [f"**{fit(one_line(k), 200)}**: {fit(v, 800)}" for k, v in block.pairs]
            group: list[str] = []
            for row in rows:
                if group and len("\n".join([*group, row])) > limit:
                    add_text("\n".join(group))
                    group = []
                group.append(row)
            if group:
                add_text("\n".join(group))
        elif isinstance(block, Code):
            add_text(_code_block(block.text, limit))
        else:
            embed = card_embed(block, color=topic_color(block.topics, colors, block.source))
            total = sum(embed_length(e) for e in embeds)
            if len(embeds) >= EMBEDS_PER_MESSAGE \
                    or total + embed_length(embed) > EMBEDS_TOTAL_LIMIT:
                flush()
            embeds.append(embed)
    flush()
    if not pages:
        pages.append(Message("(nothing to show)"))
    return pages


def _split_text(text: str, emphasis: Sequence[tuple[int, int]],
                limit: int = CONTENT_LIMIT) -> list[str]:
    """A text block as content chunks of at most ``limit`` characters, cut
    between lines (or words, for a very long line)."""
    # Escaping can double the text, so plain chunks get half the limit.
    room = limit // 2
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + room)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            if cut <= start:
                cut = text.rfind(" ", start, end)
            if cut > start:
                end = cut + 1
        spans = tuple((s - start, e - start) for s, e in emphasis if e > start and s < end)
        piece = text[start:end]
        # Control characters are dropped by fit: a chunk of only those is nothing.
        fitted = fit(piece.rstrip(), limit, spans) if piece.strip() else ""
        if fitted.strip():
            chunks.append(fitted)
        start = end
    return chunks
