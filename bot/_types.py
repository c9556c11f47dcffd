"""Ports: the interfaces the core's parts talk to each other through.

Implementations live in private modules (``_storage``, ``_fetch`` …); the
ports adapters implement are in :mod:`bot.plugins`. Tests substitute small
real implementations, not mocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from .options import SubscriptionOptions
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
    #: When it was queued (the poll's time).
    created_at: datetime | None = None
    #: Held for a "digest", "quiet" hours or as "overflow" past the
    #: subscription's limit (until ``not_before``); None when not held.
    hold: str | None = None
    #: The digest message it was collected into, once collected.
    digest_id: int | None = None
    #: Rate-limited sends (429): retried after the platform's wait, never
    #: counted in ``attempts``.
    throttled: int = 0

    @property
    def retrying(self) -> bool:
        """Whether a send failed and the delivery waits to be tried again."""
        return self.status == "pending" and self.last_error is not None


@dataclass(frozen=True)
class Lane:
    """The deliveries of one subscription to one destination: the outbox's
    unit of work. One worker at a time owns a lane, so its alerts go out one
    by one, in published order."""

    #: The subscription's name.
    subscription: str
    #: The destination ("slack:C123", "webhook:https://…").
    destination: str


@dataclass(frozen=True)
class FailedDelivery:
    """A delivery that failed for good, for ``status``."""

    #: The subscription's name.
    subscription: str
    #: The destination.
    destination: str
    #: The item's title.
    title: str
    #: Why, in plain words.
    error: str


@dataclass(frozen=True)
class OutboxSummary:
    """What the outbox holds, for ``status``."""

    #: Pending deliveries not tried yet (nor held).
    waiting: int = 0
    #: Pending deliveries whose last send failed and will be tried again.
    retrying: int = 0
    #: Pending deliveries held for a digest, quiet hours or a roll-up.
    held: int = 0
    #: Delivered.
    sent: int = 0
    #: Failed for good.
    failed: int = 0
    #: The most recent failures, newest first.
    failures: tuple[FailedDelivery, ...] = ()
    #: Paused subscriptions and why.
    paused: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewItem:
    """An item to store, with the alerts it produced (possibly none)."""

    #: The item.
    item: Item
    #: Topic ids it matched (for ``recent``), whether or not anyone subscribed.
    topics: tuple[str, ...]
    #: The alerts to queue, one per destination.
    alerts: tuple[Alert, ...]


#: The tenant of rows shared by every workspace (edits of editable config topics).
SHARED = ""


@dataclass(frozen=True)
class ChatTopic:
    """A topic created (or a config topic edited) from chat."""

    #: ``platform:workspace`` of its creator, or :data:`SHARED` for a config topic's edit.
    tenant: str
    #: The id as the tenant sees it.
    topic_id: str
    #: Display name.
    name: str
    #: Phrases; any matches.
    keywords: tuple[str, ...] = ()
    #: Phrases; any vetoes.
    exclude: tuple[str, ...] = ()
    #: Fields to look in (empty: all).
    fields: tuple[str, ...] = ()
    #: Languages (empty: any).
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChatSubscription:
    """A channel's subscription made from chat."""

    #: Database id (shown to users as ``#id``).
    id: int
    #: ``platform:workspace``.
    tenant: str
    #: The channel id it was made in.
    channel: str
    #: Where its alerts go.
    destination: str
    #: The topic's rule id (see ``bot._effective.rule_id``), if it follows a topic.
    topic_id: str | None
    #: The query, if it follows a query.
    query: str | None
    #: How its alerts are delivered.
    options: SubscriptionOptions = field(default_factory=SubscriptionOptions)
    #: Who made it.
    created_by: str = ""


@dataclass(frozen=True)
class ChatSource:
    """A source added from chat (polled for everyone, removable by its tenant)."""

    #: Unique name.
    name: str
    #: ``platform:workspace`` that added it.
    tenant: str
    #: Feed or site URL; for the other kinds, the URL of its first request.
    url: str
    #: Seconds between polls.
    interval: float
    #: Its kind ("feed", "google-news" …; see ``bot._sources.KINDS``).
    kind: str = "feed"
    #: The kind's keys ("query", "subreddit" …); empty for a feed.
    options: Mapping[str, str | int] = field(default_factory=dict)
    #: The items' language, if set ("fr").
    language: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """Who changed what, when."""

    #: ``platform:workspace``.
    tenant: str
    #: The user's platform id.
    user_id: str
    #: The user's display name.
    user_name: str
    #: What was done ("keywords add", "subscribe" …).
    action: str
    #: What it was done to (topic id, subscription id, source name).
    target: str
    #: The value before (JSON or text), if any.
    old_value: str | None
    #: The value after, if any.
    new_value: str | None
    #: When (UTC).
    at: datetime


