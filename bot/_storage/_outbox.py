"""The outbox: deliveries queued by polls, the lanes workers claim,
holds and digests, paused subscriptions, and the summary ``status`` shows.

(The pure decisions about what to send when are in ``bot._outbox``.)
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from .._types import Delivery, FailedDelivery, Lane, OutboxSummary
from ..types import Alert
from ._base import MAX_ERROR_CHARS, StoreBase, aware, chunks, clean, clean_item, clean_opt, utcnow
from ._codec import decode_alert, encode_alert
from ._tables import deliveries, delivery_lanes, digests, items, subscription_state

__all__ = ["OutboxMixin", "queue_alerts"]

log = logging.getLogger(__name__)


class OutboxMixin(StoreBase):
    """The outbox part of :class:`bot._storage.SQLStore`."""

    # -- deliveries --

    async def due_deliveries(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries whose ``not_before`` has passed, oldest item
        (published, else first seen) first, then in queueing order.

        A delivery whose stored alert cannot be read is marked failed, so it
        cannot block the outbox.
        """
        aware(now, "now")
        d = deliveries
        return await self._pending(
            sa.or_(d.c.not_before.is_(None), d.c.not_before <= now), limit=limit)

    async def _pending(self, *where: Any, limit: int) -> list[Delivery]:
        """Up to ``limit`` pending deliveries meeting ``where``, oldest item
        (published, else first seen) first, then in queueing order; those
        whose alert cannot be read are marked failed instead."""
        if limit <= 0:
            return []
        d = deliveries
        stmt = (
            sa.select(*d.c)
            .join(items, items.c.id == d.c.item_id)
            .where(d.c.status == "pending", *where)
            .order_by(sa.func.coalesce(items.c.published, items.c.first_seen), d.c.id)
            .limit(limit)
        )
        async with self._read("cannot read the outbox") as conn:
            rows = (await conn.execute(stmt)).all()
        return await self._decoded(rows)

    @staticmethod
    def _ids(delivery_id: int | Sequence[int]) -> list[int]:
        return [delivery_id] if isinstance(delivery_id, int) else list(delivery_id)

    async def _mark(
        self, delivery_id: int | Sequence[int], what: str, *, pending_only: bool,
        count: str = "attempts", **values: Any,
    ) -> None:
        ids = self._ids(delivery_id)
        if not ids:
            return
        if isinstance(values.get("last_error"), str):
            values["last_error"] = clean(values["last_error"])[:MAX_ERROR_CHARS]
        values[count] = deliveries.c[count] + 1
        async with self._write(what) as conn:
            for chunk in chunks(ids):
                stmt = sa.update(deliveries).where(deliveries.c.id.in_(chunk))
                if pending_only:
                    # A late failure report never takes back a send recorded meanwhile.
                    stmt = stmt.where(deliveries.c.status == "pending")
                await conn.execute(stmt.values(**values))

    async def mark_sent(
        self, delivery_id: int | Sequence[int], message_id: str | None, now: datetime
    ) -> None:
        """Record a successful send (of one delivery, or of a digest's members)."""
        await self._mark(
            delivery_id, "cannot record a delivery", pending_only=False,
            status="sent", message_id=clean_opt(message_id), sent_at=aware(now, "now"),
            not_before=None,
        )

    async def mark_retry(
        self, delivery_id: int | Sequence[int], error: str, not_before: datetime,
        *, count_attempt: bool = True,
    ) -> None:
        """Record a transient failure; the delivery stays pending (a delivery
        already sent or failed is left as it is). ``count_attempt=False`` (a
        rate limit) counts it in ``throttled`` instead of ``attempts``."""
        await self._mark(
            delivery_id, "cannot record a delivery failure", pending_only=True,
            count="attempts" if count_attempt else "throttled",
            last_error=error, not_before=aware(not_before, "not_before"),
        )

    async def mark_failed(self, delivery_id: int | Sequence[int], error: str) -> None:
        """Record a permanent failure; the delivery is not tried again (a
        delivery already sent is left as it is)."""
        await self._mark(
            delivery_id, "cannot record a delivery failure", pending_only=True,
            status="failed", last_error=error,
        )

    async def delivery_counts(self) -> dict[str, int]:
        """Number of deliveries per status; always has pending, sent and failed."""
        stmt = sa.select(deliveries.c.status, sa.func.count()).group_by(deliveries.c.status)
        counts = {"pending": 0, "sent": 0, "failed": 0}
        async with self._read("cannot count deliveries") as conn:
            for status, n in (await conn.execute(stmt)).all():
                counts[status] = int(n)
        return counts

    # -- lanes --

    @staticmethod
    def _lane_is(lane: Lane) -> Any:
        return sa.and_(
            delivery_lanes.c.subscription == lane.subscription,
            delivery_lanes.c.destination == lane.destination,
        )

    async def claim_lanes(
        self, now: datetime, *, worker: str, lease: float, limit: int
    ) -> list[Lane]:
        """Claim up to ``limit`` lanes with work due, for ``lease`` seconds.

        Due: pending deliveries, ``next_attempt`` passed, no live lease, the
        subscription not paused; those waiting longest first. On PostgreSQL
        the lanes are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent
        workers skip each other's; on SQLite the claim runs under the
        database's write lock.
        """
        aware(now, "now")
        if limit <= 0:
            return []
        ln, d, st = delivery_lanes, deliveries, subscription_state
        pending = sa.exists().where(
            d.c.subscription == ln.c.subscription, d.c.destination == ln.c.destination,
            d.c.status == "pending",
        )
        paused = sa.exists().where(
            st.c.name == ln.c.subscription, st.c.paused_reason.is_not(None)
        )
        stmt = (
            sa.select(ln.c.subscription, ln.c.destination)
            .where(
                sa.or_(ln.c.claimed_until.is_(None), ln.c.claimed_until < now),
                sa.or_(ln.c.next_attempt.is_(None), ln.c.next_attempt <= now),
                pending,
                ~paused,
            )
            .order_by(ln.c.next_attempt.asc().nulls_first(), ln.c.subscription,
                      ln.c.destination)
            .limit(limit)
        )
        if not self._sqlite:
            stmt = stmt.with_for_update(of=ln, skip_locked=True)
        until = now + timedelta(seconds=lease)
        async with self._write("cannot claim deliveries") as conn:
            lanes = [Lane(r.subscription, r.destination)
                     for r in (await conn.execute(stmt)).all()]
            for lane in lanes:
                await conn.execute(
                    sa.update(ln).where(self._lane_is(lane))
                    .values(claimed_by=worker, claimed_until=until)
                )
        return lanes

    async def renew_lanes(
        self, lanes: Sequence[Lane], *, worker: str, until: datetime
    ) -> list[Lane]:
        """Extend ``worker``'s leases; returns the lanes it still holds."""
        aware(until, "until")
        held: list[Lane] = []
        async with self._write("cannot renew a lease") as conn:
            for lane in lanes:
                result = await conn.execute(
                    sa.update(delivery_lanes)
                    .where(self._lane_is(lane), delivery_lanes.c.claimed_by == worker)
                    .values(claimed_until=until)
                )
                if result.rowcount:
                    held.append(lane)
        return held

    async def release_lane(
        self, lane: Lane, *, worker: str, next_attempt: datetime | None
    ) -> None:
        """Give a lane back (if ``worker`` still holds it); it is due again
        at ``next_attempt`` (None: as soon as it has pending deliveries)."""
        if next_attempt is not None:
            aware(next_attempt, "next_attempt")
        async with self._write("cannot release a lane") as conn:
            await conn.execute(
                sa.update(delivery_lanes)
                .where(self._lane_is(lane), delivery_lanes.c.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None, next_attempt=next_attempt)
            )

    def _delivery(self, row: Row[Any], alert: Alert) -> Delivery:
        return Delivery(
            id=row.id, alert=alert, status=row.status, attempts=row.attempts,
            last_error=row.last_error, not_before=row.not_before, message_id=row.message_id,
            created_at=row.created_at, hold=row.hold, digest_id=row.digest_id,
            throttled=row.throttled,
        )

    async def _decoded(self, rows: Sequence[Row[Any]]) -> list[Delivery]:
        out: list[Delivery] = []
        for row in rows:
            try:
                alert: Alert = decode_alert(row.alert)
            except ValueError as exc:
                log.error("delivery %d has an unreadable alert (%s); marked failed", row.id, exc)
                await self.mark_failed(row.id, f"unreadable alert: {exc}")
                continue
            out.append(self._delivery(row, alert))
        return out

    async def lane_deliveries(self, lane: Lane, limit: int) -> list[Delivery]:
        """A lane's pending deliveries (held ones included), oldest item
        (published, else first seen) first. A delivery whose alert cannot be
        read is marked failed."""
        d = deliveries
        return await self._pending(
            d.c.subscription == lane.subscription, d.c.destination == lane.destination,
            limit=limit)

    async def lane_sent_times(self, lane: Lane, since: datetime) -> list[datetime]:
        """When each message of a lane was sent since ``since`` (a digest
        counts once), oldest first."""
        d = deliveries
        stmt = sa.select(d.c.sent_at, d.c.digest_id).where(
            d.c.subscription == lane.subscription, d.c.destination == lane.destination,
            d.c.status == "sent", d.c.sent_at >= aware(since, "since"),
        )
        async with self._read("cannot read the outbox") as conn:
            rows = (await conn.execute(stmt)).all()
        singles = [r.sent_at for r in rows if r.digest_id is None]
        collected: dict[int, datetime] = {}
        for r in rows:
            if r.digest_id is not None:
                collected[r.digest_id] = max(r.sent_at, collected.get(r.digest_id, r.sent_at))
        return sorted([*singles, *collected.values()])

    async def hold_deliveries(self, ids: Sequence[int], kind: str, until: datetime) -> None:
        """Hold pending deliveries for a "digest", "quiet" hours or as
        "overflow" until ``until`` (deliveries already collected are left alone)."""
        aware(until, "until")
        async with self._write("cannot hold deliveries") as conn:
            for chunk in chunks(list(ids)):
                await conn.execute(
                    sa.update(deliveries)
                    .where(deliveries.c.id.in_(chunk), deliveries.c.status == "pending",
                           deliveries.c.digest_id.is_(None))
                    .values(hold=kind, not_before=until)
                )

    async def bundle_deliveries(self, lane: Lane, ids: Sequence[int], kind: str,
                                now: datetime) -> int:
        """Collect pending deliveries of a lane into one digest message;
        returns its id (they stay pending until it is sent)."""
        aware(now, "now")
        async with self._write("cannot collect deliveries") as conn:
            digest_id = int((await conn.execute(
                sa.insert(digests).values(
                    subscription=lane.subscription, destination=lane.destination, kind=kind,
                    created_at=now,
                ).returning(digests.c.id)
            )).scalar_one())
            for chunk in chunks(list(ids)):
                await conn.execute(
                    sa.update(deliveries)
                    .where(deliveries.c.id.in_(chunk), deliveries.c.status == "pending",
                           deliveries.c.digest_id.is_(None))
                    .values(digest_id=digest_id, hold=kind)
                )
        return digest_id

    # -- paused subscriptions and the summary --

    async def pause_subscription(self, name: str, reason: str, *,
                                 now: datetime | None = None) -> None:
        """Stop delivering (and queueing) a subscription's alerts, saying why.

        Its pending deliveries stay queued, to go out once it is resumed.
        """
        at = aware(now, "now") if now is not None else utcnow()
        values = {"paused_reason": clean(reason)[:MAX_ERROR_CHARS], "paused_at": at}
        async with self._write("cannot pause a subscription") as conn:
            await conn.execute(
                self._insert(subscription_state).values(name=name, **values)
                .on_conflict_do_update(index_elements=["name"], set_=values)
            )

    async def resume_subscription(self, name: str) -> bool:
        """Deliver a paused subscription's alerts again (its lanes are due at
        once); False if it was not paused."""
        st = subscription_state
        async with self._write("cannot resume a subscription") as conn:
            result = await conn.execute(
                sa.delete(st).where(st.c.name == name, st.c.paused_reason.is_not(None))
            )
            await conn.execute(
                sa.update(delivery_lanes).where(delivery_lanes.c.subscription == name)
                .values(next_attempt=None)
            )
        return bool(result.rowcount)

    async def paused_subscriptions(self) -> dict[str, str]:
        """Paused subscriptions and the reason of each."""
        st = subscription_state
        async with self._read("cannot read the subscriptions' state") as conn:
            rows = (await conn.execute(
                sa.select(st.c.name, st.c.paused_reason)
                .where(st.c.paused_reason.is_not(None)).order_by(st.c.name)
            )).all()
        return {r.name: r.paused_reason for r in rows}

    async def outbox_summary(self, *, failures: int = 5) -> OutboxSummary:
        """Counts of waiting, retrying, held, sent and failed deliveries, the
        ``failures`` most recent failures and the paused subscriptions."""
        d = deliveries
        bucket = sa.case(
            (sa.and_(d.c.status == "pending", d.c.last_error.is_not(None)), "retrying"),
            (sa.and_(d.c.status == "pending", d.c.hold.is_not(None)), "held"),
            (d.c.status == "pending", "waiting"),
            else_=d.c.status,
        ).label("bucket")
        counts: dict[str, int] = {}
        async with self._read("cannot read the outbox") as conn:
            for name, n in (await conn.execute(
                sa.select(bucket, sa.func.count()).group_by(bucket)
            )).all():
                counts[str(name)] = int(n)
            rows = (await conn.execute(
                sa.select(d.c.subscription, d.c.destination, d.c.last_error, items.c.title)
                .join(items, items.c.id == d.c.item_id)
                .where(d.c.status == "failed").order_by(d.c.id.desc()).limit(max(0, failures))
            )).all()
        return OutboxSummary(
            waiting=counts.get("waiting", 0), retrying=counts.get("retrying", 0),
            held=counts.get("held", 0), sent=counts.get("sent", 0),
            failed=counts.get("failed", 0),
            failures=tuple(FailedDelivery(r.subscription, r.destination, r.title,
                                          r.last_error or "unknown error") for r in rows),
            paused=await self.paused_subscriptions(),
        )

    async def outbox_backlog(self) -> tuple[int, datetime | None]:
        """How many deliveries are pending (held ones included), and when the
        oldest pending one that is not held (for a digest, quiet hours or a
        roll-up) was queued; None when there is none."""
        d = deliveries
        async with self._read("cannot read the outbox") as conn:
            pending = (await conn.execute(
                sa.select(sa.func.count()).where(d.c.status == "pending"))).scalar_one()
            oldest = (await conn.execute(
                sa.select(sa.func.min(d.c.created_at))
                .where(d.c.status == "pending", d.c.hold.is_(None)))).scalar_one()
        return int(pending), oldest


async def queue_alerts(
    store: StoreBase, conn: AsyncConnection, alerts: Sequence[tuple[int, Alert]], now: datetime
) -> None:
    """Queue the alerts of stored items, given as (item id, alert), in
    ``conn``'s transaction, with their lanes; an alert whose (item,
    destination) is already queued is skipped."""
    rows = [
        {
            "item_id": item_id,
            "subscription": clean(alert.subscription),
            "destination": clean(alert.destination),
            "alert": encode_alert(dataclasses.replace(alert, item=clean_item(alert.item))),
            "status": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for item_id, alert in alerts
    ]
    for row_chunk in chunks(rows):
        await conn.execute(
            store._insert(deliveries)
            .values(list(row_chunk))
            .on_conflict_do_nothing(index_elements=["item_id", "destination"])
        )
    lanes = sorted({(r["subscription"], r["destination"]) for r in rows})
    for lane_chunk in chunks(lanes):
        await conn.execute(
            store._insert(delivery_lanes)
            .values([{"subscription": s, "destination": d} for s, d in lane_chunk])
            .on_conflict_do_nothing(index_elements=["subscription", "destination"])
        )
