"""WebSub: feeds that push their news through a hub, heard at once.

From the W3C WebSub Recommendation (https://www.w3.org/TR/websub/):

- discovery (§4): a feed names its hub with an HTTP ``Link: <hub>;
  rel="hub"`` header or a ``<link rel="hub">`` (``<atom:link>`` in RSS)
  element, its own URL with ``rel="self"`` (JSON Feed: ``hubs``);
- subscribing (§5.1): a form POST to the hub with ``hub.mode=subscribe``,
  ``hub.topic``, ``hub.callback``, ``hub.secret`` and ``hub.lease_seconds``;
  the hub answers 202 and then (§5.3) verifies the intent with a GET of the
  callback carrying ``hub.mode``, ``hub.topic``, ``hub.challenge`` and the
  lease granted, which the subscriber echoes back (2xx, the challenge as
  body) only for a request it made; a hub may deny with ``hub.mode=denied``;
- content distribution (§7, §8): the hub POSTs the feed's new content to
  the callback, signed ``X-Hub-Signature: sha256=<HMAC of the body with the
  secret>``; a message whose signature does not match is ignored (and may
  still be acknowledged, which gives a forger nothing to learn from);
- a subscription ends with its lease: the subscriber renews before then,
  and unsubscribes (``hub.mode=unsubscribe``, verified the same way) when
  it no longer wants the feed.

Here: a feed source found with a hub (when the poller reads it) is
subscribed to, with a secret and a callback path derived from ``[websub]
secret`` and the topic (so they stay the same across restarts and nothing
secret is stored); its pushes are processed at once, through the same
pipeline as a poll; it is still polled, at ``[websub] safety_interval``;
its subscription is renewed at 80 % of the lease, and dropped (unsubscribe)
when the source is removed or disabled. Requests to hubs go through the
fetcher, so the address guard applies to hub URLs too.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urljoin, urlsplit

from aiohttp import web

from ._fetch import Fetcher
from ._sources import FEED, link_rel
from .config import SourceConfig, WebSubConfig
from .exceptions import InvalidValueError, SourceError
from .types import FetchResult
from .webserver import PublicServer

__all__ = ["WebSub", "find_hub", "signature_valid"]

log = logging.getLogger(__name__)

#: What a hub's push is handed to: the source's name and the pushed content.
Push = Callable[[str, FetchResult], Awaitable[object]]
State = Literal["subscribing", "active", "unsubscribing", "denied", "failed"]

#: Part of a feed read for its hub: its head, before the first item.
_HEAD_BYTES = 64 * 1024
_LINK_RE = re.compile(r"<(?:[A-Za-z][\w.-]*:)?link\b([^>]*)>", re.IGNORECASE)
_ATTR_RE = re.compile(r"""([A-Za-z][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_FIRST_ITEM_RE = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?(?:item|entry)\b", re.IGNORECASE)
#: Signature methods of §8 (sha1 is allowed by the spec; Vigie asks nothing of it).
_METHODS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
            "sha512": hashlib.sha512}
#: Failed subscriptions are tried again after this long.
RETRY_AFTER = timedelta(minutes=30)


def find_hub(body: bytes, headers: Mapping[str, str], url: str) -> tuple[str, str] | None:
    """The hub a feed advertises and its topic (its ``self`` URL, else
    ``url``), as absolute http(s) URLs; None when it names no hub."""
    hub = link_rel(headers.get("link"), "hub")
    topic = link_rel(headers.get("link"), "self")
    if hub is None:
        stripped = body.lstrip()
        if stripped.startswith(b"{"):
            hub, topic = _json_feed_hub(body)
        else:
            head = body[:_HEAD_BYTES]
            if m := _FIRST_ITEM_RE.search(head):
                head = head[:m.start()]
            for attrs in _LINK_RE.findall(head.decode("utf-8", "replace")):
                values = {k.lower(): html.unescape(a or b) for k, a, b in _ATTR_RE.findall(attrs)}
                rels = values.get("rel", "").lower().split()
                if "hub" in rels and hub is None:
                    hub = values.get("href")
                elif "self" in rels and topic is None:
                    topic = values.get("href")
    if not hub:
        return None
    hub, topic = urljoin(url, hub.strip()), urljoin(url, (topic or url).strip())
    if not all(urlsplit(u).scheme in ("http", "https") for u in (hub, topic)):
        return None
    return hub, topic


def _json_feed_hub(body: bytes) -> tuple[str | None, str | None]:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(doc, dict):
        return None, None
    topic = doc.get("feed_url") if isinstance(doc.get("feed_url"), str) else None
    for hub in doc.get("hubs") or ():
        if (isinstance(hub, dict) and str(hub.get("type", "")).lower() == "websub"
                and isinstance(hub.get("url"), str)):
            return hub["url"], topic
    return None, topic


def signature_valid(header: str | None, body: bytes, secret: str) -> bool:
    """Whether ``X-Hub-Signature: <method>=<hex>`` is the HMAC of ``body`` with ``secret``."""
    method, _, given = (header or "").strip().partition("=")
    digest = _METHODS.get(method.lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


@dataclass
class _Subscription:
    """One feed's subscription at its hub."""

    #: The source's name and its configured URL (a change is a new subscription).
    source: str
    source_url: str
    hub: str
    topic: str
    #: The last part of its callback URL.
    id: str
    secret: str
    state: State = "subscribing"
    #: When the hub's lease ends (active), or when to try again (failed).
    until: datetime | None = None
    renewal: asyncio.Task[None] | None = None


class WebSub:
    """The WebSub subscriber of one Vigie."""

    def __init__(self, config: WebSubConfig, fetcher: Fetcher, server: PublicServer, *,
                 push: Push, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 on_change: Callable[[], None] | None = None) -> None:
        if not config.callback_url or not config.secret:
            raise InvalidValueError("WebSub needs [websub] callback_url and secret")
        self.config = config
        self.fetcher = fetcher
        self.server = server
        self.push = push
        self.clock = clock
        self.on_change = on_change
        self._path = (urlsplit(config.callback_url).path.rstrip("/") or "") + "/"
        self._by_id: dict[str, _Subscription] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Subscribing only makes sense while the callbacks are served (vigie
        # run; not poll --once, whose process would be gone when the hub calls).
        self._serving = False
        #: Pushes accepted, and pushes ignored for a missing or wrong signature.
        self.received = 0
        self.rejected = 0

    # -- lifecycle --

    async def start(self) -> None:
        """Serve the callbacks on the public server (started if need be).

        Raises :class:`bot.exceptions.ConfigError` when its port cannot be listened on.
        """
        self.server.add_route("GET", self._path, self._verify, prefix=True)
        self.server.add_route("POST", self._path, self._notified, prefix=True)
        await self.server.start()
        self._serving = True
        log.info("WebSub: callbacks at %s/…", self.config.callback_url)

    async def close(self) -> None:
        """Stop renewing and processing. Subscriptions are left to their leases:
        the next start subscribes again (the same callback, the same secret)."""
        self._serving = False
        self.server.remove_route("GET", self._path, prefix=True)
        self.server.remove_route("POST", self._path, prefix=True)
        tasks = [*self._tasks, *(s.renewal for s in self._by_id.values() if s.renewal)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- what the rest of Vigie asks --

    def pushed(self, source: str) -> bool:
        """Whether ``source`` is pushed now (an active subscription whose lease runs)."""
        now = self.clock()
        return any(s.source == source and s.state == "active" and s.until and s.until > now
                   for s in self._by_id.values())

    def state(self, source: str) -> State | None:
        """Where the subscription of ``source`` stands (None: none)."""
        return next((s.state for s in self._by_id.values() if s.source == source), None)

    async def idle(self) -> None:
        """Until the requests to hubs and the pushes in flight are done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def interval(self, source: SourceConfig) -> float:
        """How often to poll ``source``: its interval, or the safety interval when pushed."""
        if self.pushed(source.name):
            return max(source.interval, self.config.safety_interval)
        return source.interval

    def discovered(self, source: SourceConfig, result: FetchResult) -> None:
        """A feed source was read: subscribe if it advertises a hub (poller hook)."""
        if (not self._serving or source.kind != FEED.name or result.body is None
                or result.not_modified):
            return
        found = find_hub(result.body, result.headers, result.url)
        if found is None:
            return
        hub, topic = found
        sub_id = self._derive("callback", topic)[:32]
        current = self._by_id.get(sub_id)
        retry = current is not None and current.state == "failed" and (
            current.until is None or current.until <= self.clock())
        if current is not None and current.hub == hub and current.source == source.name \
                and not retry:
            return  # subscribed already, or failed recently
        sub = _Subscription(source.name, source.url, hub, topic, sub_id,
                            self._derive("secret", topic))
        self._by_id[sub_id] = sub
        self._spawn(self._request(sub, "subscribe"))

    def sync(self, sources: Iterable[SourceConfig]) -> None:
        """Unsubscribe the feeds whose source was removed, disabled or changed."""
        if not self._serving:
            return
        wanted = {(s.name, s.url) for s in sources if s.enabled}
        for sub in list(self._by_id.values()):
            if (sub.source, sub.source_url) in wanted or sub.state == "unsubscribing":
                continue
            if sub.renewal is not None:
                sub.renewal.cancel()
            if sub.state in ("failed", "denied"):
                del self._by_id[sub.id]
                continue
            sub.state = "unsubscribing"
            self._spawn(self._request(sub, "unsubscribe"))
            self._changed()

    # -- talking to hubs --

    def _derive(self, purpose: str, topic: str) -> str:
        return hmac.new(self.config.secret.encode(), f"{purpose}\0{topic}".encode(),
                        hashlib.sha256).hexdigest()

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            await work

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    async def _request(self, sub: _Subscription, mode: Literal["subscribe", "unsubscribe"]
                       ) -> None:
        form = {"hub.mode": mode, "hub.topic": sub.topic,
                "hub.callback": f"{self.config.callback_url}/{sub.id}"}
        if mode == "subscribe":
            form["hub.secret"] = sub.secret
            form["hub.lease_seconds"] = str(int(self.config.lease))
        try:
            await self.fetcher.fetch(sub.hub, form=form)
        except SourceError as e:
            log.warning("WebSub: %s %s at its hub failed: %s", mode, sub.source, e.user_message)
            if mode == "unsubscribe":
                self._by_id.pop(sub.id, None)  # its lease ends anyway
            elif self._by_id.get(sub.id) is sub:
                sub.state, sub.until = "failed", self.clock() + RETRY_AFTER
            return
        log.info("WebSub: asked %s to %s %s", urlsplit(sub.hub).netloc, mode, sub.source)

    async def _renew(self, sub: _Subscription, after: float) -> None:
        await asyncio.sleep(after)
        if self._by_id.get(sub.id) is sub and sub.state == "active":
            await self._request(sub, "subscribe")

    # -- the callbacks --

    async def _verify(self, request: web.Request) -> web.StreamResponse:
        sub = self._by_id.get(request.path[len(self._path):])
        mode = request.query.get("hub.mode", "")
        topic = request.query.get("hub.topic", "")
        if sub is None or topic != sub.topic:
            return web.Response(status=404, text="no such subscription")
        if mode == "denied":
            sub.state = "denied"
            log.warning("WebSub: the hub of %s denied the subscription (%s)", sub.source,
                        request.query.get("hub.reason", "no reason given")[:200])
            self._changed()
            return web.Response(text="")
        challenge = request.query.get("hub.challenge", "")
        wanted = (mode == "subscribe" and sub.state in ("subscribing", "active")) or (
            mode == "unsubscribe" and sub.state == "unsubscribing")
        if not challenge or not wanted:
            return web.Response(status=404, text="not requested")
        if mode == "unsubscribe":
            del self._by_id[sub.id]
            log.info("WebSub: %s unsubscribed", sub.source)
        else:
            lease = request.query.get("hub.lease_seconds", "")
            seconds = float(lease) if lease.isdigit() and int(lease) > 0 else self.config.lease
            sub.state, sub.until = "active", self.clock() + timedelta(seconds=seconds)
            if sub.renewal is not None:
                sub.renewal.cancel()
            sub.renewal = asyncio.get_running_loop().create_task(
                self._renew(sub, max(seconds * 0.8, seconds - 86400.0, 1.0)))
            log.info("WebSub: %s is pushed for %g s", sub.source, seconds)
        self._changed()
        return web.Response(text=challenge, content_type="text/plain")

    async def _notified(self, request: web.Request) -> web.StreamResponse:
        sub = self._by_id.get(request.path[len(self._path):])
        if sub is None or sub.state not in ("active", "subscribing"):
            return web.Response(status=404, text="no such subscription")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="too large")
        if not signature_valid(request.headers.get("X-Hub-Signature"), body, sub.secret):
            # §8: ignored; acknowledged all the same, so a forger learns nothing.
            self.rejected += 1
            log.warning("WebSub: ignored a push for %s without a valid X-Hub-Signature",
                        sub.source)
            return web.Response(status=202, text="")
        self.received += 1
        headers = {k.lower(): v for k, v in request.headers.items()}
        result = FetchResult(url=sub.topic, status=200, body=body,
                             content_type=request.headers.get("Content-Type"), headers=headers)
        self._spawn(self._process(sub.source, result))
        return web.Response(status=202, text="")

    async def _process(self, source: str, result: FetchResult) -> None:
        try:
            await self.push(source, result)
        except Exception:  # one push's trouble is logged, the server goes on
            log.exception("WebSub: the push for %s could not be processed", source)
