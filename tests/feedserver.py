"""A real HTTP server on 127.0.0.1 that serves canned feeds to the tests.

Usage::

    async with FeedServer() as srv:
        srv.add("/feed.xml", rss_bytes, etag='"v1"')
        srv.add_redirect("/old", srv.url("/feed.xml"), status=301)
        srv.add_status("/busy", 429, headers={"Retry-After": "120"})
        srv.add_sequence("/flaky", [Reply(status=503), Reply(body=rss_bytes)])
        ... fetch srv.url("/feed.xml") ...
        assert srv.hits("/feed.xml") == 1
        method, path, headers = srv.requests[0]

``StaticResolver`` stands in for DNS when a test needs a name to resolve to
a chosen address (pass it as ``Fetcher(settings, resolver=...)``).

Routes are matched on the path with its query string first, then on the
path alone; unknown paths get 404. Routes may be added or replaced while the
server runs. ``srv.requests`` records every request (also 404s);
``srv.max_in_flight`` is the largest number of requests handled at once.
"""

from __future__ import annotations

import asyncio
import gzip as gzip_module
import socket
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import NamedTuple

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict, CIMultiDictProxy

RSS = "application/rss+xml; charset=utf-8"


class Request(NamedTuple):
    """One request as the server saw it."""

    method: str
    #: Path with query string, as sent.
    path: str
    headers: CIMultiDictProxy[str]


