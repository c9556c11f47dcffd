"""Hostile input never stops the bot: the cases a fault campaign broke.

Each test here failed before its fix. Feeds are served by a real local
server and ``vigie`` runs as a real process where the case is about the
whole run (exit code, traceback, what is stored).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import write_config
from feedbuilder import rss
from feedserver import FeedServer
from vigieproc import vigie, vigie_config

from bot._parser import parse_feed

#: A JSON Feed whose item author's name is a number (and variants of it):
#: an ``AttributeError`` in the author parsing once aborted every poll.
NUMERIC_AUTHORS = {
    "authors-list": {"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "title": "Musk buys GPUs", "url": "http://e.com/1",
         "authors": [{"name": 5}]}]},
    "author-object": {"version": "https://jsonfeed.org/version/1", "items": [
        {"id": "1", "title": "Musk buys GPUs", "url": "http://e.com/1",
         "author": {"name": 5}}]},
    "feed-authors": {"version": "https://jsonfeed.org/version/1.1",
                     "authors": [{"name": 5}, {"name": ["x"]}],
                     "items": [{"id": "1", "title": "Musk buys GPUs",
                                "url": "http://e.com/1"}]},
}


@pytest.mark.parametrize("case", sorted(NUMERIC_AUTHORS))
def test_a_numeric_author_name_is_read_as_text_or_ignored(case: str) -> None:
    feed = parse_feed(json.dumps(NUMERIC_AUTHORS[case]).encode())
    assert [e.title for e in feed.entries] == ["Musk buys GPUs"]
    assert feed.entries[0].author in (None, "5")


def test_an_unreadable_item_costs_that_item_only() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "title": "first", "url": "http://e.com/1"},
        # A title that is an object, tags that are not strings, dates that are lists.
        {"id": {"x": 1}, "title": {"a": 1}, "tags": [1, None, {}], "date_published": [1],
         "url": 7, "image": [], "content_html": {"x": 2}},
        {"id": "3", "title": "third", "url": "http://e.com/3"},
    ]}).encode()
    feed = parse_feed(body)
    titles = [e.title for e in feed.entries]
    assert titles[0] == "first" and titles[-1] == "third"


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        srv.add("/good.xml", rss([{"id": "g1", "title": "Musk et les GPU de Twitter",
                                   "link": "https://news.example/g1"}], language="fr"))
        for name, doc in NUMERIC_AUTHORS.items():
            srv.add(f"/{name}.json", json.dumps(doc), content_type="application/feed+json")
        yield srv


async def test_a_numeric_json_author_stops_nothing(tmp_path: Path, feeds: FeedServer) -> None:
    sources = {"good": feeds.url("/good.xml")}
    sources |= {name: feeds.url(f"/{name}.json") for name in NUMERIC_AUTHORS}
    config = write_config(tmp_path / "vigie.toml", vigie_config(
        f"sqlite:///{tmp_path / 'vigie.db'}", sources, extra="""
[[subscriptions]]
name = "newsroom"
topics = ["gpu", "musk"]
destination = "console"
"""))
    code, out, err = await vigie("poll", "--once", "--backfill", "--format", "json",
                                 "--config", str(config))
    assert code == 0, err
    assert "Traceback" not in err
    rows = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["source"] for r in rows) == sorted(sources)
    # Stored, not only printed: the next status shows every source healthy.
    code, out, err = await vigie("status", "--config", str(config))
    assert code == 0, err
    for name in sources:
        assert f"{name}: last success" in out, out


class _FailingStore:
    """The real store, except that one source's "seen?" query raises a bug-like
    error: a stand-in for any unexpected exception inside one source's poll."""

    def __init__(self, inner: object, failing: str) -> None:
        self.inner = inner
        self.failing = failing

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def seen(self, source: str, keys: object, urls: object) -> object:
        if source == self.failing:
            raise RuntimeError("a bug in one source's bookkeeping")
        return await self.inner.seen(source, keys, urls)  # type: ignore[attr-defined]


async def test_an_unexpected_error_fails_its_source_alone(
    store_url: str, feeds: FeedServer
) -> None:
    from bot._storage import make_store
    from bot.app import make_vigie
    from bot.config import validate

    config = validate({
        "storage": {"url": store_url},
        "fetch": {"allow_private_addresses": True},
        "sources": [{"name": "good", "url": feeds.url("/good.xml")},
                    {"name": "buggy", "url": feeds.url("/authors-list.json")}],
        "topics": {"musk": {"keywords": ["Musk"]}},
        "subscriptions": [{"name": "s", "topics": ["musk"]}],
    }, env={})
    store = _FailingStore(make_store(store_url), "buggy")
    async with make_vigie(config, store=store) as app:  # type: ignore[arg-type]
        results = {r.source: r for r in await app.poll_all(backfill=True)}
        assert results["good"].error is None and results["good"].new_items == 1
        assert results["buggy"].error is not None
        assert "RuntimeError" in results["buggy"].error.user_message
        assert app.poller.unexpected_errors == 1
        health = {s.name: s for s in await app.store.list_sources()}
        assert health["buggy"].consecutive_failures == 1
        assert "could not process" in (health["buggy"].last_error or "")
        assert health["good"].last_success is not None
