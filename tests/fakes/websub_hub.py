"""A local WebSub hub, for Vigie's WebSub subscriber.

Written without internet access from the W3C WebSub Recommendation
(https://www.w3.org/TR/websub/):

- §5.1: a subscriber POSTs ``application/x-www-form-urlencoded`` with
  ``hub.callback``, ``hub.mode`` (``subscribe`` or ``unsubscribe``),
  ``hub.topic``, and optionally ``hub.lease_seconds`` and ``hub.secret``
  (under 200 bytes); a bad request gets 4xx, a good one 202 Accepted;
- §5.3: the hub then verifies the intent with a GET of the callback with
  ``hub.mode``, ``hub.topic``, ``hub.challenge`` (random) and, for a
  subscription, ``hub.lease_seconds`` (the lease granted, at most the hub's
  own limit); only a 2xx answer whose body is the challenge, exactly,
  confirms it; anything else leaves the hub's subscriptions as they were;
- §5.2: a hub may deny a subscription with a GET ``hub.mode=denied`` and
  ``hub.reason``;
- §7–8: content is distributed by POSTing it to each callback whose lease
  runs, with ``Link: <hub>; rel="hub", <topic>; rel="self"`` and, when a
  secret was given, ``X-Hub-Signature: sha256=<HMAC-SHA256 of the body>``;
- a subscription ends with its lease, unless renewed by subscribing again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

from .apibase import FakeAPI

#: The longest lease this hub grants, in seconds.
MAX_LEASE = 10 * 86400


@dataclass
class HubSubscription:
    callback: str
    topic: str
    secret: str | None
    #: Seconds granted, and when (``time.monotonic``) it ends.
    lease: int
    expires: float


@dataclass(frozen=True)
class Event:
    """What happened at the hub, for the tests to wait on."""

    #: "subscribed", "renewed", "unsubscribed", "refused" (verification
    #: failed) or "bad request".
    kind: str
    topic: str
    callback: str = ""
    detail: str = ""


class FakeHub(FakeAPI):
    def __init__(self, *, max_lease: int = MAX_LEASE) -> None:
        super().__init__()
        self.max_lease = max_lease
        #: Live subscriptions, by (callback, topic).
        self.subscriptions: dict[tuple[str, str], HubSubscription] = {}
        #: Everything that happened, in order.
        self.events: list[Event] = []
        #: Subscription requests received (their form fields).
        self.forms: list[dict[str, str]] = []
        self._happened = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/hub", self.route("subscribe", self._subscription_request))

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        await super().__aexit__(exc_type, exc, tb)

    @property
    def url(self) -> str:
        return f"{self.base_url}/hub"

    # -- waiting ---------------------------------------------------------------------

    def _record(self, event: Event) -> None:
        self.events.append(event)
        self._happened.set()

    def count(self, kind: str, topic: str) -> int:
        return sum(1 for e in self.events if (e.kind, e.topic) == (kind, topic))

    async def wait_for(self, kind: str, topic: str, count: int = 1, *,
                       timeout: float = 20) -> None:
        """Until ``count`` events of ``kind`` for ``topic`` happened."""
        async with asyncio.timeout(timeout):
            while self.count(kind, topic) < count:
                self._happened.clear()
                await self._happened.wait()

    # -- subscribing (§5) -------------------------------------------------------------

    async def _subscription_request(self, request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/x-www-form-urlencoded":
            return web.Response(status=400, text="expected a form")
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.forms.append(form)
        mode, topic = form.get("hub.mode"), form.get("hub.topic", "")
        callback, secret = form.get("hub.callback", ""), form.get("hub.secret")
        problem = None
        if mode not in ("subscribe", "unsubscribe"):
            problem = "hub.mode must be subscribe or unsubscribe"
        elif not topic or not callback.startswith(("http://", "https://")):
            problem = "hub.topic and an http(s) hub.callback are required"
        elif secret is not None and len(secret.encode()) >= 200:
            problem = "hub.secret must be under 200 bytes"
        if problem:
            self._record(Event("bad request", topic, callback, problem))
            return web.Response(status=400, text=problem)
        try:
            asked = int(form.get("hub.lease_seconds") or self.max_lease)
        except ValueError:
            asked = self.max_lease
        task = asyncio.get_running_loop().create_task(
            self._verify(str(mode), topic, callback, secret, max(1, min(asked, self.max_lease))))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202, text="Accepted")

    async def _verify(self, mode: str, topic: str, callback: str, secret: str | None,
                      lease: int) -> None:
        assert self._session is not None
        challenge = secrets.token_urlsafe(16)
        params = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            params["hub.lease_seconds"] = str(lease)
        try:
            async with self._session.get(callback, params=params) as resp:
                ok = 200 <= resp.status < 300 and await resp.text() == challenge
        except aiohttp.ClientError as e:
            ok, resp = False, None
            self._record(Event("refused", topic, callback, type(e).__name__))
            return
        key = (callback, topic)
        if not ok:
            self._record(Event("refused", topic, callback, f"HTTP {resp.status}"))
            return
        if mode == "unsubscribe":
            self.subscriptions.pop(key, None)
            self._record(Event("unsubscribed", topic, callback))
            return
        kind = "renewed" if key in self.subscriptions else "subscribed"
        self.subscriptions[key] = HubSubscription(callback, topic, secret, lease,
                                                  time.monotonic() + lease)
        self._record(Event(kind, topic, callback))

    async def deny(self, callback: str, topic: str, reason: str) -> int:
        """§5.2: tell the subscriber its subscription is denied."""
        assert self._session is not None
        self.subscriptions.pop((callback, topic), None)
        async with self._session.get(callback, params={
                "hub.mode": "denied", "hub.topic": topic, "hub.reason": reason}) as resp:
            return resp.status

    # -- distributing (§7, §8) -----------------------------------------------------------

    async def publish(self, topic: str, body: bytes, *, content_type: str = "application/rss+xml",
                      forge: bool = False) -> list[int]:
        """POST ``body`` to every live subscription of ``topic``, signed with its
        secret (``forge``: with a wrong one); the statuses answered."""
        assert self._session is not None
        statuses = []
        now = time.monotonic()
        for sub in [s for s in self.subscriptions.values() if s.topic == topic]:
            if sub.expires <= now:
                continue  # the lease ran out
            headers = {"Content-Type": content_type,
                       "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"'}
            if sub.secret is not None:
                key = b"not the secret" if forge else sub.secret.encode()
                headers["X-Hub-Signature"] = \
                    "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
            async with self._session.post(sub.callback, data=body, headers=headers) as resp:
                statuses.append(resp.status)
        return statuses
