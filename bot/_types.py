"""Ports: the interfaces the core's parts talk to each other through.

Implementations live in private modules (``_storage``, ``_fetch`` …) and in
``adapters/``; tests substitute small real implementations, not mocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .types import Alert, Item, SearchHit, SourceState, StoredItem


@dataclass(frozen=True)
class SearchTerm:
    """One term of a full-text search; all terms of a search must match (AND)."""

    #: The term in normalised form (see ``bot._normalize.normalize``): folded
    #: words separated by single spaces; several words form a phrase.
    text: str
    #: Whether the last word is a prefix (``gpu*``).
    prefix: bool = False


@dataclass(frozen=True)
class Delivery:
    """An alert waiting in (or gone through) the outbox."""

    #: Database id.
    id: int
    #: The alert to send.
    alert: Alert
    #: "pending", "sent" or "failed".
    status: str
    #: How many sends were attempted.
    attempts: int = 0
    #: The last error, in plain words.
    last_error: str | None = None
    #: Not before this time (backoff), if set.
    not_before: datetime | None = None
    #: The platform's id for the posted message, once sent.
    message_id: str | None = None


@dataclass(frozen=True)
class NewItem:
    """An item to store, with the alerts it produced (possibly none)."""

    #: The item.
    item: Item
    #: Topic ids it matched (for ``recent``), whether or not anyone subscribed.
    topics: tuple[str, ...]
    #: The alerts to queue, one per destination.
    alerts: tuple[Alert, ...]


class Store(Protocol):
    """Persistent state: sources, items, the outbox, full-text search.

    Every method may raise :class:`bot.exceptions.StorageError` when the
    database cannot be reached or refuses the operation. Datetimes going in
    and out are UTC-aware.
    """

    async def migrate(self) -> None:
        """Bring the schema to the latest version (idempotent)."""

    async def close(self) -> None:
        """Release connections."""

    # -- sources --

    async def sync_sources(self, sources: Sequence[tuple[str, str, bool]]) -> None:
        """Make the stored sources agree with the configuration.

        ``sources`` is ``(name, configured url, enabled)``. A new name is
        created (not initialised). A source whose *configured* URL changed gets
        its fetch URL, ETag and Last-Modified reset. A source disabled by the
        store itself (410) stays disabled until its configured URL changes.
        Sources not in the list are left alone (their items stay searchable).
        """

    async def get_source(self, name: str) -> SourceState | None:
        """The stored state of one source, or None."""

    async def list_sources(self) -> list[SourceState]:
        """Every stored source, by name."""

    async def update_source(self, state: SourceState) -> None:
        """Overwrite a source's state (after a poll that stored no item)."""

    # -- items --

    async def seen(
        self, source: str, keys: Sequence[str], urls: Sequence[str]
    ) -> tuple[set[str], set[str]]:
        """Which of ``keys`` this source has stored, and which canonical
        ``urls`` any source has stored."""

    async def save_poll(self, state: SourceState, new_items: Sequence[NewItem]) -> list[str]:
        """In one transaction: store the items, queue their alerts in the
        outbox, and write the source's state.

        An item whose (source, key) is already stored is skipped with its
        alerts (a concurrent poll got there first); an alert whose
        (item, destination) is already queued is skipped. Returns the keys of
        the items actually inserted.
        """

    async def recent(
        self, *, topics: Sequence[str] | None, since: datetime, limit: int
    ) -> list[StoredItem]:
        """Items first seen since ``since`` that matched any of ``topics``
        (any item when ``topics`` is None), newest first."""

    async def search(
        self, terms: Sequence[SearchTerm], *, since: datetime | None, limit: int
    ) -> list[SearchHit]:
        """Full-text search over stored items' title, summary and content;
        every term must match; newest first."""

    async def count_items(self, *, since: datetime | None = None) -> int:
        """How many items are stored (first seen since ``since``, if given)."""

    # -- outbox --

    async def due_deliveries(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries whose ``not_before`` has passed, oldest item first."""

    async def mark_sent(self, delivery_id: int, message_id: str | None, now: datetime) -> None:
        """Record a successful send."""

    async def mark_retry(
        self, delivery_id: int, error: str, not_before: datetime
    ) -> None:
        """Record a transient failure; the delivery stays pending."""

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Record a permanent failure; the delivery is not tried again."""

    async def delivery_counts(self) -> dict[str, int]:
        """Number of deliveries per status."""


class Destination(Protocol):
    """One place alerts go (a channel, a webhook, the console)."""

    async def send(self, alert: Alert) -> str | None:
        """Deliver one alert; return the platform's message id, if any.

        Raises :class:`bot.exceptions.DeliveryError` (``transient`` says
        whether to retry).
        """


class DestinationAdapter(Protocol):
    """Makes the destinations of one scheme (``console``, ``discord`` …).

    Adapters register a callable ``(config: bot.config.Config) ->
    DestinationAdapter`` under the ``vigie.destinations`` entry-point group,
    named after the scheme. One adapter instance serves every target of its
    scheme, so a platform client is shared by all channels.
    """

    def destination(self, target: str) -> Destination:
        """The destination for the part after ``scheme:`` (empty for ``console``).

        Raises :class:`bot.exceptions.UnknownDestinationError` for a bad target.
        """

    async def close(self) -> None:
        """Release resources (connections, clients)."""
