"""Working through the outbox: claim lanes, plan, send, record (the async half).

Alerts are queued by ``Store.save_poll`` in the same transaction as their
item, so a crash between matching and sending loses nothing. Deliveries are
grouped in lanes (one subscription × one destination); a worker claims whole
lanes for a lease (``[delivery] lease``) that it renews while it works, sends
a lane's alerts one by one in published order, and records each send before
the next. A worker that dies leaves its lanes to be taken over when the lease
expires.

What to send when (digests, quiet hours, burst roll-ups, order, retries) is
decided by the pure :func:`bot._outbox.plan_lane`; this module carries the
plan out and turns send failures into retries, failures and paused
subscriptions. Pacing per channel is each adapter's: they know their
platform's limits.

Crash window: a crash after a message left but before its send was recorded
sends it again on restart, at most once per crash. Destinations receive a
stable idempotency key (``alert.idempotency_key``) so that
platforms with idempotency (Discord nonces, webhook receivers) drop the
duplicate.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ._dbhealth import DatabaseHealth
from ._destinations import Destinations
from ._metrics import NO_METRICS, FailureReason, Metrics
from ._outbox import (
    Hold,
    LanePlan,
    Send,
    digest_alert,
    lane_options,
    make_digest,
    plan_lane,
    retry_delay,
)
from ._types import Delivery, Lane, Store
from .config import DeliveryConfig
from .exceptions import DeliveryError, StorageError, UnknownDestinationError, VigieError

log = logging.getLogger(__name__)

__all__ = [
    "MAX_ATTEMPTS",
    "Deliverer",
    "DeliverySettings",
    "DeliveryStats",
    "redact_destination",
    "retry_delay",
]

#: Failed sends (rate limits aside) after which a delivery fails, by default.
MAX_ATTEMPTS = DeliveryConfig.max_attempts
#: Longest wait between two tries of a rate-limited send, whatever the count.
MAX_THROTTLE_DELAY = 300.0
#: A lane is not sent to when its lease has less than this share left.
_LEASE_MARGIN = 0.2
#: Plans carried out for one lane before it is given back to let others go.
_MAX_ROUNDS = 100
#: Returned by a send that paused its subscription: the lane stops there.
_PAUSED = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DeliverySettings:
    """How one worker goes through the outbox (see :class:`bot.config.DeliveryConfig`)."""

    batch: int = DeliveryConfig.batch
    concurrency: int = DeliveryConfig.concurrency
    max_attempts: int = DeliveryConfig.max_attempts
    lease: float = DeliveryConfig.lease
    retry_min: float = DeliveryConfig.retry_min
    retry_max: float = DeliveryConfig.retry_max

    @classmethod
    def from_config(cls, config: DeliveryConfig) -> DeliverySettings:
        return cls(batch=config.batch, concurrency=config.concurrency,
                   max_attempts=config.max_attempts, lease=config.lease,
                   retry_min=config.retry_min, retry_max=config.retry_max)


@dataclass(frozen=True)
class DeliveryStats:
    """What one pass over the outbox did."""

    #: Messages sent (an alert, or a digest of several).
    sent: int = 0
    #: Sends that failed transiently and will be retried.
    retried: int = 0
    #: Deliveries that failed for good.
    failed: int = 0
    #: Deliveries newly held for a digest, quiet hours or a roll-up.
    held: int = 0
    #: Subscriptions paused by a permanent failure.
    paused: tuple[str, ...] = ()


@dataclass
class _Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    paused: list[str] = field(default_factory=list)

    def stats(self) -> DeliveryStats:
        return DeliveryStats(self.sent, self.retried, self.failed, self.held,
                             tuple(self.paused))


def redact_destination(destination: str) -> str:
    """A destination fit for logs: a URL target (webhooks, whose URL is a
    secret) is cut to its scheme and host."""
    scheme, _, target = destination.partition(":")
    if "://" not in target:
        return destination
    proto, _, rest = target.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}:{proto}://{host}/…"


#: Called when a subscription is paused: (subscription, destination, reason).
PauseHook = Callable[[str, str, str], Awaitable[None]]


class Deliverer:
    """Works through the outbox for one process: claims due lanes, carries
    out their plans, and records every outcome.

    ``on_pause`` (optional) is awaited when a permanent failure pauses a
    subscription, so the chat layer can tell the channel's admins; the
    pause is always logged.
    """

    def __init__(
        self, store: Store, destinations: Destinations, clock: Callable[[], datetime], *,
        settings: DeliverySettings | None = None, worker: str | None = None,
        rand: Callable[[], float] = random.random, on_pause: PauseHook | None = None,
        health: DatabaseHealth | None = None, metrics: Metrics = NO_METRICS,
    ) -> None:
        self.store = store
        self.destinations = destinations
        self.clock = clock
        self.settings = settings or DeliverySettings()
        #: This worker's name in lane leases: host, process and a random part.
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.rand = rand
        self.on_pause = on_pause
        #: Where a pass that the database stopped is reported (once per trouble).
        self.health = health or DatabaseHealth()
        #: Where sends, failures and rate limits are counted.
        self.metrics = metrics
        # One pass at a time per process; lanes are what several processes share.
        self._lock = asyncio.Lock()
        self._stopping = False

    def stop(self) -> None:
        """Claim nothing more; lanes being worked on stop after their current send."""
        self._stopping = True

    def resume(self) -> None:
        """Undo :meth:`stop`."""
        self._stopping = False

    async def deliver_due(self, *, batch: int | None = None,
                          settings: DeliverySettings | None = None,
                          if_idle: bool = False) -> DeliveryStats:
        """Work through every lane that has something due, then return.

        ``if_idle``: return at once if a pass is already running (it will
        pick up what became due). Never raises for a send; a storage failure
        ends the pass (reported to :attr:`health`, once per trouble), and the
        lanes it held are taken over when their leases expire.
        """
        s = settings or self.settings
        if batch is not None:
            s = dataclasses.replace(s, batch=batch)
        if if_idle and self._lock.locked():
            return DeliveryStats()
        async with self._lock:
            tally = _Tally()
            try:
                await self._pass(s, tally)
            except StorageError as e:
                self.health.failed("delivery", e)
            else:
                self.health.worked("delivery")
            return tally.stats()

    async def _pass(self, s: DeliverySettings, tally: _Tally) -> None:
        active: dict[asyncio.Task[None], Lane] = {}
        leases: dict[Lane, datetime] = {}
        heartbeat = asyncio.create_task(self._heartbeat(leases, s))
        try:
            more = True
            while True:
                free = s.concurrency - len(active)
                if more and free > 0 and not self._stopping:
                    now = self.clock()
                    lanes = await self.store.claim_lanes(
                        now, worker=self.worker, lease=s.lease, limit=free)
                    more = bool(lanes)
                    for lane in lanes:
                        leases[lane] = now + timedelta(seconds=s.lease)
                        task = asyncio.create_task(self._work(lane, s, tally, leases))
                        active[task] = lane
                if not active:
                    break
                done, _ = await asyncio.wait(set(active), return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    lane = active.pop(task)
                    leases.pop(lane, None)
                    if not task.cancelled() and task.exception() is not None:
                        log.error("delivery to %s stopped: %s",
                                  redact_destination(lane.destination), task.exception())
                # Lanes may have become due while these were worked on.
                more = True
        finally:
            heartbeat.cancel()
            for task in active:
                task.cancel()
            await asyncio.gather(heartbeat, *active, return_exceptions=True)

    async def _heartbeat(self, leases: dict[Lane, datetime], s: DeliverySettings) -> None:
        """Renew the leases of the lanes being worked on, every third of a lease."""
        while True:
            await asyncio.sleep(s.lease / 3)
            if not leases:
                continue
            until = self.clock() + timedelta(seconds=s.lease)
            try:
                held = set(await self.store.renew_lanes(list(leases), worker=self.worker,
                                                        until=until))
            except StorageError as e:
                log.warning("cannot renew delivery leases: %s", e.user_message)
                continue
            for lane in list(leases):
                if lane in held:
                    leases[lane] = until
                else:
                    # Taken over after our lease ran out: stop before the next send.
                    leases[lane] = self.clock()

    def _lease_ok(self, lane: Lane, leases: dict[Lane, datetime], s: DeliverySettings) -> bool:
        until = leases.get(lane)
        return until is not None and self.clock() < until - timedelta(
            seconds=s.lease * _LEASE_MARGIN)

    async def _work(self, lane: Lane, s: DeliverySettings, tally: _Tally,
                    leases: dict[Lane, datetime]) -> None:
        """Carry out a lane's plans until nothing is due, then give it back."""
        next_attempt: datetime | None = None
        try:
            for _ in range(_MAX_ROUNDS):
                queue = await self.store.lane_deliveries(lane, s.batch)
                if not queue:
                    next_attempt = None
                    break
                now = self.clock()
                sent: Sequence[datetime] = ()
                limit = lane_options(queue).limit
                if limit is not None:
                    sent = await self.store.lane_sent_times(
                        lane, now - timedelta(seconds=limit.per_seconds))
                plan = plan_lane(queue, now, sent)
                progressed, stop_at = await self._carry_out(lane, plan, s, tally, leases)
                if stop_at is _PAUSED:
                    next_attempt = None  # not claimed while paused; due at once on resume
                    break
                if stop_at is not None or not progressed:
                    next_attempt = _earliest(stop_at, plan.wake)
                    if self._stopping:
                        next_attempt = None  # for whoever runs next
                    elif next_attempt is None or next_attempt <= self.clock():
                        # Something is left (a lease ran out): soon, not at once.
                        next_attempt = self.clock() + timedelta(seconds=s.retry_min)
                    break
                if self._stopping:
                    break
            else:
                next_attempt = None  # plenty left: due again at once, after the others
        finally:
            try:
                await asyncio.shield(self.store.release_lane(
                    lane, worker=self.worker, next_attempt=next_attempt))
            except StorageError as e:
                log.warning("cannot release a delivery lane: %s", e.user_message)

    async def _carry_out(self, lane: Lane, plan: LanePlan, s: DeliverySettings,
                         tally: _Tally, leases: dict[Lane, datetime]
                         ) -> tuple[bool, datetime | None]:
        """Carry out a plan's actions in order.

        Returns whether anything was done, and when to look at the lane again
        if it had to stop early (a failure, a lost lease, a stop); ``_PAUSED``
        when its subscription was paused.
        """
        progressed = False
        for action in plan.actions:
            if isinstance(action, Hold):
                await self.store.hold_deliveries(action.ids, action.kind, action.until)
                tally.held += len(action.ids)
                progressed = True
                continue
            if self._stopping or not self._lease_ok(lane, leases, s):
                return progressed, self.clock()
            retry_at = await self._send(lane, action, s, tally)
            if retry_at is not None:
                return progressed, retry_at
            progressed = True
        return progressed, None

    async def _send(self, lane: Lane, send: Send, s: DeliverySettings, tally: _Tally
                    ) -> datetime | None:
        """Send one alert or one digest and record the outcome.

        Returns None to go on with the lane, when to try it again, or
        ``_PAUSED`` when a permanent failure paused the subscription.
        """
        deliveries = send.deliveries
        ids = send.ids
        try:
            destination = self.destinations.get(lane.destination)
            if send.kind is None:
                message_id = await destination.send(deliveries[0].alert)
            else:
                digest_id = send.digest_id
                if digest_id is None:
                    digest_id = await self.store.bundle_deliveries(lane, ids, send.kind,
                                                                   self.clock())
                newest = max(deliveries, key=lambda d: d.id)
                digest = make_digest(send.kind, lane.subscription, lane.destination,
                                     [d.alert for d in deliveries], newest.alert.options)
                send_digest = getattr(destination, "send_digest", None)
                if callable(send_digest):
                    message_id = await send_digest(digest)
                else:
                    message_id = await destination.send(digest_alert(digest))
        except UnknownDestinationError as e:
            self.metrics.alert_failed(lane.destination, "unknown_destination")
            await self._give_up(lane, deliveries, e.user_message, tally, pause=True)
            return _PAUSED
        except DeliveryError as e:
            if not e.transient:
                self.metrics.alert_failed(lane.destination, "permanent")
                await self._give_up(lane, deliveries, e.message, tally, pause=True)
                return _PAUSED
            return await self._retry(lane, deliveries, e.message, e.retry_after, s, tally)
        except StorageError:
            raise
        except VigieError as e:
            return await self._retry(lane, deliveries, e.user_message, None, s, tally)
        except Exception as e:
            # An adapter's bug must not stop the outbox: retried, and counted.
            log.exception("sending to %s raised", redact_destination(lane.destination))
            return await self._retry(lane, deliveries, f"internal error ({type(e).__name__})",
                                     None, s, tally, reason="internal")
        await self.store.mark_sent(ids, message_id, self.clock())
        self.metrics.alert_sent(lane.destination)
        tally.sent += 1
        return None

    async def _retry(self, lane: Lane, deliveries: Sequence[Delivery], error: str,
                     retry_after: float | None, s: DeliverySettings, tally: _Tally,
                     *, reason: FailureReason = "transient") -> datetime | None:
        ids = [d.id for d in deliveries]
        now = self.clock()
        if retry_after is not None:
            self.metrics.rate_limited(lane.destination)
            # The platform said when: a rate limit never uses up the attempts.
            throttled = max(d.throttled for d in deliveries) + 1
            delay = retry_delay(throttled, retry_after, base=s.retry_min,
                                cap=min(s.retry_max, MAX_THROTTLE_DELAY), rand=self.rand)
            await self.store.mark_retry(ids, error, now + timedelta(seconds=delay),
                                        count_attempt=False)
            tally.retried += 1
            return now + timedelta(seconds=delay)
        attempts = max(d.attempts for d in deliveries) + 1
        self.metrics.alert_failed(lane.destination,
                                  "gave_up" if attempts >= s.max_attempts else reason)
        if attempts >= s.max_attempts:
            await self._give_up(lane, deliveries, f"{error} (gave up after {attempts} attempts)",
                                tally, pause=False)
            return None
        delay = retry_delay(attempts, None, base=s.retry_min, cap=s.retry_max, rand=self.rand)
        await self.store.mark_retry(ids, error, now + timedelta(seconds=delay))
        tally.retried += 1
        return now + timedelta(seconds=delay)

    async def _give_up(self, lane: Lane, deliveries: Sequence[Delivery], reason: str,
                       tally: _Tally, *, pause: bool) -> None:
        await self.store.mark_failed([d.id for d in deliveries], reason)
        tally.failed += len(deliveries)
        where = redact_destination(lane.destination)
        if not pause:
            log.error("an alert of subscription %s could not be delivered to %s: %s",
                      lane.subscription, where, reason)
            return
        await self.store.pause_subscription(lane.subscription, reason, now=self.clock())
        tally.paused.append(lane.subscription)
        log.error(
            "subscription %s is paused: Vigie cannot post to %s: %s. Its pending alerts are "
            "kept; fix the problem, then resume the subscription to get them.",
            lane.subscription, where, reason)
        if self.on_pause is not None:
            try:
                await self.on_pause(lane.subscription, lane.destination, reason)
            except Exception:
                log.exception("telling the admins about the paused subscription %s failed",
                              lane.subscription)


def _earliest(*times: datetime | None) -> datetime | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None
