"""The console destination: prints alerts readably on a terminal or a log.

It is the default destination when no chat platform is configured, and the
simplest example of an adapter: it only renders the neutral :class:`Alert`.
It also renders command replies as text (:class:`bot.plugins.ReplyRenderer`),
for ``vigie chat``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.config import Config
from bot.exceptions import DeliveryError, UnknownDestinationError
from bot.plugins import LISTED_IN_ROLLUP, strip_control
from bot.replies import Code, Fields, Heading, ItemCard, Reply, Text
from bot.types import Alert, AlertDigest

BOLD, DIM, YELLOW, CYAN, RESET = "\x1b[1m", "\x1b[2m", "\x1b[33m", "\x1b[36m", "\x1b[0m"


def emphasise(text: str, spans: Sequence[tuple[int, int]], *, color: bool) -> str:
    """``text`` with ``spans`` emphasised: bold yellow on a terminal, ``*word*`` otherwise."""
    before, after = (BOLD + YELLOW, RESET) if color else ("*", "*")
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos or end > len(text) or start >= end:
            continue
        out += [strip_control(text[pos:start]), before, strip_control(text[start:end]), after]
        pos = end
    out.append(strip_control(text[pos:]))
    return "".join(out)


def render_alert(alert: Alert, *, color: bool = False) -> str:
    """An alert as a few lines of text."""
    item = alert.item

    def c(code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if color else text

    when = item.published.strftime("%Y-%m-%d %H:%M UTC") if item.published else "undated"
    lines = [
        c(BOLD, "▶ ") + c(CYAN, f"[{strip_control(item.source)}"
                          + (f" · {strip_control(item.outlet)}]" if item.outlet else "]")) + " "
        + emphasise(item.title or "(no title)", alert.title_highlights, color=color),
        "  " + c(DIM, " · ".join([
            when,
            "topics: " + ", ".join(strip_control(n) for n in alert.topic_names) if alert.topic_names
            else f"subscription: {strip_control(alert.subscription)}",
            "matched: " + ", ".join(strip_control(t) for t in alert.matched_terms),
        ])),
    ]
    if item.lead:
        lines.append("  " + emphasise(item.lead, alert.lead_highlights, color=color))
    if item.url:
        lines.append("  " + strip_control(item.url))
    return "\n".join(lines) + "\n"


def render_reply(reply: Reply, *, color: bool = False) -> str:
    """A command's reply as text for a terminal (``vigie chat``)."""
    parts: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Heading):
            parts.append(f"{BOLD}{strip_control(block.text)}{RESET}" if color else
                         f"== {strip_control(block.text)} ==")
        elif isinstance(block, Text):
            parts.append(emphasise(block.text, block.emphasis, color=color))
        elif isinstance(block, Fields):
            width = min(30, max((len(k) for k, _ in block.pairs), default=0))
            parts.append("\n".join(f"{strip_control(k).ljust(width)}  {strip_control(v)}"
                                    for k, v in block.pairs))
        elif isinstance(block, Code):
            parts.append("\n".join("    " + strip_control(line)
                                    for line in block.text.splitlines()))
        else:
            parts.append(render_card(block, color=color))
    text = "\n\n".join(parts)
    return ("✘ " + text if reply.is_error else text) + "\n"


def render_card(card: ItemCard, *, color: bool = False) -> str:
    """A news item (a ``recent`` or ``search`` result) as a few lines."""
    when = card.published.strftime("%Y-%m-%d %H:%M UTC") if card.published else "undated"
    lines = [f"▶ [{strip_control(card.source)}] "
             + emphasise(card.title or "(no title)", card.title_highlights, color=color),
             "  " + " · ".join(x for x in (when, ", ".join(strip_control(t) for t in card.topics))
                               if x)]
    if card.summary:
        lines.append("  " + emphasise(card.summary, card.summary_highlights, color=color))
    if card.url:
        lines.append("  " + strip_control(card.url))
    return "\n".join(lines)


def render_digest(digest: AlertDigest, *, color: bool = False) -> str:
    """A digest, quiet-hours catch-up or roll-up as text: its title, then
    its items by topic (a roll-up shows its first few)."""

    def c(code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if color else text

    lines = [c(BOLD, "▶ " + strip_control(digest.title))]

    def item_lines(alert: Alert, indent: str) -> None:
        item = alert.item
        lines.append(f"{indent}• " + c(CYAN, f"[{strip_control(item.source)}]") + " "
                     + emphasise(item.title or "(no title)", alert.title_highlights,
                                 color=color))
        if item.url:
            lines.append(f"{indent}  {strip_control(item.url)}")

    if digest.kind == "overflow":
        shown = digest.alerts[:LISTED_IN_ROLLUP]
        for alert in shown:
            item_lines(alert, "  ")
        if len(digest.alerts) > len(shown):
            lines.append(c(DIM, f"  … and {len(digest.alerts) - len(shown)} more"))
    else:
        for name, alerts in digest.by_topic():
            lines.append("  " + c(BOLD, strip_control(name)))
            for alert in alerts:
                item_lines(alert, "  ")
    return "\n".join(lines) + "\n"


class ConsoleDestination:
    """Writes each alert (and each digest) to a text stream."""

    def __init__(self, stream: TextIO, *, color: bool) -> None:
        self.stream = stream
        self.color = color

    async def send(self, alert: Alert) -> str | None:
        try:
            self.stream.write(render_alert(alert, color=self.color) + "\n")
            self.stream.flush()
        except OSError as e:  # a closed pipe is worth retrying later, not crashing
            raise DeliveryError("console", f"cannot write: {e.strerror or e}") from None
        return None

    async def send_digest(self, digest: AlertDigest) -> str | None:
        try:
            self.stream.write(render_digest(digest, color=self.color) + "\n")
            self.stream.flush()
        except OSError as e:
            raise DeliveryError("console", f"cannot write: {e.strerror or e}") from None
        return None


_NO_TARGET = "the console destination takes no target"


class ConsoleAdapter:
    """The ``console`` destination scheme (entry point ``vigie.destinations``):
    writes to the stream ``[console] output`` names (or ``stream``)."""

    def __init__(self, config: Config | None = None, *, stream: TextIO | None = None) -> None:
        if stream is None:
            stream = sys.stderr if config is not None and config.console.output == "stderr" \
                else sys.stdout
        self.stream = stream
        mode = config.console.color if config is not None else "auto"
        self.color = mode == "always" or (
            mode == "auto" and self.stream.isatty() and "NO_COLOR" not in os.environ
        )
        self._destination = ConsoleDestination(self.stream, color=self.color)

    @staticmethod
    def config_problems(config: Config, target: str) -> list[str]:
        """What ``vigie check`` reports about a ``console:<target>`` destination."""
        return [_NO_TARGET] if target else []

    def render_reply(self, reply: Reply) -> str:
        """A command's reply as text for the stream (``vigie chat``)."""
        return render_reply(reply, color=self.color)

    def destination(self, target: str) -> ConsoleDestination:
        if target:
            raise UnknownDestinationError(_NO_TARGET)
        return self._destination

    async def close(self) -> None:
        return None
