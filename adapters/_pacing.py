"""Pacing shared by adapters: one send at a time per key, a minimum interval apart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any


class Pacer:
    """At most one send at a time per key (a channel, a URL), ``interval`` seconds apart.

    Shared by every subscription posting to that key: they all go through one
    adapter, hence one pacer. The clock and sleep are injectable for tests.
    """

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Wait for ``key``'s turn; the send happens inside the ``async with``."""
        async with self._locks.setdefault(key, asyncio.Lock()):
            last = self._last.get(key)
            if last is not None and (wait := last + self.interval - self.clock()) > 0:
                await self.sleep(wait)
            try:
                yield
            finally:
                # Counted from the end of the send: retries inside it (429) push it back.
                self._last[key] = self.clock()
