"""Polling through the whole pipeline: real feed server, real store, real fetcher.

What the store remembers (health, conditional-GET validators, URLs after
redirects and autodiscovery) and that one bad source never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from feedbuilder import atom, json_feed, rss
from feedserver import FeedServer, Reply, gzip_bomb

from bot._poller import PollResult
from bot._storage import SQLStore
from bot._storage._base import database_url
from bot._types import NewItem
from bot.app import Vigie, make_vigie
from bot.config import validate
from bot.exceptions import (
    BodyTooLargeError,
    FetchTimeoutError,
    GoneError,
    HTTPStatusError,
    UnsafeXMLError,
)
from bot.types import SourceState

NOW = datetime.now(UTC).replace(microsecond=0)

FOUNDING = {"id": "f1", "title": "Elon Musk achète 100 000 GPU pour l’IA générative",
            "link": "https://news.example/musk-gpu", "published": NOW,
            "summary": "<p>Twitter veut son IA générative.</p>"}
OTHER = {"id": "o1", "title": "Le rat musqué", "link": "https://news.example/rat",
         "published": NOW}
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss version="2.0"><channel><title>&lol2;</title></channel></rss>"""

SOURCES = ["good", "etag", "throttled", "gone", "moved", "site", "broken", "bomb", "huge",
           "slow", "json"]


@pytest.fixture
async def setup(store_url: str) -> AsyncIterator[tuple[Vigie, FeedServer]]:
    async with FeedServer() as srv:
        srv.add("/good.xml", rss([FOUNDING, OTHER], language="fr"))
        srv.add("/etag.xml", atom([FOUNDING]), etag='"v1"',
                content_type="application/atom+xml")
        srv.add_status("/throttled.xml", 429, headers={"Retry-After": "120"})
        srv.add_status("/gone.xml", 410)
        srv.add_redirect("/moved.xml", "/new-home.xml", status=301)
        srv.add("/new-home.xml", rss([FOUNDING]), gzip=True)
        srv.add("/site/", '<html><head><link rel="alternate" type="application/rss+xml" '
                          'href="/site/feed.xml"></head><body>Hi</body></html>',
                content_type="text/html; charset=utf-8")
        srv.add("/site/feed.xml", rss([OTHER]))
        srv.add("/broken.xml", b"<rss><channel><item><title>Half", content_type="text/xml")
        srv.add("/bomb.xml", BOMB)
        srv.add_raw_encoded("/huge.xml", gzip_bomb(50 * 1024 * 1024))
        srv.add("/slow.xml", rss([OTHER]), delay=5)
        srv.add("/json.json", json_feed([FOUNDING]), content_type="application/feed+json")
        paths = {"good": "/good.xml", "etag": "/etag.xml", "throttled": "/throttled.xml",
                 "gone": "/gone.xml", "moved": "/moved.xml", "site": "/site/",
                 "broken": "/broken.xml", "bomb": "/bomb.xml", "huge": "/huge.xml",
                 "slow": "/slow.xml", "json": "/json.json"}
        config = validate({
            "storage": {"url": store_url},
            "fetch": {"allow_private_addresses": True, "timeout": "2s", "max_body": "1MB"},
            "poll": {"first_poll_alerts": True},
            "sources": [{"name": n, "url": srv.url(paths[n])} for n in SOURCES],
            "topics": {"musk": {"keywords": ["Musk"]}},
            "subscriptions": [{"name": "s", "topics": ["musk"]}],
        }, env={})
        async with make_vigie(config) as vigie:
            yield vigie, srv


async def test_one_poll_of_every_kind_of_source(setup: tuple[Vigie, FeedServer]) -> None:
    vigie, srv = setup
    results = {r.source: r for r in await vigie.poll_all()}
    assert set(results) == set(SOURCES)

    # Healthy sources: items stored, the founding article matched once per source.
    for name in ("good", "etag", "moved", "json"):
        assert results[name].error is None, (name, results[name].error)
        assert [m.item.title for m in results[name].matches] == [FOUNDING["title"]]
    # The same canonical URL from several sources alerts once.
    alerted = [k for r in results.values() for k in r.alerted]
    assert len(alerted) == 1
    assert results["site"].error is None and results["site"].new_items == 1

    # Failures are typed, isolated and remembered.
    assert isinstance(results["throttled"].error, HTTPStatusError)
    assert isinstance(results["gone"].error, GoneError)
    # A truncated document is recovered as far as it goes rather than lost.
    assert results["broken"].error is None and results["broken"].new_items == 1
    assert isinstance(results["bomb"].error, UnsafeXMLError)
    assert isinstance(results["huge"].error, BodyTooLargeError)
    assert isinstance(results["slow"].error, FetchTimeoutError)

    states = {s.name: s for s in await vigie.store.list_sources()}
    assert states["good"].last_success is not None and states["good"].consecutive_failures == 0
    throttled = states["throttled"]
    assert throttled.consecutive_failures == 1 and throttled.last_error == "HTTP 429 (" \
        + srv.url("/throttled.xml") + ")"
    assert throttled.next_attempt is not None
    assert throttled.next_attempt - throttled.last_poll >= timedelta(seconds=120)
    assert not states["gone"].enabled and "410" in (states["gone"].disabled_reason or "")
    assert states["moved"].url == srv.url("/new-home.xml")  # permanent redirect remembered
    assert states["site"].url == srv.url("/site/feed.xml")  # autodiscovered feed remembered
    assert states["etag"].etag == '"v1"'
    assert states["bomb"].consecutive_failures == 1