@dataclass(frozen=True)
class Reply:
    """One canned response."""

    body: bytes = b""
    content_type: str | None = RSS
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: When set, sent as ETag, and a matching If-None-Match gets 304.
    etag: str | None = None
    #: When set, sent as Last-Modified, and an If-Modified-Since not older gets 304.
    last_modified: str | None = None
    #: Send the body gzip-compressed (Content-Encoding: gzip).
    gzip: bool = False
    #: Seconds to wait before sending the status line.
    delay: float = 0.0
    #: Seconds to wait between 1 KiB chunks of the body (streamed, chunked encoding).
    chunk_delay: float = 0.0
    #: If set, the reply waits for this event before answering.
    gate: asyncio.Event | None = None
    #: Stream this chunk forever (chunked encoding, no Content-Length).
    infinite_chunk: bytes | None = None
    #: With ``infinite_chunk``: announce this Content-Length anyway.
    declared_length: int | None = None
    #: Send this already-encoded body as-is with this Content-Encoding (gzip bombs).
    raw_encoding: str | None = None


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison, as RFC 9110 prescribes for If-None-Match."""
    if header.strip() == "*":
        return True
    want = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == want for tag in header.split(","))


def _not_modified_since(header: str, last_modified: str) -> bool:
    try:
        return parsedate_to_datetime(header) >= parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return header.strip() == last_modified


class FeedServer:
    """An aiohttp server on ``host`` (127.0.0.1) and a random free port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        #: Every request received, in order.
        self.requests: list[Request] = []
        #: Requests being handled right now, and the most seen at once.
        self.in_flight = 0
        self.max_in_flight = 0
        self._routes: dict[str, list[Reply]] = {}
        self._served: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> FeedServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a client that hangs up (timeouts, size caps)
        # must not leave sleeping or streaming handlers behind.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for replies in self._routes.values():
            for reply in replies:
                if reply.gate is not None:
                    reply.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- routes ----------------------------------------------------------------

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://{self.host}:{self.port}{path}"

    def add(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str | None = RSS,
        status: int = 200,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        gzip: bool = False,
        delay: float = 0.0,
        chunk_delay: float = 0.0,
        gate: asyncio.Event | None = None,
    ) -> None:
        """Serve ``body`` at ``path`` (replacing any route there)."""
        self.add_sequence(path, [Reply(
            body=body.encode("utf-8") if isinstance(body, str) else body,
            content_type=content_type, status=status, headers=dict(headers or {}),
            etag=etag, last_modified=last_modified, gzip=gzip, delay=delay,
            chunk_delay=chunk_delay, gate=gate,
        )])

    def add_redirect(self, path: str, to: str, status: int = 301) -> None:
        """Redirect ``path`` to ``to`` (absolute or relative) with ``status``."""
        self.add_status(path, status, headers={"Location": to})

    def add_status(
        self, path: str, status: int, *, headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        """Answer ``path`` with a bare status (429 with Retry-After, 410, 500 …)."""
        self.add_sequence(path, [Reply(
            body=body, content_type="text/plain", status=status, headers=dict(headers or {}),
        )])

    def add_sequence(self, path: str, responses: Sequence[Reply]) -> None:
        """Answer successive requests to ``path`` with successive replies; the last repeats."""
        if not responses:
            raise ValueError("a sequence needs at least one reply")
        self._routes[path] = list(responses)
        self._served[path] = 0

    def add_infinite(
        self, path: str, content_type: str | None = RSS, *, chunk: bytes = b"<!-- x -->\n" * 100,
        declared_length: int | None = None,
    ) -> None:
        """Stream ``chunk`` at ``path`` forever, until the client hangs up."""
        self.add_sequence(path, [Reply(
            content_type=content_type, infinite_chunk=chunk, declared_length=declared_length,
        )])

    def add_raw_encoded(
        self, path: str, encoded: bytes, encoding: str = "gzip", content_type: str | None = RSS
    ) -> None:
        """Serve bytes already compressed with ``encoding`` as-is (e.g. a gzip bomb)."""
        self.add_sequence(path, [Reply(
            body=encoded, content_type=content_type, raw_encoding=encoding,
        )])

    # -- inspection ------------------------------------------------------------

    def hits(self, path: str) -> int:
        """Requests received for ``path`` (matched with or without query string)."""
        return sum(1 for r in self.requests if path in (r.path, r.path.split("?", 1)[0]))

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if path in (r.path, r.path.split("?", 1)[0])]

    async def wait_in_flight(self, n: int, timeout: float = 10.0) -> None:
        """Wait until at least ``n`` requests are being handled at once."""
        async with asyncio.timeout(timeout):
            while self.in_flight < n:
                await asyncio.sleep(0.01)

    # -- serving ---------------------------------------------------------------

    def _next_reply(self, request: web.Request) -> Reply | None:
        key = request.path_qs if request.path_qs in self._routes else request.path
        replies = self._routes.get(key)
        if replies is None:
            return None
        index = min(self._served[key], len(replies) - 1)
        self._served[key] += 1
        return replies[index]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Request(
            request.method, request.path_qs, CIMultiDictProxy(CIMultiDict(request.headers))
        ))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self._next_reply(request)
            if reply is None:
                return web.Response(status=404, text="not found")
            if reply.gate is not None:
                await reply.gate.wait()
            if reply.delay:
                await asyncio.sleep(reply.delay)
            return await self._respond(request, reply)
        finally:
            self.in_flight -= 1

    async def _respond(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        headers = CIMultiDict(reply.headers)
        if reply.content_type is not None:
            headers["Content-Type"] = reply.content_type
        if reply.etag is not None:
            headers["ETag"] = reply.etag
        if reply.last_modified is not None:
            headers["Last-Modified"] = reply.last_modified

        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if reply.etag is not None and inm is not None:
            fresh = _etag_matches(inm, reply.etag)
        else:
            # If-Modified-Since counts only without If-None-Match (RFC 9110 §13.2.2).
            fresh = (
                reply.last_modified is not None
                and ims is not None
                and _not_modified_since(ims, reply.last_modified)
            )
        if fresh:
            return _not_modified(headers)

        if reply.infinite_chunk is not None:
            return await self._stream_forever(request, reply, headers)

        body = reply.body
        if reply.raw_encoding is not None:
            headers["Content-Encoding"] = reply.raw_encoding
        elif reply.gzip:
            body = gzip_module.compress(body)
            headers["Content-Encoding"] = "gzip"

        if not reply.chunk_delay:
            return web.Response(status=reply.status, body=body, headers=headers)
        resp = web.StreamResponse(status=reply.status, headers=headers)
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for start in range(0, len(body), 1024):
            await asyncio.sleep(reply.chunk_delay)
            await resp.write(body[start:start + 1024])
        await resp.write_eof()
        return resp

    async def _stream_forever(
        self, request: web.Request, reply: Reply, headers: CIMultiDict[str]
    ) -> web.StreamResponse:
        assert reply.infinite_chunk is not None
        resp = web.StreamResponse(status=reply.status, headers=headers)
        if reply.declared_length is not None:
            resp.content_length = reply.declared_length
        else:
            resp.enable_chunked_encoding()
        await resp.prepare(request)
        sent = 0
        try:
            while reply.declared_length is None or sent < reply.declared_length:
                await resp.write(reply.infinite_chunk)
                sent += len(reply.infinite_chunk)
        except (ConnectionError, RuntimeError):
            pass  # the client hung up, as it should
        return resp


def _not_modified(headers: CIMultiDict[str]) -> web.Response:
    headers.popall("Content-Type", None)
    return web.Response(status=304, headers=headers)


def gzip_bomb(decompressed_size: int, *, chunk: int = 1 << 20) -> bytes:
    """A gzip stream of ``decompressed_size`` zero bytes (about 1000:1 smaller)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    zeros = bytes(chunk)
    parts = []
    left = decompressed_size
    while left > 0:
        parts.append(comp.compress(zeros[: min(chunk, left)]))
        left -= chunk
    parts.append(comp.flush())
    return b"".join(parts)


class StaticResolver(AbstractResolver):
    """A DNS stand-in answering from a fixed table, like a hosts file.

    No DNS server can be controlled here, so tests that need a name to
    resolve to a chosen address (DNS rebinding, mixed answers) use this under
    the fetcher's real address guard. Unknown names fail as NXDOMAIN does.
    """

    def __init__(self, table: dict[str, Sequence[str]]) -> None:
        self.table = {name.lower(): list(addrs) for name, addrs in table.items()}
        #: Names looked up, in order.
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        addrs = self.table.get(host.lower().rstrip("."))
        if addrs is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host, host=addr, port=port,
                family=socket.AF_INET6 if ":" in addr else socket.AF_INET,
                proto=0, flags=socket.AI_NUMERICHOST,
            )
            for addr in addrs
        ]

    async def close(self) -> None:
        pass
