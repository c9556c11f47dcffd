"""The HTTP fetcher: polite, conditional, size-capped, and guarded against SSRF.

One :class:`Fetcher` holds one aiohttp session for the life of the bot.
Redirects are followed here rather than by aiohttp so that every hop goes
through the address guard and so that we know whether the whole chain was
permanent (then the caller stores the new URL).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

import aiohttp
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDictProxy
from yarl import URL

from bot.exceptions import (
    BlockedAddressError,
    BodyTooLargeError,
    FetchError,
    FetchTimeoutError,
    GoneError,
    HTTPStatusError,
    InvalidValueError,
    ResolutionBlockedError,
)
from bot.netguard import (
    GuardedResolver,
    IPNetwork,
    check_url_parsed,
    parse_networks,
    redact_url,
)
from bot.plugins import MAX_RETRY_AFTER, parse_retry_after
from bot.types import FetchResult

log = logging.getLogger(__name__)

#: Feed types first; HTML last but accepted, for feed autodiscovery.
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
    "application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})
_CHUNK = 64 * 1024
#: Bytes of an error response kept for the API's explanation.
_ERROR_BODY = 4096


@dataclass(frozen=True)
class FetchSettings:
    """How the fetcher behaves; one instance per :class:`Fetcher`."""

    #: Sent with every request so that site owners know who is polling.
    user_agent: str = "Vigie/0.1 (+https://github.com/vigie-bot/vigie; news-alert bot)"
    #: Seconds allowed to establish a connection.
    connect_timeout: float = 10.0
    #: Seconds allowed between two reads from the server.
    read_timeout: float = 30.0
    #: Seconds allowed for a whole fetch, every redirect included (waiting for
    #: the per-host limit is not counted).
    total_timeout: float = 60.0
    #: Largest body accepted, counted after decompression.
    max_body_bytes: int = 10 * 1024 * 1024
    #: Requests in flight at once to one host, across all fetches of a Fetcher.
    per_host_limit: int = 2
    #: Redirects followed before giving up.
    max_redirects: int = 5
    #: Fetch private, loopback and link-local addresses too (tests, trusted deployments).
    allow_private: bool = False
    #: Networks permitted even when ``allow_private`` is false, as CIDR strings
    #: (``"10.1.2.0/24"``): one trusted intranet host without opening them all.
    allowed_networks: tuple[str, ...] = ()


def backoff_delay(
    consecutive_failures: int,
    base_interval: float,
    *,
    retry_after: float | None = None,
    cap: float = 6 * 3600,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before polling a failing source again.

    The first failure waits ``min(base_interval, 60)`` seconds (at least 1),
    each further one doubles that, up to ``cap``. Jitter takes up to a quarter
    off (``rand()`` in ``[0, 1)``) so that sources failing together do not
    retry together; it never pushes the delay above ``cap``. A server's
    ``retry_after`` wins when it is longer (honoured up to ``MAX_RETRY_AFTER``,
    even beyond ``cap``). No failures gives 0 (or ``retry_after``).
    Never raises.
    """
    delay = 0.0
    if consecutive_failures > 0:
        first = min(max(base_interval, 1.0), 60.0)
        # Bounded exponent: 2**62 minutes already dwarfs any sane cap.
        exponent = min(consecutive_failures - 1, 62)
        delay = min(cap, first * 2.0**exponent)
        delay *= 1.0 - 0.25 * rand()
    if retry_after is not None:
        delay = max(delay, min(max(retry_after, 0.0), MAX_RETRY_AFTER))
    return delay


