"""The fetcher, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import functools
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from feedserver import FeedServer, Reply, StaticResolver, gzip_bomb

from bot._fetch import Fetcher, FetchSettings, backoff_delay, rate_limit_reset, rate_limit_wait
from bot.exceptions import (
    BlockedAddressError,
    BodyTooLargeError,
    FetchError,
    FetchTimeoutError,
    GoneError,
    HTTPStatusError,
)
from bot.plugins import MAX_RETRY_AFTER, parse_retry_after

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title>
<item><title>Bonjour</title><link>https://example.com/1</link></item>
</channel></rss>"""

#: Trusting loopback, as the tests must; small limits so the tests stay quick.
SETTINGS = FetchSettings(
    allow_private=True,
    connect_timeout=5.0,
    read_timeout=5.0,
    total_timeout=20.0,
    max_body_bytes=256 * 1024,
)

#: The guard on, with only the test server's address trusted.
GUARDED = FetchSettings(
    allow_private=False,
    allowed_networks=("127.0.0.1/32",),
    connect_timeout=5.0,
    read_timeout=5.0,
    total_timeout=20.0,
)


@pytest.fixture
async def srv() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(SETTINGS) as f:
        yield f


# -- plain fetches and conditional GET --------------------------------------------


async def test_fetch_returns_body_and_headers(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add("/feed.xml", RSS, etag='"v1"', last_modified="Mon, 02 Jun 2025 10:00:00 GMT")
    result = await fetcher.fetch(srv.url("/feed.xml"))
    assert result.status == 200
    assert result.body == RSS
    assert result.url == srv.url("/feed.xml")
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 02 Jun 2025 10:00:00 GMT"
    assert result.permanent_url is None
    assert not result.not_modified


async def test_request_headers_identify_the_bot(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add("/feed.xml", RSS)
    await fetcher.fetch(srv.url("/feed.xml"))
    (method, path, headers), = srv.requests
    assert (method, path) == ("GET", "/feed.xml")
    assert headers["User-Agent"] == SETTINGS.user_agent
    assert headers["Accept"].startswith("application/rss+xml")
    assert "application/atom+xml" in headers["Accept"]
    assert "gzip" in headers["Accept-Encoding"]
    assert "If-None-Match" not in headers
    assert "If-Modified-Since" not in headers


async def test_custom_user_agent(srv: FeedServer) -> None:
    srv.add("/feed.xml", RSS)
    async with Fetcher(FetchSettings(allow_private=True, user_agent="TestBot/9")) as f:
        await f.fetch(srv.url("/feed.xml"))
    assert srv.requests[0].headers["User-Agent"] == "TestBot/9"


async def test_etag_gives_304(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add("/feed.xml", RSS, etag='"abc"')
    first = await fetcher.fetch(srv.url("/feed.xml"))
    second = await fetcher.fetch(srv.url("/feed.xml"), etag=first.etag)
    assert second.status == 304
    assert second.not_modified
    assert second.body is None
    assert second.etag == '"abc"'
    assert srv.requests[1].headers["If-None-Match"] == '"abc"'


async def test_changed_etag_gives_the_new_body(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add("/feed.xml", RSS, etag='"v2"')
    result = await fetcher.fetch(srv.url("/feed.xml"), etag='"v1"')
    assert result.status == 200
    assert result.body == RSS
    assert result.etag == '"v2"'


async def test_last_modified_gives_304(srv: FeedServer, fetcher: Fetcher) -> None:
    stamp = "Mon, 02 Jun 2025 10:00:00 GMT"
    srv.add("/feed.xml", RSS, last_modified=stamp)
    first = await fetcher.fetch(srv.url("/feed.xml"))
    assert first.last_modified == stamp
    second = await fetcher.fetch(srv.url("/feed.xml"), last_modified=first.last_modified)
    assert second.status == 304
    assert second.body is None
    # the validator survives the 304 even when the server does not repeat it
    assert second.last_modified == stamp
    assert srv.requests[1].headers["If-Modified-Since"] == stamp
    older = await fetcher.fetch(
        srv.url("/feed.xml"), last_modified="Sun, 01 Jun 2025 10:00:00 GMT"
    )
    assert older.status == 200
    assert older.body == RSS


async def test_gzip_body_is_decompressed(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add("/feed.xml", RSS * 50, gzip=True)
    result = await fetcher.fetch(srv.url("/feed.xml"))
    assert result.body == RSS * 50


async def test_chunked_body_is_read_whole(srv: FeedServer, fetcher: Fetcher) -> None:
    body = RSS * 20
    srv.add("/slowish.xml", body, chunk_delay=0.001)
    assert (await fetcher.fetch(srv.url("/slowish.xml"))).body == body


# -- error statuses ----------------------------------------------------------------


async def test_429_retry_after_seconds(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_status("/feed.xml", 429, headers={"Retry-After": "120"})
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(srv.url("/feed.xml"))
    assert info.value.status == 429
    assert info.value.retry_after == 120.0
    assert info.value.transient


async def test_429_retry_after_http_date(srv: FeedServer, fetcher: Fetcher) -> None:
    when = datetime.now(UTC) + timedelta(seconds=600)
    srv.add_status("/feed.xml", 429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(srv.url("/feed.xml"))
    assert info.value.retry_after is not None
    # the date has one-second resolution and some time passes during the test
    assert 500 < info.value.retry_after <= 600


async def test_503_with_and_without_retry_after(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_status("/a", 503)
    srv.add_status("/b", 503, headers={"Retry-After": "soon"})
    srv.add_status("/c", 503, headers={"Retry-After": "99999999"})
    for path, expected in (("/a", None), ("/b", None), ("/c", MAX_RETRY_AFTER)):
        with pytest.raises(HTTPStatusError) as info:
            await fetcher.fetch(srv.url(path))
        assert info.value.status == 503
        assert info.value.retry_after == expected
        assert info.value.transient


async def test_503_then_200(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_sequence("/feed.xml", [Reply(status=503, headers={"Retry-After": "5"}),
                                   Reply(body=RSS)])
    with pytest.raises(HTTPStatusError):
        await fetcher.fetch(srv.url("/feed.xml"))
    assert (await fetcher.fetch(srv.url("/feed.xml"))).body == RSS
    assert srv.hits("/feed.xml") == 2


async def test_410_is_gone(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_status("/feed.xml", 410)
    with pytest.raises(GoneError) as info:
        await fetcher.fetch(srv.url("/feed.xml"))
    assert info.value.status == 410
    assert not info.value.transient


async def test_404_and_500(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_status("/boom", 500, body=b"Traceback: SECRET-DB-PASSWORD")
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(srv.url("/missing"))
    assert info.value.status == 404
    assert not isinstance(info.value, GoneError)
    assert not info.value.transient
    assert info.value.retry_after is None
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(srv.url("/boom"))
    assert info.value.status == 500
    assert info.value.transient
    # response bodies never leak into messages
    assert "SECRET" not in str(info.value)
    assert str(info.value) == f"HTTP 500 ({srv.url('/boom')})"


# -- redirects -------------------------------------------------------------------


async def test_permanent_redirect_chain_sets_permanent_url(
    srv: FeedServer, fetcher: Fetcher
) -> None:
    srv.add_redirect("/old", srv.url("/older"), status=301)
    srv.add_redirect("/older", "/new", status=308)  # relative Location
    srv.add("/new", RSS)
    result = await fetcher.fetch(srv.url("/old"))
    assert result.body == RSS
    assert result.url == srv.url("/new")
    assert result.permanent_url == srv.url("/new")
    assert [r.path for r in srv.requests] == ["/old", "/older", "/new"]


@pytest.mark.parametrize("temporary", [302, 303, 307])
async def test_any_temporary_redirect_means_no_permanent_url(
    srv: FeedServer, fetcher: Fetcher, temporary: int
) -> None:
    srv.add_redirect("/a", "/b", status=301)
    srv.add_redirect("/b", "/c", status=temporary)
    srv.add("/c", RSS)
    result = await fetcher.fetch(srv.url("/a"))
    assert result.body == RSS
    assert result.url == srv.url("/c")
    assert result.permanent_url is None


async def test_redirect_then_304(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_redirect("/old", "/new", status=301)
    srv.add("/new", RSS, etag='"x"')
    result = await fetcher.fetch(srv.url("/old"), etag='"x"')
    assert result.status == 304
    assert result.permanent_url == srv.url("/new")


async def test_redirect_loop_is_an_error(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_redirect("/a", "/b", status=302)
    srv.add_redirect("/b", "/a", status=302)
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(srv.url("/a"))
    assert not isinstance(info.value, HTTPStatusError)
    assert "loop" in info.value.message
    assert srv.hits("/a") == 1
    assert srv.hits("/b") == 1


async def test_too_many_redirects(srv: FeedServer) -> None:
    for i in range(7):
        srv.add_redirect(f"/r{i}", f"/r{i + 1}", status=301)
    srv.add("/r7", RSS)
    async with Fetcher(FetchSettings(allow_private=True, max_redirects=5)) as f:
        with pytest.raises(FetchError) as info:
            await f.fetch(srv.url("/r0"))
        assert "redirects" in info.value.message
        assert srv.hits("/r7") == 0
        # exactly max_redirects hops are fine
        result = await f.fetch(srv.url("/r2"))
        assert result.body == RSS
        assert result.permanent_url == srv.url("/r7")


async def test_redirect_without_location(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_status("/a", 302)
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(srv.url("/a"))
    assert "Location" in info.value.message


# -- the address guard, end to end --------------------------------------------------


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://[::1]:{port}/target",
    "http://localhost:{port}/target",
    "http://127.0.0.2:{port}/target",
    "http://2130706434:{port}/target",  # 127.0.0.2
    "http://127.0.0.2.:{port}/target",
])
async def test_redirect_to_internal_address_is_refused_before_connecting(
    srv: FeedServer, target: str
) -> None:
    target = target.format(port=srv.port)
    srv.add_redirect("/feed.xml", target, status=302)
    srv.add("/target", RSS)
    resolver = StaticResolver({})
    async with Fetcher(GUARDED, resolver=resolver) as f:
        with pytest.raises(BlockedAddressError) as info:
            await f.fetch(srv.url("/feed.xml"))
    assert not info.value.transient
    assert srv.hits("/feed.xml") == 1
    assert srv.hits("/target") == 0
    # refused on the URL alone: not even a DNS lookup was attempted
    assert resolver.lookups == []


async def test_name_resolving_to_internal_address_is_refused_at_connect_time(
    srv: FeedServer,
) -> None:
    """DNS rebinding: the name passes the URL check, its address does not."""
    async with FeedServer("127.0.0.2") as internal:
        internal.add("/secret", b"internal data")
        srv.add_redirect("/feed.xml", f"http://rebind.example:{internal.port}/secret", 301)
        resolver = StaticResolver({"rebind.example": ["127.0.0.2"]})
        async with Fetcher(GUARDED, resolver=resolver) as f:
            with pytest.raises(BlockedAddressError) as info:
                await f.fetch(srv.url("/feed.xml"))
        assert "127.0.0.2" in info.value.message
        assert resolver.lookups == ["rebind.example"]
        assert internal.requests == []

        # Control: trusting that address too, the same fetch reaches the server,
        # so it was the guard, not the network, that stopped the first one.
        trusting = FetchSettings(allow_private=False, allowed_networks=("127.0.0.0/8",))
        async with Fetcher(trusting, resolver=resolver) as f:
            assert (await f.fetch(srv.url("/feed.xml"))).body == b"internal data"
        assert internal.hits("/secret") == 1


async def test_mixed_dns_answer_uses_only_permitted_addresses(srv: FeedServer) -> None:
    async with FeedServer("127.0.0.2") as internal:
        # Same port on both addresses is not possible, so the name points at
        # the internal server's port and the allowed server must answer there.
        internal.add("/feed.xml", b"internal data")
        resolver = StaticResolver({"mixed.example": ["127.0.0.2", "127.0.0.1"]})
        async with Fetcher(GUARDED, resolver=resolver) as f:
            with pytest.raises(FetchError) as info:
                await f.fetch(f"http://mixed.example:{internal.port}/feed.xml")
        # 127.0.0.2 was dropped; 127.0.0.1 has nothing on that port
        assert "could not connect" in info.value.message
        assert internal.requests == []


async def test_guard_refuses_loopback_urls(srv: FeedServer) -> None:
    srv.add("/feed.xml", RSS)
    async with Fetcher(FetchSettings()) as f:
        for url in (srv.url("/feed.xml"), f"http://localhost:{srv.port}/feed.xml",
                    f"http://[::ffff:127.0.0.1]:{srv.port}/feed.xml",
                    f"http://127.0.0.1.:{srv.port}/feed.xml"):
            with pytest.raises(BlockedAddressError):
                await f.fetch(url)
    assert srv.requests == []


# -- URL and network failures -----------------------------------------------------


async def test_bad_urls(fetcher: Fetcher) -> None:
    for url in ("ftp://example.com/feed", "file:///etc/passwd", "not a url", "http:///x"):
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(url)
        assert not isinstance(info.value, BlockedAddressError)


async def test_credentials_in_url_are_refused_and_not_repeated(
    srv: FeedServer, fetcher: Fetcher
) -> None:
    srv.add("/feed.xml", RSS)
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(f"http://bob:hunter2@127.0.0.1:{srv.port}/feed.xml")
    assert "hunter2" not in str(info.value)
    assert srv.requests == []


async def test_connection_refused(fetcher: Fetcher) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # nothing listens on the port any more
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(f"http://127.0.0.1:{port}/feed.xml")
    assert type(info.value) is FetchError
    assert info.value.transient
    assert "could not connect" in info.value.message


async def test_unknown_host(srv: FeedServer) -> None:
    async with Fetcher(SETTINGS, resolver=StaticResolver({})) as f:
        with pytest.raises(FetchError) as info:
            await f.fetch("http://nowhere.invalid/feed.xml")
    assert type(info.value) is FetchError
    assert info.value.message == "could not resolve the host name"


async def test_tls_failure_is_a_plain_fetch_error(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add("/feed.xml", RSS)
    # the server speaks plain HTTP, so the TLS handshake fails
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(f"https://127.0.0.1:{srv.port}/feed.xml")
    assert type(info.value) is FetchError
    assert "TLS" in info.value.message


# -- timeouts --------------------------------------------------------------------


async def test_slow_headers_time_out(srv: FeedServer) -> None:
    srv.add("/slow.xml", RSS, delay=30)
    settings = FetchSettings(allow_private=True, read_timeout=0.3, total_timeout=10)
    async with Fetcher(settings) as f:
        with pytest.raises(FetchTimeoutError) as info:
            await f.fetch(srv.url("/slow.xml"))
    assert info.value.transient


async def test_stalled_body_times_out(srv: FeedServer) -> None:
    srv.add("/stall.xml", RSS * 10, chunk_delay=30)
    settings = FetchSettings(allow_private=True, read_timeout=0.3, total_timeout=10)
    async with Fetcher(settings) as f:
        with pytest.raises(FetchTimeoutError):
            await f.fetch(srv.url("/stall.xml"))


async def test_total_timeout_over_a_trickling_body(srv: FeedServer) -> None:
    # each chunk arrives well within read_timeout, but the whole takes too long
    srv.add("/trickle.xml", b"x" * 200 * 1024, chunk_delay=0.05)
    settings = FetchSettings(allow_private=True, read_timeout=5, total_timeout=0.5)
    async with Fetcher(settings) as f:
        with pytest.raises(FetchTimeoutError) as info:
            await f.fetch(srv.url("/trickle.xml"))
    assert "longer than" in info.value.message


# -- size cap --------------------------------------------------------------------


async def test_content_length_over_the_cap_is_refused_early(
    srv: FeedServer, fetcher: Fetcher
) -> None:
    srv.add_infinite("/huge.xml", declared_length=50 * 1024 * 1024)
    with pytest.raises(BodyTooLargeError) as info:
        await fetcher.fetch(srv.url("/huge.xml"))
    assert "announces" in info.value.message
    assert not info.value.transient


async def test_streamed_body_over_the_cap(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_infinite("/endless.xml")
    with pytest.raises(BodyTooLargeError) as info:
        await fetcher.fetch(srv.url("/endless.xml"))
    assert "exceeds" in info.value.message


async def test_gzip_bomb_is_stopped(srv: FeedServer, fetcher: Fetcher) -> None:
    bomb = gzip_bomb(64 * 1024 * 1024)
    assert len(bomb) < SETTINGS.max_body_bytes  # so Content-Length does not give it away
    srv.add_raw_encoded("/bomb.xml", bomb)
    with pytest.raises(BodyTooLargeError):
        await fetcher.fetch(srv.url("/bomb.xml"))


async def test_body_exactly_at_the_cap_is_accepted(srv: FeedServer) -> None:
    srv.add("/exact.xml", b"a" * 1000)
    srv.add("/over.xml", b"a" * 1001)
    srv.add("/over-gz.xml", b"a" * 1001, gzip=True)
    async with Fetcher(FetchSettings(allow_private=True, max_body_bytes=1000)) as f:
        assert (await f.fetch(srv.url("/exact.xml"))).body == b"a" * 1000
        with pytest.raises(BodyTooLargeError):
            await f.fetch(srv.url("/over.xml"))
        with pytest.raises(BodyTooLargeError):
            await f.fetch(srv.url("/over-gz.xml"))
        # the fetcher is still usable after aborting bodies
        assert (await f.fetch(srv.url("/exact.xml"))).body == b"a" * 1000


# -- concurrency and lifecycle ------------------------------------------------------


async def test_per_host_limit_is_respected(srv: FeedServer) -> None:
    gate = asyncio.Event()
    srv.add("/feed.xml", RSS, gate=gate)
    async with Fetcher(FetchSettings(allow_private=True, per_host_limit=2)) as f:
        tasks = [asyncio.create_task(f.fetch(srv.url(f"/feed.xml?n={i}"))) for i in range(6)]
        await srv.wait_in_flight(2)
        # give the other four every chance to (wrongly) arrive
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert srv.in_flight == 2
        gate.set()
        results = await asyncio.gather(*tasks)
    assert all(r.body == RSS for r in results)
    assert srv.hits("/feed.xml") == 6
    assert srv.max_in_flight == 2


async def test_other_hosts_are_not_held_up(srv: FeedServer) -> None:
    gate = asyncio.Event()
    srv.add("/held.xml", RSS, gate=gate)
    async with FeedServer("127.0.0.2") as other:
        other.add("/feed.xml", RSS)
        async with Fetcher(FetchSettings(allow_private=True, per_host_limit=1)) as f:
            held = asyncio.create_task(f.fetch(srv.url("/held.xml")))
            await srv.wait_in_flight(1)
            # 127.0.0.1 is at its limit, 127.0.0.2 is not
            assert (await f.fetch(other.url("/feed.xml"))).body == RSS
            assert not held.done()
            gate.set()
            assert (await held).body == RSS


async def test_fetch_after_close(srv: FeedServer) -> None:
    srv.add("/feed.xml", RSS)
    f = Fetcher(SETTINGS)
    assert (await f.fetch(srv.url("/feed.xml"))).body == RSS
    await f.close()
    await f.close()  # idempotent
    with pytest.raises(RuntimeError):
        await f.fetch(srv.url("/feed.xml"))


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        Fetcher(FetchSettings(allowed_networks=("intranet",)))
    with pytest.raises(ValueError):
        Fetcher(FetchSettings(per_host_limit=0))


# -- pure helpers ----------------------------------------------------------------


def test_parse_retry_after() -> None:
    now = datetime(2025, 6, 2, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after(" 0 ", now=now) == 0.0
    assert parse_retry_after("Mon, 02 Jun 2025 10:05:00 GMT", now=now) == 300.0
    assert parse_retry_after("Mon, 02 Jun 2025 09:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("Mon, 30 Jun 2025 10:00:00 GMT", now=now) == MAX_RETRY_AFTER
    assert parse_retry_after("10000000000000000000000", now=now) == MAX_RETRY_AFTER
    for bad in (None, "", "-5", "1.5", "soon", "Mon, 99 Foo 2025", "٣"):
        assert parse_retry_after(bad, now=now) is None


def test_backoff_grows_from_the_first_delay_to_the_cap() -> None:
    def no_jitter() -> float:
        return 0.0

    delays = [backoff_delay(n, 900, rand=no_jitter) for n in range(1, 12)]
    assert delays[:4] == [60, 120, 240, 480]
    assert delays[-1] == 6 * 3600
    assert delays == sorted(delays)
    # a short poll interval starts lower
    assert backoff_delay(1, 30, rand=no_jitter) == 30
    assert backoff_delay(2, 30, rand=no_jitter) == 60
    assert backoff_delay(1, 0, rand=no_jitter) == 1
    assert backoff_delay(5, 900, cap=300, rand=no_jitter) == 300
    # huge failure counts do not overflow
    assert backoff_delay(10_000, 900, rand=no_jitter) == 6 * 3600
    assert backoff_delay(0, 900, rand=no_jitter) == 0


def test_backoff_jitter_stays_within_a_quarter_and_under_the_cap() -> None:
    assert backoff_delay(1, 900, rand=lambda: 0.5) == 60 * 0.875
    assert backoff_delay(3, 900, rand=lambda: 0.999999) == pytest.approx(240 * 0.75, rel=1e-5)
    for n in range(1, 30):
        for r in (0.0, 0.3, 0.999):
            d = backoff_delay(n, 900, rand=functools.partial(float, r))
            assert 0.75 * min(6 * 3600, 60 * 2 ** (n - 1)) <= d <= 6 * 3600
    # real randomness: still within bounds
    assert 45 <= backoff_delay(1, 900) <= 60


def test_backoff_retry_after_wins_only_when_longer() -> None:
    def no_jitter() -> float:
        return 0.0

    assert backoff_delay(1, 900, retry_after=3600, rand=no_jitter) == 3600
    assert backoff_delay(3, 900, retry_after=10, rand=no_jitter) == 240
    assert backoff_delay(1, 900, retry_after=-50, rand=no_jitter) == 60
    # honoured beyond the cap, within MAX_RETRY_AFTER
    assert backoff_delay(1, 900, retry_after=12 * 3600, rand=no_jitter) == 12 * 3600
    assert backoff_delay(1, 900, retry_after=10**9, rand=no_jitter) == MAX_RETRY_AFTER
    assert backoff_delay(0, 900, retry_after=30, rand=no_jitter) == 30


# -- what APIs need: headers, a POST, the error document, rate windows ----------


async def test_extra_headers_and_response_headers(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add("/api", b"{}", content_type="application/json",
            headers={"X-RateLimit-Remaining": "7", "Link": '<https://a/2>; rel="next"'})
    result = await fetcher.fetch(srv.url("/api"), headers={"Authorization": "Bearer t0k",
                                                           "User-Agent": "linux:app:1.0"})
    sent = srv.requests[-1].headers
    assert sent["Authorization"] == "Bearer t0k"
    # A kind's User-Agent replaces the default (Reddit requires its own format).
    assert sent["User-Agent"] == "linux:app:1.0"
    assert result.headers["x-ratelimit-remaining"] == "7"
    assert result.headers["link"] == '<https://a/2>; rel="next"'


async def test_a_post_sends_json_and_is_never_conditional(srv: FeedServer,
                                                          fetcher: Fetcher) -> None:
    srv.add("/login", b'{"ok": true}', content_type="application/json")
    result = await fetcher.fetch(srv.url("/login"), json_body={"identifier": "me"},
                                 etag='"v1"', last_modified="Mon, 10 Jun 2024 07:00:00 GMT")
    request = srv.requests[-1]
    assert request.method == "POST"
    assert request.headers["Content-Type"].startswith("application/json")
    assert "If-None-Match" not in request.headers
    assert "If-Modified-Since" not in request.headers
    assert result.body == b'{"ok": true}'


async def test_a_redirected_post_is_refused(srv: FeedServer, fetcher: Fetcher) -> None:
    srv.add_redirect("/login", "/elsewhere", status=302)
    with pytest.raises(FetchError, match="redirected a POST"):
        await fetcher.fetch(srv.url("/login"), json_body={"identifier": "me"})


async def test_an_error_keeps_the_start_of_its_document(srv: FeedServer,
                                                        fetcher: Fetcher) -> None:
    srv.add_status("/api", 401, body=b'{"error": "AuthenticationRequired"}' + b" " * 10_000,
                   headers={"X-Thing": "1"})
    with pytest.raises(HTTPStatusError) as err:
        await fetcher.fetch(srv.url("/api"))
    assert err.value.status == 401 and not err.value.transient
    assert err.value.body.startswith(b'{"error": "AuthenticationRequired"}')
    assert len(err.value.body) <= 4096
    assert err.value.headers["x-thing"] == "1"


async def test_a_429_without_retry_after_waits_for_the_rate_window(
        srv: FeedServer, fetcher: Fetcher) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 600
    srv.add_status("/x", 429, headers={"x-rate-limit-remaining": "0",
                                       "x-rate-limit-reset": str(reset)})
    with pytest.raises(HTTPStatusError) as err:
        await fetcher.fetch(srv.url("/x"))
    assert err.value.retry_after is not None and 590 <= err.value.retry_after <= 600
    # Retry-After, when given, wins.
    srv.add_status("/y", 429, headers={"Retry-After": "30", "ratelimit-reset": str(reset)})
    with pytest.raises(HTTPStatusError) as err:
        await fetcher.fetch(srv.url("/y"))
    assert err.value.retry_after == 30


def test_rate_limit_headers_of_each_api() -> None:
    now = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
    epoch = int(now.timestamp())
    # X: Unix time; Bluesky: Unix time; Reddit: seconds; Mastodon: an ISO time.
    assert rate_limit_reset({"x-rate-limit-reset": str(epoch + 900)}, now=now) == 900
    assert rate_limit_reset({"ratelimit-reset": str(epoch + 60)}, now=now) == 60
    assert rate_limit_reset({"x-ratelimit-reset": "598.0"}, now=now) == 598
    assert rate_limit_reset({"x-ratelimit-reset": "2024-06-10T12:05:00.000Z"}, now=now) == 300
    assert rate_limit_reset({"x-ratelimit-reset": "2024-06-10T11:00:00Z"}, now=now) == 0
    assert rate_limit_reset({"x-ratelimit-reset": "soon"}, now=now) is None
    assert rate_limit_reset({"x-ratelimit-reset": "nan"}, now=now) is None
    assert rate_limit_reset({}, now=now) is None
    assert rate_limit_reset({"ratelimit-reset": str(epoch + 10**9)}, now=now) == MAX_RETRY_AFTER
    # A used-up window is waited out; a window with requests left is not.
    used_up = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(epoch + 900)}
    assert rate_limit_wait(used_up, now=now) == 900
    assert rate_limit_wait({**used_up, "x-rate-limit-remaining": "3"}, now=now) is None
    assert rate_limit_wait({"x-rate-limit-remaining": "many"}, now=now) is None
    assert rate_limit_wait({}, now=now) is None
