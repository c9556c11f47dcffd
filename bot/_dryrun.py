"""A store view for ``--dry-run``: reads what is stored, writes nothing."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import make_url

from ._storage import make_store
from ._types import Delivery, Lane, NewItem, OutboxSummary, SearchTerm, Store
from .types import SearchHit, SourceState, StoredItem


class DryRunStore:
    """Forwards reads to a real store and drops every write.

    A SQLite database that does not exist yet is not created: an empty
    in-memory one stands in for it, so a dry run leaves no file behind.
    """

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    @classmethod
    def for_url(cls, url: str) -> DryRunStore:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database or ""
            if path in ("", ":memory:") or not os.path.exists(path):
                return cls(make_store("sqlite:///:memory:"))
        return cls(make_store(url))

    async def migrate(self) -> None:
        # Migrating an existing database changes only its schema, never its data;
        # an up-to-date schema is needed to read it.
        await self.inner.migrate()

    async def close(self) -> None:
        await self.inner.close()

    async def sync_sources(self, sources: Sequence[tuple[str, str, bool]]) -> None:
        return None

    async def get_source(self, name: str) -> SourceState | None:
        return await self.inner.get_source(name)

    async def list_sources(self) -> list[SourceState]:
        return await self.inner.list_sources()

    async def update_source(self, state: SourceState) -> None:
        return None

    async def seen(self, source: str, keys: Sequence[str], urls: Sequence[str]
                   ) -> tuple[set[str], set[str]]:
        return await self.inner.seen(source, keys, urls)

    async def save_poll(self, state: SourceState, new_items: Sequence[NewItem]) -> list[str]:
        return [n.item.key for n in new_items]

    async def recent(self, *, topics: Sequence[str] | None, since: datetime, limit: int
                     ) -> list[StoredItem]:
        return await self.inner.recent(topics=topics, since=since, limit=limit)

    async def search(self, terms: Sequence[SearchTerm], *, since: datetime | None, limit: int
                     ) -> list[SearchHit]:
        return await self.inner.search(terms, since=since, limit=limit)

    async def count_items(self, *, since: datetime | None = None) -> int:
        return await self.inner.count_items(since=since)

    async def due_deliveries(self, now: datetime, limit: int) -> list[Delivery]:
        return []

    async def mark_sent(self, delivery_id: int | Sequence[int], message_id: str | None,
                        now: datetime) -> None:
        return None

    async def mark_retry(self, delivery_id: int | Sequence[int], error: str,
                         not_before: datetime, *, count_attempt: bool = True) -> None:
        return None

    async def mark_failed(self, delivery_id: int | Sequence[int], error: str) -> None:
        return None

    async def delivery_counts(self) -> dict[str, int]:
        return await self.inner.delivery_counts()

    async def claim_lanes(self, now: datetime, *, worker: str, lease: float, limit: int
                          ) -> list[Lane]:
        return []  # a dry run sends nothing

    async def renew_lanes(self, lanes: Sequence[Lane], *, worker: str, until: datetime
                          ) -> list[Lane]:
        return list(lanes)

    async def release_lane(self, lane: Lane, *, worker: str, next_attempt: datetime | None
                           ) -> None:
        return None

    async def lane_deliveries(self, lane: Lane, limit: int) -> list[Delivery]:
        return await self.inner.lane_deliveries(lane, limit)

    async def lane_sent_times(self, lane: Lane, since: datetime) -> list[datetime]:
        return await self.inner.lane_sent_times(lane, since)

    async def hold_deliveries(self, ids: Sequence[int], kind: str, until: datetime) -> None:
        return None

    async def bundle_deliveries(self, lane: Lane, ids: Sequence[int], kind: str,
                                now: datetime) -> int:
        return 0

    async def pause_subscription(self, name: str, reason: str, *,
                                 now: datetime | None = None) -> None:
        return None

    async def resume_subscription(self, name: str) -> bool:
        return name in await self.inner.paused_subscriptions()

    async def paused_subscriptions(self) -> dict[str, str]:
        return await self.inner.paused_subscriptions()

    async def outbox_summary(self, *, failures: int = 5) -> OutboxSummary:
        return await self.inner.outbox_summary(failures=failures)

    async def outbox_backlog(self) -> tuple[int, datetime | None]:
        return await self.inner.outbox_backlog()
