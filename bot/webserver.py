"""Vigie's one public HTTP server, shared by whatever must be reached from outside.

Slack's HTTP mode receives its requests here (``/slack/events``) and WebSub
hubs call back here (intent verification and pushed content): one port,
``[http] port``, for a public URL to point at (through a reverse proxy that
terminates HTTPS). Adapters and the core add routes at any time, even once
the server listens; the server starts the first time someone needs it
(:meth:`PublicServer.start`) and a path nobody registered gets 404.

``/healthz`` and ``/metrics`` are not here: they stay on the private
``[metrics]`` port, away from the public one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from .exceptions import ConfigError, InvalidValueError

__all__ = ["DEFAULT_PORT", "Handler", "PublicServer"]

log = logging.getLogger(__name__)

#: A route's handler.
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: ``[http] port`` when not set (Slack's ``http_port`` default, which it replaces).
DEFAULT_PORT = 3000
#: Largest request body read, in bytes (a WebSub hub pushes a whole feed).
MAX_BODY = 10 * 1024 * 1024


class PublicServer:
    """An aiohttp server on ``host``:``port`` whose routes are added while it runs.

    ``port`` 0 picks a free port (tests); :attr:`port` is the real one once started.
    """

    def __init__(self, host: str = "0.0.0.0", port: int | None = None, *,
                 max_body: int = MAX_BODY) -> None:
        """``port`` None: :data:`DEFAULT_PORT`, unless :meth:`default_port` says otherwise."""
        self.host = host
        self.port = port
        self.max_body = max_body
        self._exact: dict[tuple[str, str], Handler] = {}
        self._prefixes: dict[tuple[str, str], Handler] = {}
        self._runner: web.AppRunner | None = None
        self._lock = asyncio.Lock()

    def default_port(self, port: int) -> None:
        """Listen on ``port`` unless a port was set (an adapter's older setting,
        such as ``[slack] http_port``, when ``[http] port`` is not set)."""
        if self.port is None:
            self.port = port

    @property
    def running(self) -> bool:
        return self._runner is not None

    def url(self, path: str = "/") -> str:
        """This server's URL on the loopback (tests; the public URL is the deployer's)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}{path}"

    def add_route(self, method: str, path: str, handler: Handler, *,
                  prefix: bool = False) -> None:
        """Answer ``method`` requests to ``path`` (every path under it when
        ``prefix``) with ``handler``. Raises :class:`InvalidValueError` when
        taken already."""
        table = self._prefixes if prefix else self._exact
        key = (method.upper(), path)
        if key in table:
            raise InvalidValueError(f"{method} {path} is served already")
        table[key] = handler

    def remove_route(self, method: str, path: str, *, prefix: bool = False) -> None:
        (self._prefixes if prefix else self._exact).pop((method.upper(), path), None)

    async def start(self) -> None:
        """Listen (once; later calls return at once).

        Raises :class:`ConfigError` (``http.port``) when the port cannot be listened on.
        """
        async with self._lock:
            if self._runner is not None:
                return
            app = web.Application(client_max_size=self.max_body)
            app.router.add_route("*", "/{tail:.*}", self._dispatch)
            runner = web.AppRunner(app, handle_signals=False, access_log=None,
                                   shutdown_timeout=1.0)
            await runner.setup()
            if self.port is None:
                self.port = DEFAULT_PORT
            try:
                await web.TCPSite(runner, self.host, self.port).start()
            except OSError as e:
                await runner.cleanup()
                raise ConfigError("<http>", [("http.port", f"cannot listen on port {self.port} "
                                              f"({e.strerror or type(e).__name__})")]) from None
            self._runner = runner
            self.port = int(runner.addresses[0][1])
            log.info("listening for public HTTP requests on port %d", self.port)

    async def close(self) -> None:
        async with self._lock:
            runner, self._runner = self._runner, None
            if runner is not None:
                await runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        handler = self._exact.get((request.method, request.path))
        if handler is None:
            handler = next((h for (method, path), h in self._prefixes.items()
                            if method == request.method and request.path.startswith(path)), None)
        if handler is None:
            return web.Response(status=404, text="not found")
        return await handler(request)
