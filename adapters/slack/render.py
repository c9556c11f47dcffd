"""Block Kit messages from alerts, digests and command replies (pure: no I/O).

All text goes through the markup helpers of :mod:`.markup`; text objects are
sent ``verbatim`` so Slack does not auto-link or auto-mention either.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from adapters._text import clip_spans, truncate
from bot.plugins import LISTED_IN_ROLLUP, strip_control
from bot.replies import Code, Fields, Heading, ItemCard, Reply, Text
from bot.types import Alert, AlertDigest

from .markup import (
    ALT_TEXT_LIMIT,
    DIGEST_NAME_LIMIT,
    FALLBACK_LIMIT,
    FIELD_TEXT_LIMIT,
    HEADER_TEXT_LIMIT,
    JSON,
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELDS,
    MESSAGE_TEXT_LIMIT,
    META_LIMIT,
    SECTION_TEXT_LIMIT,
    TITLE_LIMIT,
    date_token,
    escape,
    fit,
    fit_mrkdwn,
    image_url,
    one_line,
    plain_mrkdwn,
    reply_mrkdwn,
    safe_url,
    strip_edges,
)

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
        label = plain_mrkdwn(cut)
        return f"*<{safe}|{label}>*" if safe else f"*{label}*"

    head = fit(title, TITLE_LIMIT, title_line) or "*(no title)*"
    text = head
    # Spans index the raw summary: strip it without cleaning (mrkdwn cleans
    # each piece it renders), shifting the spans by what was stripped.
    offset, summary = strip_edges(card.summary)
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
        fit(one_line(card.source), META_LIMIT, lambda s: f"*{plain_mrkdwn(s)}*"),
        date_token(card.published) if card.published else "undated",
    ]
    if card.topics:
        topics = ", ".join(one_line(t) for t in card.topics)
        meta.append(fit(topics, META_LIMIT, lambda s: "Topics: " + plain_mrkdwn(s)))
    elif card.matched_terms:
        terms = ", ".join(one_line(t) for t in card.matched_terms)
        meta.append(fit(terms, META_LIMIT, lambda s: "Matched: " + plain_mrkdwn(s)))
    return [section, _context(meta)]


def fallback_text(text: str, limit: int = FALLBACK_LIMIT) -> str:
    """The top-level ``text`` of a message (notifications, screen readers)."""
    return fit(strip_control(text).strip(), min(limit, MESSAGE_TEXT_LIMIT), plain_mrkdwn) or " "


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
        label = plain_mrkdwn(cut)
        return f"<{safe}|{label}>" if safe else label

    room = TITLE_LIMIT + (len(safe) + 3 if safe else 0)
    line = "• " + (fit(title, room, link) or "(no title)")
    source = one_line(item.source) if with_source else ""
    if source:
        line += " — " + fit(source, DIGEST_NAME_LIMIT, plain_mrkdwn)
    return line


def _topic_context(alerts: Sequence[Alert]) -> JSON:
    """How many items a topic's section lists, from which source(s), and when."""
    n = len(alerts)
    count = f"{n} item{'s' if n != 1 else ''}"
    sources = [s for s in dict.fromkeys(one_line(a.item.source) for a in alerts) if s]
    if len(sources) == 1:
        origin = fit(sources[0], DIGEST_NAME_LIMIT,
                     lambda s: f"{count} from *{plain_mrkdwn(s)}*") or count
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
                  lambda s: f"*{plain_mrkdwn(s)}*") or "*(no topic)*"
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
        label_md = fit(one_line(label), 200, lambda s: f"*{plain_mrkdwn(s)}*") if label else ""
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