class Fetcher:
    """Fetches URLs over HTTP(S) for the poller.

    Use as an async context manager, or call :meth:`close` when done. The
    aiohttp session is created on first use, inside the running loop.
    """

    def __init__(
        self,
        settings: FetchSettings = FetchSettings(),  # frozen, so safe to share
        *,
        resolver: AbstractResolver | None = None,
    ) -> None:
        """Create a fetcher; ``resolver`` replaces aiohttp's default DNS resolver
        under the address guard (tests, custom DNS).

        Raises:
            ValueError: if ``settings.allowed_networks`` holds something that
                is not an IP network, or a limit is not positive.
        """
        if settings.per_host_limit < 1 or settings.max_body_bytes < 0:
            raise InvalidValueError("per_host_limit must be ≥ 1 and max_body_bytes ≥ 0")
        self.settings = settings
        self._allowed_networks: tuple[IPNetwork, ...] = parse_networks(settings.allowed_networks)
        self._inner_resolver = resolver
        self._session: aiohttp.ClientSession | None = None
        self._resolver: GuardedResolver | None = None
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._closed = False

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session and its connections. Idempotent."""
        self._closed = True
        session, self._session = self._session, None
        resolver, self._resolver = self._resolver, None
        if session is not None:
            await session.close()
        if resolver is not None:
            await resolver.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the Fetcher is closed")
        if self._session is None:
            s = self.settings
            self._resolver = GuardedResolver(
                self._inner_resolver,
                allow_private=s.allow_private,
                allowed_networks=self._allowed_networks,
            )
            connector = aiohttp.TCPConnector(resolver=self._resolver, limit=100)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": s.user_agent, "Accept": ACCEPT},
                # Accept-Encoding is left to aiohttp: it offers exactly the
                # codings it can decode (gzip, deflate, and br/zstd when
                # their libraries are installed) and decodes them.
                auto_decompress=True,
                # Sources must not share cookies, and proxy variables must
                # not route around the address guard.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._session

    def _slot(self, url: URL) -> asyncio.Semaphore:
        host = (url.raw_host or "").lower()
        slot = self._host_slots.get(host)
        if slot is None:
            slot = self._host_slots[host] = asyncio.Semaphore(self.settings.per_host_limit)
        return slot

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None,
        headers: Mapping[str, str] | None = None, json_body: object = None,
        form: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """GET ``url``, following redirects, and return the body or "not modified".

        With ``etag`` / ``last_modified`` the request is conditional; a 304
        gives ``FetchResult(status=304, body=None)`` carrying the validators
        (the server's, else the ones sent). ``headers`` are added to the
        request (an API's token, a User-Agent it requires). With
        ``json_body`` the request is a POST of that JSON value (an API's
        login), never conditional, and a redirect is an error; ``form``
        likewise POSTs a form (a WebSub subscription).

        Raises:
            BlockedAddressError: the URL or a redirect leads to a non-public
                address and ``allow_private`` is off.
            BodyTooLargeError: the body (decompressed) exceeds ``max_body_bytes``.
            FetchTimeoutError: connecting or reading took too long.
            GoneError: HTTP 410.
            HTTPStatusError: any other error status, with the start of the
                error body and the headers; ``retry_after`` is set from 429/503
                ``Retry-After``, else from a 429's rate-limit reset header.
            FetchError: bad URL or scheme, redirect loop or too many
                redirects, network or TLS failure.
            RuntimeError: the fetcher is closed.
        """
        s = self.settings
        try:
            current = URL(url)
        except (ValueError, TypeError):
            raise FetchError(redact_url(url), "invalid URL") from None
        session = self._get_session()
        post: dict[str, object] = {}
        if json_body is not None:
            post["json"] = json_body
        if form is not None:
            post["data"] = dict(form)
        conditional: dict[str, str] = {}
        if etag and not post:
            conditional["If-None-Match"] = etag
        if last_modified and not post:
            conditional["If-Modified-Since"] = last_modified
        extra = dict(headers or {})

        seen = {str(current)}
        all_permanent = True
        redirected = False
        remaining = s.total_timeout
        loop = asyncio.get_running_loop()
        while True:
            check_url_parsed(
                current, allow_private=s.allow_private, allowed_networks=self._allowed_networks
            )
            async with self._slot(current):
                started = loop.time()
                if remaining <= 0:
                    raise FetchTimeoutError(
                        redact_url(current), f"took longer than {s.total_timeout:g}s"
                    )
                outcome = await self._one_request(session, current, conditional, remaining,
                                                  extra, post)
                remaining -= loop.time() - started
            if isinstance(outcome, FetchResult):
                permanent = str(current) if redirected and all_permanent else None
                if permanent is None:
                    return outcome
                return dataclasses.replace(outcome, permanent_url=permanent)
            status, target = outcome
            if post:
                raise FetchError(redact_url(url), f"the server redirected a POST ({status})")
            redirected = True
            all_permanent = all_permanent and status in _PERMANENT_REDIRECTS
            if str(target) in seen:
                raise FetchError(redact_url(url), "redirect loop")
            if len(seen) > s.max_redirects:
                raise FetchError(redact_url(url), f"more than {s.max_redirects} redirects")
            seen.add(str(target))
            current = target

    async def _one_request(
        self,
        session: aiohttp.ClientSession,
        url: URL,
        conditional: dict[str, str],
        time_left: float,
        extra: dict[str, str],
        post: dict[str, object],
    ) -> FetchResult | tuple[int, URL]:
        """One request: a final result, or ``(status, next URL)`` for a redirect."""
        s = self.settings
        shown = redact_url(url)
        timeout = aiohttp.ClientTimeout(
            total=time_left,
            connect=s.connect_timeout,
            sock_connect=s.connect_timeout,
            sock_read=s.read_timeout,
        )
        try:
            async with session.request(
                "POST" if post else "GET", url,
                headers={**extra, **conditional}, allow_redirects=False, timeout=timeout,
                json=post.get("json"), data=post.get("data"),
            ) as resp:
                if resp.status in _REDIRECTS:
                    return resp.status, _redirect_target(url, resp.headers)
                headers = _header_dict(resp.headers)
                if resp.status == 304:
                    return FetchResult(
                        url=str(url),
                        status=304,
                        body=None,
                        content_type=resp.headers.get("Content-Type"),
                        etag=resp.headers.get("ETag") or conditional.get("If-None-Match"),
                        last_modified=resp.headers.get("Last-Modified")
                        or conditional.get("If-Modified-Since"),
                        headers=headers,
                    )
                if not 200 <= resp.status < 300:
                    # An API says why in its error document: keep its start.
                    try:
                        detail = await resp.content.read(_ERROR_BODY)
                    except (aiohttp.ClientError, OSError, TimeoutError):
                        detail = b""
                    _raise_for_status(url, resp.status, headers, detail)
                body = await self._read_body(url, resp)
                return FetchResult(
                    url=str(url),
                    status=resp.status,
                    body=body,
                    content_type=resp.headers.get("Content-Type"),
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                    headers=headers,
                )
        except aiohttp.ClientConnectorDNSError as e:
            if isinstance(e.os_error, ResolutionBlockedError):
                shown_addrs = ", ".join(e.os_error.addresses)
                raise BlockedAddressError(
                    shown, f"refusing to fetch a non-public address ({shown_addrs})"
                ) from None
            raise FetchError(shown, "could not resolve the host name") from None
        except aiohttp.ClientConnectorCertificateError:
            raise FetchError(shown, "TLS certificate verification failed") from None
        except aiohttp.ClientSSLError:
            raise FetchError(shown, "TLS handshake failed") from None
        except aiohttp.ClientConnectorError as e:
            # strerror of the errno, not aiohttp's text (which lists socket addresses).
            errno = e.os_error.errno
            # Negative numbers are getaddrinfo codes, which strerror does not know.
            reason = os.strerror(errno).lower() if errno and errno > 0 else "connection failed"
            raise FetchError(shown, f"could not connect: {reason}") from None
        except aiohttp.ConnectionTimeoutError:
            raise FetchTimeoutError(
                shown, f"no connection within {s.connect_timeout:g}s"
            ) from None
        except aiohttp.SocketTimeoutError:
            raise FetchTimeoutError(
                shown, f"the server sent nothing for {s.read_timeout:g}s"
            ) from None
        except TimeoutError:
            raise FetchTimeoutError(shown, f"took longer than {s.total_timeout:g}s") from None
        except aiohttp.ServerDisconnectedError:
            raise FetchError(shown, "the server closed the connection") from None
        except aiohttp.ClientPayloadError:
            raise FetchError(shown, "the response body is incomplete or corrupt") from None
        except aiohttp.ClientResponseError:
            raise FetchError(shown, "the server sent an invalid HTTP response") from None
        except aiohttp.InvalidURL:
            raise FetchError(shown, "invalid URL") from None
        except (aiohttp.ClientError, OSError) as e:
            raise FetchError(shown, f"network error ({type(e).__name__})") from None

    async def _read_body(self, url: URL, resp: aiohttp.ClientResponse) -> bytes:
        """Read the decompressed body, stopping as soon as it passes the cap."""
        cap = self.settings.max_body_bytes
        declared = resp.content_length
        if declared is not None and declared > cap:
            resp.close()
            raise BodyTooLargeError(
                redact_url(url), f"the server announces {declared} bytes, over the {cap}-byte limit"
            )
        chunks: list[bytes] = []
        size = 0
        # Counting what iter_chunked yields counts decompressed bytes, and
        # aiohttp inflates in bounded steps, so a gzip bomb stops here early.
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > cap:
                resp.close()
                raise BodyTooLargeError(
                    redact_url(url), f"the body exceeds the {cap}-byte limit"
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _redirect_target(url: URL, headers: CIMultiDictProxy[str]) -> URL:
    """The absolute URL a redirect points to.

    Raises:
        FetchError: no or unusable Location header.
    """
    location = headers.get("Location")
    if not location:
        raise FetchError(redact_url(url), "redirect without a Location header")
    try:
        target = url.join(URL(location.strip()))
    except (ValueError, TypeError):
        raise FetchError(redact_url(url), "redirect to an invalid URL") from None
    # The fragment never reaches the server; dropping it keeps loop detection exact.
    return target.with_fragment(None)


def _header_dict(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    """Response headers with lower-case names, repeated ones joined with ", "."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _raise_for_status(url: URL, status: int, headers: Mapping[str, str],
                      detail: bytes = b"") -> None:
    """Raise the error matching an HTTP status that is not a success."""
    if 200 <= status < 300:
        return
    shown = redact_url(url)
    if status == 410:
        raise GoneError(shown)
    retry_after = None
    if status in (429, 503):
        retry_after = parse_retry_after(headers.get("retry-after"))
        if retry_after is None and status == 429:
            retry_after = rate_limit_reset(headers)
    raise HTTPStatusError(shown, status, retry_after, body=detail, headers=headers)


#: Rate-limit headers of the APIs Vigie reads: X (``x-rate-limit-*``),
#: Reddit and Mastodon (``x-ratelimit-*``), Bluesky and the IETF draft (``ratelimit-*``).
_RESET_HEADERS = ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")
_REMAINING_HEADERS = ("x-rate-limit-remaining", "x-ratelimit-remaining", "ratelimit-remaining")
#: A reset value above this is a Unix time, below it a number of seconds.
_EPOCH_THRESHOLD = 1e9


def rate_limit_reset(headers: Mapping[str, str], *, now: datetime | None = None
                     ) -> float | None:
    """Seconds until an API's rate-limit window resets, from its headers.

    Reads ``x-rate-limit-reset`` (X: Unix time), ``x-ratelimit-reset``
    (Reddit: seconds; Mastodon: an ISO 8601 time) and ``ratelimit-reset``
    (Bluesky: Unix time; the IETF draft: seconds); header names in lower
    case. Clamped to ``[0, MAX_RETRY_AFTER]``; None when absent or
    unreadable. Never raises.
    """
    now = now if now is not None else datetime.now(UTC)
    for name in _RESET_HEADERS:
        value = (headers.get(name) or "").strip()
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - now).total_seconds()
        else:
            if number != number:  # NaN
                continue
            seconds = number - now.timestamp() if number > _EPOCH_THRESHOLD else number
        return min(max(seconds, 0.0), MAX_RETRY_AFTER)
    return None


def rate_limit_wait(headers: Mapping[str, str], *, now: datetime | None = None
                    ) -> float | None:
    """Seconds to wait before calling an API again when its headers say the
    window is used up (remaining 0), else None. Never raises."""
    for name in _REMAINING_HEADERS:
        value = (headers.get(name) or "").strip()
        if not value:
            continue
        try:
            remaining = float(value)
        except ValueError:
            return None
        return rate_limit_reset(headers, now=now) if remaining <= 0 else None
    return None