@dataclass(frozen=True)
class ChatState:
    """Everything edited from chat, as one snapshot."""

    #: The version this snapshot was read at.
    version: int
    #: Topics created, and config topics edited, from chat.
    topics: tuple[ChatTopic, ...] = ()
    #: Subscriptions made from chat.
    subscriptions: tuple[ChatSubscription, ...] = ()
    #: Sources added from chat.
    sources: tuple[ChatSource, ...] = ()


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
    #
    # Deliveries are grouped in lanes (one subscription × one destination).
    # A worker claims whole lanes for a lease, so one lane's alerts are sent
    # in order by one worker at a time; a dead worker's lease expires.

    async def due_deliveries(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries whose ``not_before`` has passed, oldest item first."""

    async def mark_sent(
        self, delivery_id: int | Sequence[int], message_id: str | None, now: datetime
    ) -> None:
        """Record a successful send (of one delivery, or of a digest's members)."""

    async def mark_retry(
        self, delivery_id: int | Sequence[int], error: str, not_before: datetime,
        *, count_attempt: bool = True,
    ) -> None:
        """Record a transient failure; the delivery stays pending.

        ``count_attempt=False`` (rate limits) counts it in ``throttled``
        instead of ``attempts``.
        """

    async def mark_failed(self, delivery_id: int | Sequence[int], error: str) -> None:
        """Record a permanent failure; the delivery is not tried again."""

    async def delivery_counts(self) -> dict[str, int]:
        """Number of deliveries per status."""

    async def claim_lanes(
        self, now: datetime, *, worker: str, lease: float, limit: int
    ) -> list[Lane]:
        """Claim up to ``limit`` lanes with work due, for ``lease`` seconds.

        A lane is due when it has pending deliveries, its ``next_attempt``
        has passed, no other worker's lease on it is live, and its
        subscription is not paused. Concurrent workers never get the same lane.
        """

    async def renew_lanes(
        self, lanes: Sequence[Lane], *, worker: str, until: datetime
    ) -> list[Lane]:
        """Extend ``worker``'s leases; returns the lanes it still holds."""

    async def release_lane(
        self, lane: Lane, *, worker: str, next_attempt: datetime | None
    ) -> None:
        """Give a lane back (if ``worker`` still holds it); it is due again
        at ``next_attempt`` (None: as soon as it has pending deliveries)."""

    async def lane_deliveries(self, lane: Lane, limit: int) -> list[Delivery]:
        """A lane's pending deliveries (held ones included), oldest item
        first. A delivery whose alert cannot be read is marked failed."""

    async def lane_sent_times(self, lane: Lane, since: datetime) -> list[datetime]:
        """When each message of a lane was sent since ``since`` (a digest
        counts once), oldest first."""

    async def hold_deliveries(self, ids: Sequence[int], kind: str, until: datetime) -> None:
        """Hold pending deliveries for a "digest", "quiet" hours or as
        "overflow" until ``until``."""

    async def bundle_deliveries(self, lane: Lane, ids: Sequence[int], kind: str,
                                now: datetime) -> int:
        """Collect pending deliveries of a lane into one digest message;
        returns its id (they stay pending until it is sent)."""

    async def pause_subscription(self, name: str, reason: str, *,
                                 now: datetime | None = None) -> None:
        """Stop delivering (and queueing) a subscription's alerts, saying why."""

    async def resume_subscription(self, name: str) -> bool:
        """Deliver a paused subscription's alerts again; False if it was not paused."""

    async def paused_subscriptions(self) -> dict[str, str]:
        """Paused subscriptions and the reason of each."""

    async def outbox_summary(self, *, failures: int = 5) -> OutboxSummary:
        """Counts of waiting, retrying, held, sent and failed deliveries, the
        most recent failures and the paused subscriptions."""

    async def outbox_backlog(self) -> tuple[int, datetime | None]:
        """Pending deliveries (held ones included), and when the oldest
        pending one not held was queued (None: none)."""
