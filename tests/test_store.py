"""The SQL store on real databases: SQLite always, PostgreSQL when
``VIGIE_TEST_POSTGRES_URL`` is set (each test in a schema of its own)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot._normalize import normalize
from bot._storage import SQLStore, make_store
from bot._storage._codec import decode_alert, encode_alert
from bot._types import NewItem, SearchTerm, Store
from bot.exceptions import StorageError
from bot.options import UTC_ZONE, SubscriptionOptions
from bot.types import Alert, Item, SourceState, StoredItem

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def item(
    key: str,
    title: str = "A title",
    summary: str = "",
    content: str = "",
    *,
    source: str = "src",
    url: str | None = None,
    published: datetime | None = None,
) -> Item:
    return Item(
        source=source, key=key, url=url, title=title, summary_text=summary,
        content_text=content, lead=summary[:50], published=published, language="fr",
    )


def alert(it: Item, destination: str = "console", subscription: str = "sub") -> Alert:
    return Alert(
        item=it, subscription=subscription, destination=destination, topics=("ai",),
        topic_names=("IA",), matched_terms=("IA générative",),
        title_highlights=((0, 2),), lead_highlights=((1, 3), (5, 8)),
        options=SubscriptionOptions.parse({"mention": "here", "digest": "daily@08:30",
                                           "timezone": "Europe/Paris"}),
    )


def state(name: str = "src", when: datetime = T0) -> SourceState:
    return SourceState(name, f"https://example.org/{name}.xml", last_poll=when, initialised=True)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SQLStore]:
    s = make_store(store_url)
    await s.migrate()
    yield s
    await s.close()


async def save(store: SQLStore, *items: Item, when: datetime = T0, source: str = "src",
               topics: tuple[str, ...] = (), alerts: bool = False) -> list[str]:
    its = [dataclasses.replace(i, source=source) for i in items]
    return await store.save_poll(
        state(source, when), [NewItem(i, topics, (alert(i),) if alerts else ()) for i in its]
    )


async def keys(store: SQLStore, *terms: SearchTerm | str, since: datetime | None = None,
               limit: int = 50) -> list[str]:
    ts = [SearchTerm(t) if isinstance(t, str) else t for t in terms]
    return [h.stored.item.key for h in await store.search(ts, since=since, limit=limit)]


# -- construction and migration ----------------------------------------------------


def test_make_store_adds_async_drivers(tmp_path: Path) -> None:
    cases = {
        f"sqlite:///{tmp_path}/a.db": "sqlite+aiosqlite",
        f"sqlite+aiosqlite:///{tmp_path}/a.db": "sqlite+aiosqlite",
        "sqlite:///:memory:": "sqlite+aiosqlite",
        "postgresql://u:pw@localhost/db": "postgresql+asyncpg",
        "postgres://u@localhost/db": "postgresql+asyncpg",
        "postgresql+asyncpg://u@localhost/db": "postgresql+asyncpg",
    }
    for url, driver in cases.items():
        assert make_store(url).engine.url.drivername == driver, url
    pg_url = make_store("postgresql://u@h/db?sslmode=require&vigie_schema=s1").engine.url
    assert dict(pg_url.query) == {"ssl": "require"}


@pytest.mark.parametrize("url", [
    "mysql://u:Sekr1tPass@localhost/db",
    "postgresql+psycopg2://u:Sekr1tPass@localhost/db",
    "sqlite+pysqlcipher:///x.db",
    "not a url at all Sekr1tPass",
    "postgresql://u@localhost/db?vigie_schema=bad;name",
])
def test_make_store_refuses_unsupported_urls(url: str) -> None:
    with pytest.raises(ValueError) as info:
        make_store(url)
    assert "Sekr1tPass" not in str(info.value)


async def test_migrate_is_idempotent_and_keeps_data(store: SQLStore, store_url: str) -> None:
    await save(store, item("k1", "Bonjour"), alerts=True)
    await store.migrate()
    again = make_store(store_url)
    try:
        await again.migrate()
        await again.migrate()
        assert await again.count_items() == 1
        assert await keys(again, "bonjour") == ["k1"]
        async with again.engine.connect() as conn:
            version = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
                       ).scalar_one()
        assert version == head_revision()
    finally:
        await again.close()


def test_sqlstore_is_a_store() -> None:
    s: Store = make_store("sqlite:///:memory:")  # checked by mypy
    assert isinstance(s, SQLStore)


async def test_migrate_creates_the_postgres_schema(pg_schema_url: str) -> None:
    base = pg_schema_url.split("?")[0]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    s = make_store(base, schema=schema)
    try:
        await s.migrate()
        await save(s, item("k", "Schéma"))
        async with s.engine.connect() as conn:
            where = (await conn.execute(sa.text(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'items'"
                " AND table_schema = current_schema()"))).scalar_one()
        assert where == schema
        assert await keys(s, "schema") == ["k"]
    finally:
        async with s.engine.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await s.close()


async def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    s = make_store(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        await s.migrate()
        async with s.engine.connect() as conn:
            journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
            timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
        assert (journal, fks) == ("wal", 1)
        assert timeout > 0
    finally:
        await s.close()


async def test_memory_sqlite_serves_concurrent_calls() -> None:
    s = make_store("sqlite:///:memory:")
    try:
        await s.migrate()
        its = [item(f"k{i}", f"Titre numéro {i}") for i in range(20)]
        inserted, counts = await asyncio.gather(
            asyncio.gather(*(save(s, it) for it in its)),
            asyncio.gather(*(s.count_items() for _ in range(5))),
        )
        assert sorted(k for r in inserted for k in r) == sorted(i.key for i in its)
        assert all(0 <= n <= 20 for n in counts)
        assert await s.count_items() == 20
        assert len(await keys(s, "numero")) == 20
    finally:
        await s.close()


# -- sources -------------------------------------------------------------------------


async def test_sync_sources_rules(store: SQLStore) -> None:
    await store.sync_sources([("a", "https://a/feed", True), ("b", "https://b/feed", False)])
    a = await store.get_source("a")
    b = await store.get_source("b")
    assert a is not None and b is not None
    assert (a.url, a.enabled, a.initialised, a.item_count) == ("https://a/feed", True, False, 0)
    assert b.enabled is False

    # The poller moved "a" (permanent redirect), stored validators, and the
    # server said 410 for "b" once it was enabled.
    await store.update_source(dataclasses.replace(
        a, url="https://a/moved", etag='"v1"', last_modified="Wed, 01 May 2024 12:00:00 GMT",
        initialised=True, last_poll=T0, consecutive_failures=2, next_attempt=T0,
    ))
    await store.sync_sources([("a", "https://a/feed", True), ("b", "https://b/feed", True)])
    assert (await store.get_source("b")).enabled is True  # type: ignore[union-attr]
    b = await store.get_source("b")
    assert b is not None
    await store.update_source(dataclasses.replace(b, enabled=False, disabled_reason="410"))

    # Same configuration again: nothing moves; "b" stays disabled by the store.
    await store.sync_sources([("a", "https://a/feed", True), ("b", "https://b/feed", True)])
    a2 = await store.get_source("a")
    b2 = await store.get_source("b")
    assert a2 is not None and b2 is not None
    assert (a2.url, a2.etag, a2.initialised, a2.consecutive_failures) == (
        "https://a/moved", '"v1"', True, 2)
    assert (b2.enabled, b2.disabled_reason) == (False, "410")

    # A configured URL change resets the fetch state and lifts the store's disablement.
    await store.sync_sources([("a", "https://a/new", True), ("b", "https://b/new", True)])
    a3 = await store.get_source("a")
    b3 = await store.get_source("b")
    assert a3 is not None and b3 is not None
    assert (a3.url, a3.etag, a3.last_modified, a3.consecutive_failures, a3.next_attempt) == (
        "https://a/new", None, None, 0, None)
    assert a3.last_poll == T0
    assert a3.initialised is False  # a new URL is a new feed: first-poll suppression again
    assert (b3.url, b3.enabled, b3.disabled_reason) == ("https://b/new", True, None)

    # Disabled in the configuration, then enabled again.
    await store.sync_sources([("a", "https://a/new", False)])
    assert (await store.get_source("a")).enabled is False  # type: ignore[union-attr]
    await store.sync_sources([("a", "https://a/new", True)])
    assert (await store.get_source("a")).enabled is True  # type: ignore[union-attr]

    # Sources left out of the configuration stay, with their items.
    await save(store, item("x", "Restera"), source="b")
    await store.sync_sources([])
    assert [s.name for s in await store.list_sources()] == ["a", "b"]
    assert (await store.get_source("b")).item_count == 1  # type: ignore[union-attr]
    assert await store.get_source("zzz") is None


async def test_update_source_round_trips_every_field(store: SQLStore) -> None:
    full = SourceState(
        name="n", url="https://n/feed", enabled=False, etag="W/\"e\"", last_modified="lm",
        last_poll=T0, last_success=T0 - timedelta(hours=1), last_error="HTTP 503",
        consecutive_failures=3, next_attempt=T0 + timedelta(minutes=5), initialised=True,
        item_count=0, disabled_reason="gone",
    )
    await store.update_source(full)  # creates it
    assert await store.get_source("n") == full
    await store.update_source(dataclasses.replace(full, last_error=None, enabled=True))
    assert await store.get_source("n") == dataclasses.replace(full, last_error=None, enabled=True)


# -- items -----------------------------------------------------------------------------


async def test_seen_keys_per_source_urls_across_sources(store: SQLStore) -> None:
    await save(store, item("k1", url="https://x/1"), item("k2"), source="a")
    await save(store, item("k3", url="https://x/3"), source="b")
    got = await store.seen("a", ["k1", "k2", "k3", "k4"], ["https://x/1", "https://x/3", "https://x/9"])
    assert got == ({"k1", "k2"}, {"https://x/1", "https://x/3"})
    assert await store.seen("b", [], []) == (set(), set())
    many = [f"m{i}" for i in range(450)]
    await save(store, *(item(k) for k in many[::2]), source="c")
    assert (await store.seen("c", many, []))[0] == set(many[::2])


async def test_save_poll_is_idempotent_and_skips_conflicts(store: SQLStore) -> None:
    a, b = item("k1", "Un"), item("k2", "Deux")
    polls = [NewItem(a, ("ai",), (alert(a), alert(a, "discord:1"), alert(a, "console", "other"))),
             NewItem(b, (), (alert(b),))]
    assert await store.save_poll(state(), polls) == ["k1", "k2"]
    # The same destination twice for one item is queued once.
    assert await store.delivery_counts() == {"pending": 3, "sent": 0, "failed": 0}

    assert await store.save_poll(state(when=T0 + timedelta(minutes=5)), polls) == []
    assert await store.count_items() == 2
    assert await store.delivery_counts() == {"pending": 3, "sent": 0, "failed": 0}
    # The second poll still wrote the source's state.
    st = await store.get_source("src")
    assert st is not None and st.last_poll == T0 + timedelta(minutes=5)
    assert st.item_count == 2
    # Duplicated keys in one batch: the first wins, once.
    c1, c2 = item("k3", "Premier"), item("k3", "Second")
    assert await store.save_poll(state(), [NewItem(c1, (), ()), NewItem(c2, (), ())]) == ["k3"]
    assert await keys(store, "premier") == ["k3"]
    assert await keys(store, "second") == []


async def test_concurrent_polls_of_the_same_items_insert_once(store_url: str) -> None:
    stores = [make_store(store_url) for _ in range(3)]
    try:
        await stores[0].migrate()
        its = [item(f"k{i}", f"Article {i}") for i in range(30)]
        results = await asyncio.gather(*(
            s.save_poll(state(), [NewItem(i, (), (alert(i),)) for i in its[n * 5:]])
            for n, s in enumerate(stores)
        ))
        inserted = [k for r in results for k in r]
        assert sorted(inserted) == sorted(i.key for i in its)
        assert await stores[0].count_items() == 30
        assert (await stores[0].delivery_counts())["pending"] == 30
    finally:
        for s in stores:
            await s.close()


async def test_save_poll_is_one_transaction(store: SQLStore) -> None:
    await save(store, item("k1"))
    bad = item("k3", published=datetime(2024, 1, 1))  # naive: refused
    with pytest.raises(ValueError):
        await store.save_poll(state(when=T0 + timedelta(hours=1)),
                              [NewItem(item("k2"), (), (alert(item("k2")),)), NewItem(bad, (), ())])
    assert await store.count_items() == 1
    assert (await store.get_source("src")).last_poll == T0  # type: ignore[union-attr]
    assert await store.delivery_counts() == {"pending": 0, "sent": 0, "failed": 0}


async def test_text_databases_refuse_is_cleaned(store: SQLStore) -> None:
    it = item("k\x00", "Nul\x00 et \ud800 seul", "ré\x00sumé")
    assert await store.save_poll(state(), [NewItem(it, (), (alert(it),))]) == ["k\x00"]
    hits = await store.search([SearchTerm("resume")], since=None, limit=5)
    assert [h.stored.item.title for h in hits] == ["Nul et ? seul"]
    (delivery,) = await store.due_deliveries(T0, 10)
    assert delivery.alert.item.summary_text == "résumé"


async def test_recent_filters_by_topic_and_time(store: SQLStore) -> None:
    day = timedelta(days=1)
    await save(store, item("old", published=T0 - 3 * day), when=T0 - 2 * day, topics=("ai",))
    await save(store, item("ai1", published=T0 - day), when=T0, topics=("ai", "gpu"))
    await save(store, item("gpu1", published=T0), when=T0, topics=("gpu",))
    await save(store, item("none1", published=None), when=T0 + timedelta(hours=1))
    await save(store, item("x", published=T0), when=T0, topics=("a,b", 'q"t'))

    def ks(stored: list[StoredItem]) -> list[str]:
        return [s.item.key for s in stored]

    since = T0 - day
    assert ks(await store.recent(topics=None, since=since, limit=10)) == [
        "x", "gpu1", "ai1", "none1"]
    assert ks(await store.recent(topics=["ai"], since=since, limit=10)) == ["ai1"]
    assert ks(await store.recent(topics=["ai"], since=T0 - 3 * day, limit=10)) == ["ai1", "old"]
    assert ks(await store.recent(topics=["gpu", "ai"], since=since, limit=10)) == ["gpu1", "ai1"]
    assert ks(await store.recent(topics=["gpu", "ai"], since=since, limit=1)) == ["gpu1"]
    assert ks(await store.recent(topics=["a"], since=since, limit=10)) == []
    assert ks(await store.recent(topics=["b"], since=since, limit=10)) == []
    assert ks(await store.recent(topics=["a,b"], since=since, limit=10)) == ["x"]
    assert ks(await store.recent(topics=['q"t'], since=since, limit=10)) == ["x"]
    assert ks(await store.recent(topics=[], since=since, limit=10)) == []
    (gpu,) = await store.recent(topics=["gpu"], since=T0, limit=1)
    assert gpu.topics == ("gpu",) and gpu.first_seen == T0
    assert await store.count_items() == 5
    assert await store.count_items(since=T0) == 4
    assert await store.count_items(since=T0 + timedelta(minutes=1)) == 1


async def test_datetimes_come_back_utc_aware(store: SQLStore) -> None:
    paris = timezone(timedelta(hours=2))
    published = datetime(2024, 6, 1, 9, 30, 15, 123456, tzinfo=paris)
    poll = datetime(2024, 6, 1, 10, 0, tzinfo=paris)
    await store.save_poll(state(when=poll), [NewItem(item("k", published=published), (), ())])
    (stored,) = await store.recent(topics=None, since=poll - timedelta(seconds=1), limit=5)
    assert stored.item.published == published
    assert stored.item.published.tzinfo == UTC  # type: ignore[union-attr]
    assert stored.item.published.hour == 7  # type: ignore[union-attr]
    assert stored.first_seen == poll and stored.first_seen.tzinfo == UTC
    st = await store.get_source("src")
    assert st is not None and st.last_poll == poll and st.last_poll.tzinfo == UTC  # type: ignore[union-attr]
    # Comparisons happen in UTC too: one second later is not "since".
    assert await store.recent(topics=None, since=poll + timedelta(seconds=1), limit=5) == []
    with pytest.raises(ValueError):
        await store.recent(topics=None, since=datetime(2024, 1, 1), limit=5)
    with pytest.raises(ValueError):
        await store.update_source(state(when=datetime(2024, 1, 1)))


# -- outbox ---------------------------------------------------------------------------


def test_alert_codec_round_trip() -> None:
    it = Item("s", "k", "https://x/é", "Titre « IA »", "résumé", "contenu", "lead ✓",
              datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=-5))),
              "fr", "https://x/i.png", "Zoé")
    a = alert(it)
    back = decode_alert(encode_alert(a))
    assert back == a
    assert back.options == a.options and back.options.mention == "here"
    # A stored option that no longer parses is left out, the others kept.
    stale = encode_alert(a).replace('"Europe/Paris"', '"Mars/Olympus"')
    assert decode_alert(stale).options == dataclasses.replace(a.options, timezone=UTC_ZONE)
    assert back.item.published == it.published and back.item.published.tzinfo == UTC  # type: ignore[union-attr]
    assert encode_alert(a).isascii()
    for bad in ["", "[]", '{"v": 99}', '{"v": 1, "item": {}}']:
        with pytest.raises(ValueError):
            decode_alert(bad)


async def test_outbox_lifecycle(store: SQLStore) -> None:
    old, new = item("old", published=T0 - timedelta(days=1)), item("new", published=T0)
    undated = item("undated")  # first seen at T0 + 1h
    await store.save_poll(state(), [NewItem(new, (), (alert(new), alert(new, "slack:x"))),
                                     NewItem(old, (), (alert(old),))])
    await store.save_poll(state(when=T0 + timedelta(hours=1)),
                          [NewItem(undated, (), (alert(undated),))])

    due = await store.due_deliveries(T0, 10)
    assert [(d.alert.item.key, d.alert.destination) for d in due] == [
        ("old", "console"), ("new", "console"), ("new", "slack:x"), ("undated", "console")]
    assert due[0].alert == alert(old) and due[0].status == "pending" and due[0].attempts == 0
    assert len(await store.due_deliveries(T0, 2)) == 2

    first, second, third, fourth = (d.id for d in due)
    await store.mark_sent(first, "msg-1", T0)
    await store.mark_retry(second, "HTTP 503", T0 + timedelta(minutes=10))
    await store.mark_failed(third, "channel not found")
    assert await store.delivery_counts() == {"pending": 2, "sent": 1, "failed": 1}

    assert [d.id for d in await store.due_deliveries(T0 + timedelta(minutes=9), 10)] == [fourth]
    later = await store.due_deliveries(T0 + timedelta(minutes=10), 10)
    assert [d.id for d in later] == [second, fourth]
    retried = later[0]
    assert (retried.attempts, retried.last_error, retried.not_before) == (
        1, "HTTP 503", T0 + timedelta(minutes=10))
    await store.mark_retry(second, "x" * 10_000, T0 + timedelta(minutes=20))
    await store.mark_sent(second, None, T0 + timedelta(minutes=20))
    await store.mark_sent(fourth, "m4", T0)
    # Late failure reports do not undo a send.
    await store.mark_failed(fourth, "late")
    await store.mark_retry(first, "late", T0)
    assert await store.due_deliveries(T0 + timedelta(days=1), 10) == []
    assert await store.delivery_counts() == {"pending": 0, "sent": 3, "failed": 1}
    async with store.engine.connect() as conn:
        row = (await conn.execute(sa.text(
            "SELECT attempts, message_id, length(last_error) FROM deliveries WHERE id = :i"
        ), {"i": second})).one()
    assert (row[0], row[1], row[2]) == (3, None, 2000)


async def test_unreadable_alert_is_failed_not_blocking(store: SQLStore) -> None:
    a, b = item("a", published=T0 - timedelta(hours=1)), item("b", published=T0)
    await store.save_poll(state(), [NewItem(a, (), (alert(a),)), NewItem(b, (), (alert(b),))])
    async with store.engine.begin() as conn:
        await conn.execute(sa.text(
            "UPDATE deliveries SET alert = '{broken' WHERE item_id = "
            "(SELECT id FROM items WHERE key = 'a')"))
    due = await store.due_deliveries(T0, 10)
    assert [d.alert.item.key for d in due] == ["b"]
    assert await store.delivery_counts() == {"pending": 1, "sent": 0, "failed": 1}


# -- search --------------------------------------------------------------------------

CORPUS = [
    # key, title, summary, content, published (days before T0, None = unknown)
    ("gen-fr", "L’IA générative bouleverse la presse", "Les rédactions s'adaptent.", "", 1),
    ("gen-up", "GENERATIVE AI IS HERE", "Big news.", "", 2),
    ("gen-low", "Why generative models hallucinate", "", "A long read on generative AI.", 3),
    ("gpu", "Nvidia ships new GPUs", "The GPU market", "Graphics cards and GPGPU.", None),
    ("gold", "L'or monte encore", "Le cours de l'or", "", 4),
    ("near", "Near the station", "", "A café near the station opened.", 5),
    ("phrase", "Machine learning", "learning machine", "", 6),
    ("split", "Title ends with open", "source code of the model", "", 7),
    ("greek", "Ωμέγα και άλφα", "Ελληνικά νέα", "", 8),
    ("numbers", "Budget 2024: 100 000 €", "3.5 % de croissance", "", 9),
]


async def fill(store: SQLStore) -> None:
    its = [item(k, t, s, c, published=None if d is None else T0 - timedelta(days=d))
           for k, t, s, c, d in CORPUS]
    assert len(await store.save_poll(state(), [NewItem(i, (), ()) for i in its])) == len(its)


async def test_search_ignores_accents_and_case(store: SQLStore) -> None:
    await fill(store)
    expected = ["gen-fr", "gen-up", "gen-low"]
    assert await keys(store, "générative") == expected
    assert await keys(store, "GENERATIVE") == expected
    assert await keys(store, "generative") == expected
    assert await keys(store, "Rédactions") == ["gen-fr"]
    assert await keys(store, "cafe") == ["near"]
    assert await keys(store, "ΩΜΕΓΑ") == ["greek"]
    assert await keys(store, "αλφα") == ["greek"]  # accent folded
    assert await keys(store, "ia") == ["gen-fr"]  # "L’IA": the apostrophe splits


async def test_search_phrases_prefixes_and_and(store: SQLStore) -> None:
    await fill(store)
    assert await keys(store, "generative ai") == ["gen-up", "gen-low"]
    assert await keys(store, "ai generative") == []
    assert await keys(store, "machine learning") == ["phrase"]
    assert await keys(store, "learning machine") == ["phrase"]
    # Not across title and body: "open" ends the title, "source" starts the summary.
    assert await keys(store, "open source") == []
    assert await keys(store, SearchTerm("gpu", prefix=True)) == ["gpu"]
    assert await keys(store, SearchTerm("gen", prefix=True)) == ["gen-fr", "gen-up", "gen-low"]
    assert await keys(store, SearchTerm("generative mod", prefix=True)) == ["gen-low"]
    assert await keys(store, SearchTerm("generative mod", prefix=False)) == []
    assert await keys(store, "generative", "presse") == ["gen-fr"]
    assert await keys(store, "generative", "hallucinate", "read") == ["gen-low"]
    assert await keys(store, "generative", "gpu") == []
    assert await keys(store, "100 000") == ["numbers"]
    assert await keys(store, "3 5") == ["numbers"]
    # Words found, for highlighting: the prefix stands for the words it matched.
    (hit,) = await store.search([SearchTerm("GPU", prefix=True), SearchTerm("nvidia")],
                                since=None, limit=5)
    assert hit.words == ("gpu", "gpus", "nvidia")
    (hit,) = await store.search([SearchTerm("l'or")], since=None, limit=5)
    assert hit.words == ("l", "or")


async def test_search_order_since_and_limit(store: SQLStore) -> None:
    await fill(store)
    late = item("late", "Generative late", published=T0 + timedelta(days=1))
    await save(store, late, when=T0 + timedelta(hours=1))
    assert await keys(store, "generative") == ["late", "gen-fr", "gen-up", "gen-low"]
    assert await keys(store, "generative", limit=2) == ["late", "gen-fr"]
    assert await keys(store, "generative", limit=0) == []
    assert await keys(store, "generative", since=T0 + timedelta(minutes=1)) == ["late"]
    # Unknown publication dates sort last.
    await save(store, item("undated", "GPU generative"), when=T0 + timedelta(hours=2))
    assert (await keys(store, "generative"))[-1] == "undated"


@pytest.mark.parametrize("text", [
    '"', "*", "NEAR", "OR", ")", "(", "'; DROP TABLE items; --", 'a" OR "b', "title:gpu",
    "^gpu", "NEAR(gpu nvidia)", "gpu AND NOT nvidia", "-gpu", "+", "{title}: x", "\\",
    "'", "&", "|", "!", "<->", ":*", "gpu & nvidia | or", "x' || 'y", "\x00", "", "   ",
    "a" * 600, "é" * 300,
])
@pytest.mark.parametrize("prefix", [False, True])
async def test_search_never_injects(store: SQLStore, text: str, prefix: bool) -> None:
    await fill(store)
    hits = await store.search([SearchTerm(text, prefix=prefix)], since=None, limit=20)
    assert isinstance(hits, list)
    # Words in the text are only words: "OR" and "NEAR" find the items holding them.
    await store.search([SearchTerm(text, prefix=prefix), SearchTerm("gpu")], since=None, limit=5)
    assert await store.count_items() == len(CORPUS)
    assert await keys(store, "gpu") == ["gpu"]


async def test_search_operators_are_plain_words(store: SQLStore) -> None:
    await fill(store)
    assert await keys(store, "OR") == ["gold"]
    assert await keys(store, "NEAR") == ["near"]
    assert await keys(store, "near the station") == ["near"]
    assert await keys(store, 'gpu" OR "generative') == []
    assert await keys(store, "'; DROP TABLE items; --") == []
    assert await keys(store, "***") == []


async def test_long_text_is_searchable_up_to_the_index_cap(store: SQLStore) -> None:
    words = [f"w{i}" for i in range(20_000)]
    await save(store, item("long", "Long", content=" ".join(words)))
    assert await keys(store, "w10") == ["long"]
    assert await keys(store, "w100 w101") == ["long"]
    # Past PostgreSQL's position limit nothing is indexed, on either back-end.
    assert await keys(store, "w19999") == []


# -- errors ------------------------------------------------------------------------


async def test_unreachable_postgres_error_hides_the_password() -> None:
    s = make_store("postgresql://vigie:Pa55w0rdS3cret@127.0.0.1:1/vigie")
    try:
        with pytest.raises(StorageError) as info:
            await s.migrate()
        message = str(info.value)
        assert "Pa55w0rdS3cret" not in message
        assert "127.0.0.1:1" in message and "***" in message
        with pytest.raises(StorageError) as info:
            await s.count_items()
        assert "Pa55w0rdS3cret" not in str(info.value)
        assert "Pa55w0rdS3cret" not in repr(s)
    finally:
        await s.close()


async def test_unreachable_sqlite_raises_storage_error(tmp_path: Path) -> None:
    s = make_store(f"sqlite:///{tmp_path / 'missing-dir' / 'v.db'}")
    before = set(threading.enumerate())
    try:
        with pytest.raises(StorageError, match="unable to open database file"):
            await s.migrate()
    finally:
        await s.close()
        # aiosqlite stops its thread without waiting after a failed connect;
        # let it finish while this test's event loop is still open.
        for thread in set(threading.enumerate()) - before:
            thread.join(timeout=30)


# -- parity ----------------------------------------------------------------------------

PARITY_TEXTS = [
    ("Élection présidentielle : les résultats", "Le candidat sortant l'emporte",
     "Résultats définitifs du second tour, 52,3 % des voix."),
    ("Intelligence artificielle et emploi", "L'IA générative transforme les métiers",
     "Les métiers du journalisme, de la traduction et du code changent."),
    ("Generative AI startups raise record funding", "OpenAI-style models everywhere",
     "Investors poured $20 billion into generative models in 2024."),
    ("GPU shortage eases", "Nvidia's H100 supply improves", "Cloud GPUs get cheaper; GPGPU too."),
    ("Œuvres d'art et IA", "Les artistes s'inquiètent", "Straße, naïve, coöperate, façade, Ærø."),
    ("日本の経済ニュース", "東京株式市場", "Nikkei 225 hits a record."),
    ("Новости технологий", "Искусственный интеллект", "Россия и ИИ"),
    ("नमस्ते दुनिया", "हिन्दी समाचार", "भारत में एआई"),
    ("Machine learning at scale", "learning machines", "The machine learning machine learns."),
    ("L’or et l’argent", "Cours de l'or : hausse", "NEAR OR AND NOT"),
]


async def test_sqlite_and_postgres_find_the_same(tmp_path: Path, pg_schema_url: str) -> None:
    stores = [make_store(f"sqlite:///{tmp_path / 'p.db'}"), make_store(pg_schema_url)]
    try:
        its = [item(f"k{n}", t, s, c, published=T0 - timedelta(hours=n))
               for n, (t, s, c) in enumerate(PARITY_TEXTS)]
        for s in stores:
            await s.migrate()
            await s.save_poll(state(), [NewItem(i, (), ()) for i in its])

        queries: list[list[SearchTerm]] = []
        vocab: set[str] = set()
        for texts in PARITY_TEXTS:
            for field in texts:
                words = normalize(field).split()
                vocab.update(words)
                queries += [[SearchTerm(" ".join(words[i:i + 2]))] for i in range(len(words))]
        for w in sorted(vocab):
            queries.append([SearchTerm(w)])
            for n in (1, 2, 3):
                queries.append([SearchTerm(w[:n], prefix=True)])
        words = sorted(vocab)
        queries += [[SearchTerm(a), SearchTerm(b)] for a, b in zip(words, words[3:], strict=False)]
        assert len(queries) > 300
        found_any = 0
        for q in queries:
            a, b = [
                [(h.stored.item.key, h.words) for h in await s.search(q, since=None, limit=50)]
                for s in stores
            ]
            assert a == b, q
            found_any += bool(a)
        assert found_any > len(queries) // 2
    finally:
        for s in stores:
            await s.close()


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from bot._storage._base import MIGRATIONS_DIR

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
