"""Sending queued alerts from the outbox to their destinations.

Alerts are queued by ``Store.save_poll`` in the same transaction as their
item, so a crash between matching and sending loses nothing: the next run
sends what is still pending.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ._destinations import Destinations
from ._types import Store
from .exceptions import DeliveryError, UnknownDestinationError, VigieError

log = logging.getLogger(__name__)

#: Transient failures are retried this many times before the delivery fails.
MAX_ATTEMPTS = 8


def retry_delay(attempts: int, retry_after: float | None = None,
                rand: Callable[[], float] = random.random) -> float:
    """Seconds before retrying a delivery that failed ``attempts`` times.

    Exponential from 5 s, capped at 30 min, with ±25 % jitter; a platform's
    Retry-After wins when it asks for longer.
    """
    base = min(5.0 * 2.0 ** max(0, attempts - 1), 1800.0)
    delay: float = base * (0.75 + rand() / 2)
    return max(delay, retry_after or 0.0)


@dataclass(frozen=True)
class DeliveryStats:
    """What one pass over the outbox did."""

    #: Deliveries sent.
    sent: int = 0
    #: Deliveries that failed transiently and will be retried.
    retried: int = 0
    #: Deliveries that failed for good.
    failed: int = 0


class Deliverer:
    """Drains due deliveries from the store into destinations."""

    def __init__(self, store: Store, destinations: Destinations,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.destinations = destinations
        self.clock = clock
        # Two passes at once (after two polls) would send the same pending row twice.
        self._lock = asyncio.Lock()

    async def deliver_due(self, *, batch: int = 100) -> DeliveryStats:
        """Send every due delivery once; returns counts. Never raises for a send."""
        async with self._lock:
            return await self._deliver_due(batch)

    async def _deliver_due(self, batch: int) -> DeliveryStats:
        sent = retried = failed = 0
        while True:
            due = await self.store.due_deliveries(self.clock(), batch)
            if not due:
                break
            progress = False
            for delivery in due:
                alert = delivery.alert
                try:
                    message_id = await self.destinations.get(alert.destination).send(alert)
                except UnknownDestinationError as e:
                    await self.store.mark_failed(delivery.id, e.user_message)
                    failed += 1
                except DeliveryError as e:
                    attempts = delivery.attempts + 1
                    if e.transient and attempts < MAX_ATTEMPTS:
                        not_before = self.clock() + timedelta(
                            seconds=retry_delay(attempts, e.retry_after))
                        await self.store.mark_retry(delivery.id, e.user_message, not_before)
                        retried += 1
                    else:
                        await self.store.mark_failed(delivery.id, e.user_message)
                        log.error("delivery to %s failed for good: %s",
                                  alert.destination, e.user_message)
                        failed += 1
                except VigieError as e:
                    await self.store.mark_retry(
                        delivery.id, e.user_message,
                        self.clock() + timedelta(seconds=retry_delay(delivery.attempts + 1)))
                    retried += 1
                else:
                    await self.store.mark_sent(delivery.id, message_id, self.clock())
                    sent += 1
                    progress = True
            if not progress or len(due) < batch:
                break
        return DeliveryStats(sent, retried, failed)