async def test_second_poll_uses_validators_and_skips_backoff_and_disabled(
    setup: tuple[Vigie, FeedServer]
) -> None:
    vigie, srv = setup
    await vigie.poll_all()
    etag_requests = len(srv.requests_to("/etag.xml"))
    # A conditional GET answered 304 stores nothing and keeps the validators.
    results = {r.source: r for r in await vigie.poll_all()}
    assert results["etag"].not_modified
    last = srv.requests_to("/etag.xml")[-1]
    assert last.headers.get("If-None-Match") == '"v1"'
    assert len(srv.requests_to("/etag.xml")) == etag_requests + 1
    # Nothing is new the second time.
    assert all(not r.alerted for r in results.values())
    # The disabled (410) source is no longer polled; the moved one goes straight to its new URL.
    assert "gone" not in results
    assert srv.hits("/moved.xml") == 1
    # The scheduler's job respects the backoff of the throttled source.
    throttled = vigie.config.source("throttled")
    assert throttled is not None
    before = srv.hits("/throttled.xml")
    assert await vigie.poll_due(throttled) is None
    assert srv.hits("/throttled.xml") == before


async def test_a_failing_source_recovers(setup: tuple[Vigie, FeedServer]) -> None:
    vigie, srv = setup
    srv.add_sequence("/throttled.xml", [
        Reply(status=503, content_type="text/plain"),
        Reply(body=rss([FOUNDING])),
    ])
    source = vigie.config.source("throttled")
    assert source is not None
    first = await vigie.poller.poll(source)
    assert isinstance(first.error, HTTPStatusError) and first.error.status == 503
    second = await vigie.poller.poll(source)
    assert second.error is None
    state = await vigie.store.get_source("throttled")
    assert state is not None and state.consecutive_failures == 0 and state.last_error is None


async def test_dry_run_records_nothing(setup: tuple[Vigie, FeedServer]) -> None:
    vigie, _ = setup
    results = await vigie.poll_all(dry_run=True)
    assert any(r.matches for r in results)
    assert await vigie.store.count_items() == 0
    assert all(s.last_poll is None for s in await vigie.store.list_sources())


async def test_first_poll_suppression_is_configurable(store_url: str) -> None:
    async with FeedServer() as srv:
        srv.add("/f.xml", rss([FOUNDING]))
        config = validate({
            "storage": {"url": store_url}, "fetch": {"allow_private_addresses": True},
            "sources": [{"name": "f", "url": srv.url("/f.xml")}],
            "topics": {"musk": {"keywords": ["Musk"]}},
            "subscriptions": [{"name": "s", "topics": ["musk"]}],
        }, env={})
        async with make_vigie(config) as vigie:
            first = await vigie.poll_all()
            assert first[0].matches and not first[0].alerted  # recorded, not alerted
            srv.add("/f.xml", rss([FOUNDING, {**OTHER, "title": "Musk again", "id": "n2",
                                              "link": "https://news.example/2"}]))
            second = await vigie.poll_all()
            assert [m.item.title for m in second[0].matches] == ["Musk again"]
            assert len(second[0].alerted) == 1
        # Backfill lifts the first-poll and age rules; what is stored stays stored.
        async with make_vigie(config) as vigie:
            again = await vigie.poll_all(backfill=True, dry_run=True)
            assert again[0].matches == ()


class InterleavingStore(SQLStore):
    """The real store, except that its next ``save_poll`` first awaits
    :attr:`before_next_save`: another process's poll landing between this
    poll's ``seen`` and its ``save_poll``, at the one moment a real race
    could put it."""

    def __init__(self, url: str) -> None:
        parsed, schema = database_url(url)
        super().__init__(parsed, schema=schema)
        self.before_next_save: Callable[[], Awaitable[object]] | None = None

    async def save_poll(self, state: SourceState, new_items: Sequence[NewItem]) -> list[str]:
        hook, self.before_next_save = self.before_next_save, None
        if hook is not None:
            await hook()
        return await super().save_poll(state, new_items)


async def test_an_item_another_process_stored_first_is_not_new_here(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two pollers on one database: what the other stored between this
    poll's "seen" and its "save" is the other's news, reported (and counted,
    and alerted) there only."""
    first = {**FOUNDING, "id": "a"}
    second = {**FOUNDING, "id": "b", "title": "Musk encore", "link": "https://news.example/b"}
    async with FeedServer() as srv:
        srv.add("/f.xml", rss([first, second, OTHER]))
        config = validate({
            "storage": {"url": store_url}, "fetch": {"allow_private_addresses": True},
            "poll": {"first_poll_alerts": True},
            "sources": [{"name": "f", "url": srv.url("/f.xml")}],
            "topics": {"musk": {"keywords": ["Musk"]}},
            "subscriptions": [{"name": "s", "topics": ["musk"]}],
        }, env={})
        store = InterleavingStore(store_url)
        async with make_vigie(config) as other, make_vigie(config, store=store) as vigie:
            others: list[PollResult] = []

            async def other_polls_now() -> None:
                # The other process fetched a moment earlier: it saw the first item only.
                srv.add("/f.xml", rss([first]))
                others.extend(await other.poll_all())

            store.before_next_save = other_polls_now
            with caplog.at_level(logging.INFO, logger="bot._poller"):
                [mine] = await vigie.poll_all()

            [theirs] = others
            assert [m.item.key for m in theirs.matches] == ["id:a"]
            assert theirs.new_items == 1 and theirs.alerted == {"id:a"}
            assert [m.item.key for m in mine.matches] == ["id:b"]
            assert mine.new_items == 2 and mine.alerted == {"id:b"}  # b and the rat
            assert "source f: 3 items, 2 new, 1 matched, 1 to alert" in caplog.messages
            # Stored once each, queued once each.
            assert await store.count_items() == 3
            assert (await store.delivery_counts())["pending"] == 2
