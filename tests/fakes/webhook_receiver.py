"""A local webhook receiver: checks Vigie's signature and records what it accepts.

Usage::

    async with WebhookReceiver(secret) as hook:
        url = hook.url("/news")                  # webhook:<url> in the config
        hook.script("/news", [429, 429, 500])    # the next answers there (then 200)
        hook.delay = 0.05                        # record, wait, then answer
        hook.hold_after = 12                     # record the 13th on, answer at release()
        ...
        hook.accepted("/news")                   # bodies of accepted requests, in order
        hook.keys("/news")                       # their Idempotency-Key values
        await hook.wait_unique(10)               # until 10 distinct keys were accepted

A request whose signature or timestamp is wrong gets 401 and is kept in
``rejected``; so is one that the script answers with a non-2xx status. With
``delay``, an accepted request is recorded *before* the answer, as a real
receiver commits before answering: a client killed meanwhile will send it
again, with the same key. With ``hold_after``, the requests accepted beyond
that count are recorded and then left unanswered until :meth:`release`: the
same window, held open for as long as a test needs.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

#: Requests older (or newer) than this are refused as replays.
MAX_SKEW = 300


@dataclass(frozen=True)
class Received:
    """One request."""

    path: str
    key: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int


class WebhookReceiver:
    """An aiohttp server on 127.0.0.1 and a free port."""

    def __init__(self, secret: str, host: str = "127.0.0.1") -> None:
        self.secret = secret
        self.host = host
        self.port = 0
        #: Accepted requests (2xx), in arrival order.
        self.received: list[Received] = []
        #: Refused requests (bad signature, scripted errors).
        self.rejected: list[Received] = []
        #: Seconds between recording an accepted request and answering it.
        self.delay = 0.0
        #: Once this many requests were accepted, the next ones are recorded and
        #: then held unanswered until :meth:`release`.
        self.hold_after: int | None = None
        self._released = asyncio.Event()
        self._script: dict[str, deque[tuple[int, str | None]]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def script(self, path: str, answers: Iterable[int | tuple[int, str | None]]) -> None:
        """Answer the next requests to ``path`` with these statuses (a pair
        adds a Retry-After value); 200 after them."""
        for answer in answers:
            self._script[path].append(answer if isinstance(answer, tuple) else (answer, None))

    def accepted(self, path: str | None = None) -> list[dict[str, Any]]:
        return [r.body for r in self.received if path is None or r.path == path]

    def keys(self, path: str | None = None) -> list[str]:
        return [r.key for r in self.received if path is None or r.path == path]

    def unique(self, path: str | None = None) -> list[dict[str, Any]]:
        """Accepted bodies with duplicates (same key) dropped, first seen kept."""
        seen: set[str] = set()
        out = []
        for r in self.received:
            if (path is None or r.path == path) and r.key not in seen:
                seen.add(r.key)
                out.append(r.body)
        return out

    async def wait_unique(self, n: int, timeout: float = 30.0) -> None:
        """Wait until ``n`` distinct keys were accepted (all paths)."""
        async with asyncio.timeout(timeout):
            while len({r.key for r in self.received}) < n:
                self._changed.clear()
                await self._changed.wait()

    def release(self) -> None:
        """Answer the held requests (those whose client is still there) and hold no more."""
        self.hold_after = None
        self._released.set()
        self._released = asyncio.Event()

    async def wait_received(self, n: int, timeout: float = 30.0) -> None:
        """Wait until ``n`` requests were accepted in all (duplicates included)."""
        async with asyncio.timeout(timeout):
            while len(self.received) < n:
                self._changed.clear()
                await self._changed.wait()

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        headers = dict(request.headers)
        key = request.headers.get("Idempotency-Key", "")
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        signature = request.headers.get("X-Vigie-Signature", "")
        stamp = request.headers.get("X-Vigie-Timestamp", "")
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= MAX_SKEW
        if not hmac.compare_digest(expected, signature) or not fresh \
                or body.get("timestamp") != (int(stamp) if stamp.isdigit() else None) \
                or body.get("id") != key:
            self.rejected.append(Received(request.path, key, body, headers, 401))
            self._changed.set()
            return web.json_response({"error": "bad signature"}, status=401)
        script = self._script.get(request.path)
        if script:
            status, retry_after = script.popleft()
            if not 200 <= status < 300:
                self.rejected.append(Received(request.path, key, body, headers, status))
                self._changed.set()
                extra = {"Retry-After": retry_after} if retry_after is not None else {}
                return web.json_response({"error": "scripted"}, status=status, headers=extra)
        self.received.append(Received(request.path, key, body, headers, 200))
        self._changed.set()
        if self.hold_after is not None and len(self.received) > self.hold_after:
            await self._released.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response({"id": f"msg-{len(self.received)}"})
