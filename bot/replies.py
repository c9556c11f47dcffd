"""Neutral replies: what commands answer, rendered natively by each adapter.

Commands never format platform markup: they return a :class:`Reply` made of
blocks, and each adapter renders the blocks its own way (Discord embeds, Slack
Block Kit, plain text on the console), with :meth:`Reply.plain_text` as the
fallback every platform can show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .types import Alert, StoredItem

#: A span ``(start, end)`` of characters to emphasise in a text.
Span = tuple[int, int]


@dataclass(frozen=True)
class Heading:
    """A short title line."""

    #: The heading text (plain).
    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text, with optional emphasised spans."""

    #: The text (plain; adapters escape it for their platform).
    text: str
    #: Spans of ``text`` to emphasise (matched words).
    emphasis: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Fields:
    """Label/value pairs (a small table)."""

    #: ``(label, value)`` pairs, in order.
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Code:
    """Preformatted text (a config export, a query with a caret)."""

    #: The text, shown as is in a monospace font.
    text: str


@dataclass(frozen=True)
class ItemCard:
    """One news item: an alert, or a result of ``recent`` / ``search``."""

    #: Plain-text title.
    title: str
    #: Canonical link, if any.
    url: str | None
    #: The source's name.
    source: str
    #: When published (UTC), if known.
    published: datetime | None
    #: Display names of the topics it matched.
    topics: tuple[str, ...] = ()
    #: Configured terms that matched, as written.
    matched_terms: tuple[str, ...] = ()
    #: The short summary (plain text).
    summary: str = ""
    #: Spans of ``title`` to emphasise.
    title_highlights: tuple[Span, ...] = ()
    #: Spans of ``summary`` to emphasise.
    summary_highlights: tuple[Span, ...] = ()
    #: Image URL (http/https), if any.
    image: str | None = None
    #: The item's language, if known.
    language: str | None = None

    @classmethod
    def from_alert(cls, alert: Alert) -> ItemCard:
        item = alert.item
        return cls(
            title=item.title, url=item.url, source=item.source, published=item.published,
            topics=alert.topic_names, matched_terms=alert.matched_terms, summary=item.lead,
            title_highlights=alert.title_highlights, summary_highlights=alert.lead_highlights,
            image=item.image, language=item.language,
        )

    @classmethod
    def from_stored(cls, stored: StoredItem, *, topic_names: tuple[str, ...] = (),
                    title_highlights: tuple[Span, ...] = (),
                    summary_highlights: tuple[Span, ...] = (),
                    matched_terms: tuple[str, ...] = ()) -> ItemCard:
        item = stored.item
        return cls(
            title=item.title, url=item.url, source=item.source, published=item.published,
            topics=topic_names or stored.topics, matched_terms=matched_terms, summary=item.lead,
            title_highlights=title_highlights, summary_highlights=summary_highlights,
            image=item.image, language=item.language,
        )

    def plain_text(self) -> str:
        when = self.published.strftime("%Y-%m-%d %H:%M UTC") if self.published else "undated"
        meta = " · ".join(x for x in (self.source, when, ", ".join(self.topics)) if x)
        lines = [self.title or "(no title)", meta]
        if self.summary:
            lines.append(self.summary)
        if self.url:
            lines.append(self.url)
        return "\n".join(lines)


Block = Heading | Text | Fields | Code | ItemCard


@dataclass(frozen=True)
class Reply:
    """What a command answers."""

    #: The blocks, in order.
    blocks: tuple[Block, ...]
    #: Only the caller should see it (admin commands, errors).
    ephemeral: bool = False
    #: Whether it reports a failure (refusal, bad input).
    is_error: bool = False

    @classmethod
    def text(cls, text: str, *, ephemeral: bool = False) -> Reply:
        return cls((Text(text),), ephemeral=ephemeral)

    @classmethod
    def error(cls, message: str) -> Reply:
        return cls((Text(message),), ephemeral=True, is_error=True)

    def plain_text(self) -> str:
        """The reply as plain text: every platform's fallback."""
        parts: list[str] = []
        for block in self.blocks:
            if isinstance(block, Heading | Text | Code):
                parts.append(block.text)
            elif isinstance(block, Fields):
                parts.append("\n".join(f"{k}: {v}" for k, v in block.pairs))
            else:
                parts.append(block.plain_text())
        return "\n\n".join(parts)
