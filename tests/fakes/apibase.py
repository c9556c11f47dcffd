"""What the local fakes of news and social APIs share: a real aiohttp server on
127.0.0.1, a record of every request, and scripted failures.

Each fake (``google_news``, ``hackernews``, ``reddit``, ``youtube``,
``mastodon``, ``bluesky``, ``x_api``) answers like the real service, from its
documentation (cited in the fake's docstring), and enforces the service's
rules (parameters, authentication, rate windows, pagination). A test points
Vigie at one with ``[kinds.<kind>] base_url = fake.base_url``.

Failure modes are scripted per route, for the next requests::

    fake.fail("search", 429, headers={"Retry-After": "120"})
    fake.fail("search", 200, body=b'{"hits": [')        # malformed JSON
    fake.fail("search", 500, after=1)                    # the second request fails
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw it."""

    #: The route's name ("search", "login" …).
    route: str
    method: str
    #: Path and query string, as sent.
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    #: The JSON body of a POST, if any.
    body: Any = None


@dataclass
class _Failure:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    #: Requests to let through before this one fails.
    after: int = 0


class FakeAPI:
    """A fake service on a free port of 127.0.0.1; subclasses add the routes."""

    def __init__(self) -> None:
        self.port = 0
        #: Every request, in order.
        self.requests: list[Recorded] = []
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> Self:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """What ``[kinds.<kind>] base_url`` is set to."""
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        """Add the service's routes (each through :meth:`route`)."""
        raise NotImplementedError

    def route(self, name: str, handler: Handler) -> Handler:
        """``handler`` recording its requests and answering scripted failures first."""
        async def handle(request: web.Request) -> web.StreamResponse:
            body = None
            if request.method == "POST" and request.can_read_body:
                try:
                    body = await request.json()
                except ValueError:
                    body = "<not JSON>"
            self.requests.append(Recorded(name, request.method, request.path_qs,
                                          dict(request.headers), dict(request.query), body))
            queue = self._failures.get(name)
            if queue:
                failure = queue[0]
                if failure.after > 0:
                    failure.after -= 1
                else:
                    queue.popleft()
                    return web.Response(status=failure.status, body=failure.body,
                                        headers=failure.headers,
                                        content_type=failure.content_type)
            return await handler(request)
        return handle

    def fail(self, route: str, status: int, *, body: bytes | dict[str, Any] = b"",
             headers: dict[str, str] | None = None, after: int = 0, times: int = 1,
             content_type: str = "application/json") -> None:
        """Answer the next ``times`` requests to ``route`` (after letting
        ``after`` through) with ``status`` and ``body``."""
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        for n in range(times):
            self._failures[route].append(_Failure(status, raw, dict(headers or {}),
                                                  content_type, after if n == 0 else 0))

    def to(self, route: str) -> list[Recorded]:
        """The requests a route received."""
        return [r for r in self.requests if r.route == route]


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    return web.Response(status=status, body=json.dumps(doc).encode(), headers=headers,
                        content_type="application/json")
