"""What an impatient operator does to a running Vigie: two polls at once on
one database, SIGTERM in the middle of a fetch, a database that turns
read-only. Real ``vigie`` processes, a real feed server, real databases;
the assertions are on what the processes print and log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import POSTGRES_URL, write_config
from feedbuilder import rss
from feedserver import FeedServer
from sqlalchemy.engine import make_url
from vigieproc import VigieProcess, until, vigie, vigie_config

from bot._dbhealth import DatabaseHealth
from bot.exceptions import StorageError

NEWSROOM = """
[[subscriptions]]
name = "newsroom"
topics = ["gpu", "musk"]
destination = "console"
"""

#: Deliveries looked at often, so a failing database shows there quickly.
FAST_DELIVERY = '\n[delivery]\ninterval = "0.5s"\n'

#: What a traceback or a statement in the log looks like.
NOISE = re.compile(r"Traceback|CancelledError|\[SQL|\bINSERT INTO\b|\bUPDATE \w+ SET\b"
                   r"|\bSELECT\b.*\bFROM\b|raised an exception")


def _articles(round_: int, count: int) -> list[dict[str, object]]:
    return [{"id": f"r{round_}-{n}", "title": f"GPU n°{n} du tour {round_}",
             "link": f"https://news.example/{round_}/{n}"} for n in range(count)]


# -- two polls at once (issue 16, case 5) ----------------------------------------


async def test_two_polls_at_once_report_each_item_once(tmp_path: Path,
                                                       pg_schema_url: str) -> None:
    """Two ``vigie poll --once --format json`` on one PostgreSQL database,
    their fetches released together: each new item is printed (and counted
    as new in the log) by exactly one of them, whichever stored it."""
    rounds, per_round = 4, 40
    async with FeedServer() as srv:
        config = write_config(tmp_path / "vigie.toml", vigie_config(
            pg_schema_url, {"wire": srv.url("/wire.xml")}, extra=NEWSROOM))
        for round_ in range(rounds):
            articles = _articles(round_, per_round)
            gate = asyncio.Event()
            srv.add("/wire.xml", rss(articles), gate=gate)
            asked = len(srv.requests_to("/wire.xml"))
            runs = [asyncio.create_task(vigie(
                "--log-level", "info", "poll", "--once", "--format", "json",
                "--config", str(config))) for _ in range(2)]
            # Both have fetched and wait for the answer: they will look up
            # and store the same items at the same time.
            await until(lambda: len(srv.requests_to("/wire.xml")) >= asked + 2,  # noqa: B023
                        "both processes' requests")
            gate.set()
            printed: list[str] = []
            counted = 0
            for code, out, err in await asyncio.gather(*runs):
                assert code == 0, err
                assert not NOISE.search(err), err
                printed += [json.loads(line)["title"] for line in out.splitlines()]
                [line] = re.findall(r"source wire: \d+ items, (\d+) new", err)
                counted += int(line)
            assert sorted(printed) == sorted(str(a["title"]) for a in articles), round_
            assert counted == per_round, round_


# -- SIGTERM during a slow fetch (issue 16, case 6) ------------------------------


async def test_sigterm_during_a_slow_fetch_stops_at_once_and_quietly(tmp_path: Path) -> None:
    """The poll waiting on the network is cancelled at once (it has written
    nothing), without an error or a traceback, and nothing is recorded
    against the source."""
    db = tmp_path / "vigie.db"
    async with FeedServer() as srv:
        never = asyncio.Event()  # the feed never answers
        srv.add("/slow.xml", rss(_articles(0, 1)), gate=never)
        srv.add("/quick.xml", rss(_articles(1, 1)))
        config = write_config(tmp_path / "vigie.toml", vigie_config(
            f"sqlite:///{db}", {"slow": srv.url("/slow.xml"), "quick": srv.url("/quick.xml")},
            extra=NEWSROOM, timeout="120s"))
        run = await VigieProcess.start(config)
        try:
            await until(lambda: srv.hits("/slow.xml") >= 1, "the slow fetch")
            await until(lambda: srv.hits("/quick.xml") >= 1, "the quick poll")
            await run.wait_log(r"source quick: 1 items, 1 new")
        finally:
            code = await run.stop()
        assert code == 0, run.log
        assert "stopping: 1 polls waiting on the network cancelled" in run.log
        assert re.search(r"INFO vigie: stopped", run.log), run.log
        assert not NOISE.search(run.log), run.log
        assert not re.search(r"\b(ERROR|WARNING)\b", run.log), run.log
    code, out, err = await vigie("status", "--config", str(config))
    assert code == 0, err
    # Cancelled, not failed: nothing stored against the slow source.
    assert "  slow: never polled" in out, out
    assert "  quick: last success" in out, out


# -- a read-only database under run (issue 16, case 6) ---------------------------


async def test_a_read_only_database_is_said_once_in_one_line(tmp_path: Path) -> None:
    """Every poll fails to store: one line says so, without SQL or traceback."""
    db = tmp_path / "vigie.db"
    names = ("one", "two", "three")
    async with FeedServer() as srv:
        srv.add("/feed.xml", rss(_articles(0, 2)))
        sources = {name: srv.url(f"/feed.xml?{name}") for name in names}
        writable = write_config(tmp_path / "vigie.toml", vigie_config(
            f"sqlite:///{db}", sources, extra=NEWSROOM + FAST_DELIVERY))
        code, _, err = await vigie("poll", "--once", "--config", str(writable))
        assert code == 0, err
        srv.add("/feed.xml", rss(_articles(1, 2)))  # news, which cannot be stored
        read_only = write_config(tmp_path / "ro.toml", vigie_config(
            f"sqlite:///file:{db}?mode=ro&uri=true", sources, extra=NEWSROOM + FAST_DELIVERY))
        run = await VigieProcess.start(read_only)
        try:
            # A source's next poll only starts once its previous one is over
            # (one instance at a time): two requests each mean every source
            # has failed at least once.
            await until(lambda: all(srv.hits(f"/feed.xml?{n}") >= 2 for n in names),
                        "two polls of every source", timeout=60)
        finally:
            code = await run.stop()
        assert code == 0, run.log
        failures = re.findall(r"ERROR bot\._dbhealth: the database fails: (.*)", run.log)
        assert len(failures) == 1, run.log
        assert "attempt to write a readonly database" in failures[0]
        assert not NOISE.search(run.log), run.log
        assert run.log.count("ERROR") == 1, run.log


async def _as_postgres(*statements: str) -> None:
    """Run ``statements`` on the test server as its administrator."""
    import asyncpg

    assert POSTGRES_URL
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
async def pg_role_url() -> AsyncIterator[tuple[str, str, str]]:
    """A PostgreSQL URL as a fresh role owning a fresh schema; yields the URL,
    the role and the schema (both dropped afterwards)."""
    if not POSTGRES_URL:
        pytest.skip("VIGIE_TEST_POSTGRES_URL is not set")
    suffix = uuid.uuid4().hex[:12]
    role, schema = f"vigie_ro_{suffix}", f"t_{suffix}"
    await _as_postgres(f'CREATE ROLE "{role}" LOGIN',
                       f'CREATE SCHEMA "{schema}" AUTHORIZATION "{role}"')
    url = make_url(POSTGRES_URL).set(username=role, password=None)
    url = url.update_query_dict({"vigie_schema": schema})
    yield url.render_as_string(hide_password=False), role, schema
    await _as_postgres(f'DROP SCHEMA "{schema}" CASCADE', f'DROP ROLE "{role}"')


async def _grant_writes(schema: str, role: str, *, granted: bool) -> None:
    verb, to = ("GRANT", "TO") if granted else ("REVOKE", "FROM")
    await _as_postgres(
        f'{verb} INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" {to} "{role}"')


async def test_a_database_refusing_writes_is_said_again_only_when_it_changes(
    tmp_path: Path, pg_role_url: tuple[str, str, str]
) -> None:
    """PostgreSQL refusing Vigie's writes (grants revoked), then accepting
    them, then refusing again: a line when it starts, one when it is over,
    one when it starts again; nothing for each poll and delivery pass."""
    url, role, schema = pg_role_url
    names = ("one", "two")
    async with FeedServer() as srv:
        srv.add("/feed.xml", rss(_articles(0, 2)))
        sources = {name: srv.url(f"/feed.xml?{name}") for name in names}
        config = write_config(tmp_path / "vigie.toml", vigie_config(
            url, sources, extra=NEWSROOM + FAST_DELIVERY))
        code, _, err = await vigie("poll", "--once", "--config", str(config))
        assert code == 0, err
        run = await VigieProcess.start(config)
        try:
            await run.wait_log(r"watching 2 sources")
            await _grant_writes(schema, role, granted=False)
            await run.wait_log(r"the database fails: .*permission denied")
            polled = {n: srv.hits(f"/feed.xml?{n}") for n in names}
            await until(lambda: all(srv.hits(f"/feed.xml?{n}") >= polled[n] + 2
                                    for n in names), "two polls of every source", timeout=60)
            await _grant_writes(schema, role, granted=True)
            await run.wait_log(r"the database works again", timeout=60)
            await _grant_writes(schema, role, granted=False)
            await until(lambda: run.log.count("the database fails") == 2,
                        "the trouble said again", timeout=60)
        finally:
            code = await run.stop()
        assert code == 0, run.log
        assert run.log.count("the database fails") == 2, run.log
        assert run.log.count("the database works again") == 1, run.log
        assert not NOISE.search(run.log), run.log


def test_each_database_trouble_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    """The bookkeeping behind those lines: a trouble is said when the first
    operation meets it, a different one is said too, and the end is said
    once every operation that failed has gone through again."""
    health = DatabaseHealth()
    read_only = StorageError("cannot store a poll: read-only (db)", kind="SQLITE_READONLY")
    full = StorageError("cannot store a poll: disk full (db)", kind="SQLITE_FULL")
    with caplog.at_level(logging.INFO, logger="bot._dbhealth"):
        health.failed("poll a", read_only)
        health.failed("poll b", read_only)
        health.failed("delivery", read_only)
        health.worked("refresh")  # only read, never failed: says nothing
        health.worked("poll a")
        health.failed("poll a", full)
        health.worked("poll a")
        health.worked("poll b")
        health.worked("delivery")
        health.worked("delivery")
    assert caplog.messages == [
        "the database fails: cannot store a poll: read-only (db) (said once, until it "
        "changes or recovers)",
        "the database fails: cannot store a poll: disk full (db) (said once, until it "
        "changes or recovers)",
        "the database works again",
    ]
