"""Building Discord messages from alerts, digests and replies (pure: no I/O).

Everything here returns plain JSON-ready dicts in the shape of Discord's REST
API v10, so the payloads can be checked against Discord's limits without a
client. All text goes through the markup helpers of :mod:`.markup`; the only
mention an alert may carry is the subscription's configured role, in the
message content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters._text import ELLIPSIS
from bot.plugins import LISTED_IN_DIGEST, LISTED_IN_ROLLUP, strip_control
from bot.replies import Code, Fields, Heading, ItemCard, Reply, Text
from bot.types import Alert, AlertDigest

from .markup import (
    AUTHOR_LIMIT,
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBEDS_PER_MESSAGE,
    EMBEDS_TOTAL_LIMIT,
    FOOTER_CAP,
    NO_MENTIONS,
    TITLE_LIMIT,
    TOPICS_CAP,
    embed_length,
    fit,
    link_target,
    one_line,
    role_id,
    safe_url,
    topic_color,
)

# -- embeds --------------------------------------------------------------------


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


def render_alert(alert: Alert, *, colors: Mapping[str, int] | None = None) -> Message:
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
def digest_line(alert: Alert) -> str:
    """One item of a digest: "• [title](url) · source", escaped, at most about 900 characters."""
    item = alert.item
    raw = item.title or ""
    title = one_line(raw)
    # Matched words are bold when the title needed no cleaning (the spans are offsets into it).
    spans = alert.title_highlights if title == raw else ()
    text = fit(title, DIGEST_TITLE_CAP, spans) if title else "(no title)"
    target = link_target(item.url, DIGEST_URL_CAP)
    line = f"• [{text}]({target})" if target and text else f"• {text or '(no title)'}"
    source = fit(one_line(item.source), DIGEST_SOURCE_CAP)
    return f"{line} · {source}" if source else line


def render_digest(digest: AlertDigest, *, colors: Mapping[str, int] | None = None) -> Message:
    """A digest, quiet-hours catch-up or roll-up as one message.

    The content says what it is (the digest's title); then one embed per
    topic, titled with the topic and its count, lists the items as linked
    titles with their source. A roll-up lists its first few items, a digest
    as many as fit, at most 10 embeds and 6,000 characters; the rest is
    summed up as "… and N more". As in :func:`render_alert`, the
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


def render_reply(reply: Reply, *, colors: Mapping[str, int] | None = None) -> list[Message]:
    """A neutral reply as one or more messages, in order.

    Text blocks become the content (cut into several messages past 2,000
    characters), item cards become embeds (10 per message, 6,000 characters
    per message). Content always shows above embeds, so text that follows
    cards starts a new message.
    """
    return _render_reply(reply, colors or {}, CONTENT_LIMIT)


#: Room kept in a paged message's content for its counter ("\n\nPage 12/12").
PAGE_COUNTER_ROOM = 24


def render_reply_pages(reply: Reply, *, colors: Mapping[str, int] | None = None) -> list[Message]:
    """A reply as the pages of one message, which the reader turns with buttons.

    A reply that fits in one message is that one page, as
    :func:`render_reply` renders it. A longer one is cut the same way (at
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
    """:func:`render_reply` with at most ``limit`` characters of content a message."""
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
