"""Crash safety, proved on the real process: ``vigie run`` against a local feed
server and a local webhook receiver, killed with SIGKILL at random moments
while it delivers, restarted, and checked: every alert delivered, none twice
(a repeat only ever carries the same idempotency key: the documented window),
order kept per subscription. Then the same under bursts of 429 and 500 answers.

Seeded: a failure replays with the same kill points.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from conftest import write_config
from fakes.webhook_receiver import WebhookReceiver
from feedserver import FeedServer
from vigieproc import VigieProcess, vigie, vigie_config

from bot._storage import make_store

SECRET = "crash-test-secret-0123456789"
SEED = 6
# Which subscriptions each item matches: titles mention GPU, IA, both or neither.
WORDS = ["GPU", "IA", "GPU et IA", "météo"]
N_ITEMS = 24


def feed(now: datetime) -> tuple[str, list[tuple[str, str]]]:
    """An RSS feed of N_ITEMS items, oldest first, and (title, topics) in published order."""
    items = []
    expected = []
    for i in range(N_ITEMS):
        words = WORDS[i % len(WORDS)]
        title = f"Article {i:02d} sur {words}"
        when = format_datetime(now - timedelta(minutes=N_ITEMS - i), usegmt=True)
        items.append(f"<item><title>{title}</title><link>https://news.example/{i}</link>"
                     f"<guid>a{i}</guid><pubDate>{when}</pubDate></item>")
        expected.append((title, words))
    rss = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
           f"<title>News</title>{''.join(reversed(items))}</channel></rss>")
    return rss, expected


def expected_per_path(expected: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"/gpu": [], "/ia": [], "/all": []}
    for title, words in expected:
        if "GPU" in words:
            out["/gpu"].append(title)
        if "IA" in words:
            out["/ia"].append(title)
        if "GPU" in words or "IA" in words:
            out["/all"].append(title)
    return out


# Not the founding topics: each title mentions GPU, IA, both or neither.
TOPICS = """
[topics.gpu]
keywords = ["GPU"]

[topics.ia]
keywords = ["IA"]
"""


def make_config(tmp_path: Path, store_url: str, feeds: FeedServer, hook: WebhookReceiver,
                *, retry_max: str = "1s") -> Path:
    subs = "".join(f"""
[[subscriptions]]
name = "{name}"
topics = {topics}
destination = "webhook:{hook.url('/' + name)}"
""" for name, topics in (("gpu", '["gpu"]'), ("ia", '["ia"]'), ("all", '["gpu", "ia"]')))
    return write_config(tmp_path / "vigie.toml", vigie_config(
        store_url, {"news": feeds.url("/feed.xml")}, topics=TOPICS, extra=f"""
[poll]
first_poll_alerts = true

[delivery]
interval = "0.1s"
lease = "2s"
max_attempts = 3
retry_min = "0.2s"
retry_max = "{retry_max}"

[webhook]
secret = "{SECRET}"
per_second = 50
""" + subs))


async def start(config: Path, log: Path) -> VigieProcess:
    """``vigie run`` as its own process, its log appended to ``log``."""
    return await VigieProcess.start(config, options=("--log-level", "info"), log_file=log)


def check_deliveries(hook: WebhookReceiver, expected: dict[str, list[str]]) -> dict[str, int]:
    """Every expected alert once per subscription, in order; repeats only by key.

    Returns how many requests were repeats, per subscription (path).
    """
    assert hook.rejected == [] or all(r.status in (429, 500) for r in hook.rejected)
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in hook.received:
        by_key[r.key].append(r.body)
    for key, bodies in by_key.items():
        # A repeat is the same alert, sent again after a crash: same key, same content.
        assert all(b["item"] == bodies[0]["item"] and b["id"] == key for b in bodies), key
    for path, titles in expected.items():
        got = [b["item"]["title"] for b in hook.unique(path)]
        assert got == titles, f"{path}: {got} != {titles}"
    # No alert arrived under two keys (that would be a true duplicate).
    per_alert = {(r.path, r.body["item"]["url"]) for r in hook.received}
    assert len(per_alert) == len(by_key) == sum(len(t) for t in expected.values())
    return {path: len(hook.keys(path)) - len(set(hook.keys(path))) for path in expected}


async def status(config: Path) -> str:
    code, out, err = await vigie("status", "--config", str(config))
    assert code == 0, err
    return out


async def test_sigkill_during_delivery_loses_nothing(store_url: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    rss, items = feed(datetime.now(UTC).replace(microsecond=0))
    expected = expected_per_path(items)
    total = sum(len(t) for t in expected.values())
    async with FeedServer() as feeds, WebhookReceiver(SECRET) as hook:
        feeds.add("/feed.xml", rss)
        # Record, then answer a little later: a kill in between is the crash
        # window (the receiver has it, Vigie has not recorded it).
        hook.delay = 0.03
        config = make_config(tmp_path, store_url, feeds, hook)
        log = tmp_path / "vigie.log"
        kills = 0
        for _ in range(6):
            remaining = total - len({r.key for r in hook.received})
            if remaining <= 0:
                break
            # Kill after 1 to 5 more requests (no more than must still come); the
            # ones after them are held in the crash window until the kill, so a
            # run moves a few alerts on however the machine schedules the processes.
            target = len(hook.received) + rng.randint(1, min(5, remaining))
            hook.hold_after = target
            run = await start(config, log)
            try:
                await hook.wait_received(target, timeout=45)
                await asyncio.sleep(rng.uniform(0.0, 0.1))
            finally:
                await run.kill()
                hook.release()
            kills += 1
        run = await start(config, log)
        try:
            await hook.wait_unique(total, timeout=45)
            # Anything still in flight lands before the check.
            await asyncio.sleep(0.5)
        finally:
            assert await run.stop() == 0, log.read_text()[-3000:]
    assert kills >= 4, "the run finished before the kills could test anything"
    repeats = check_deliveries(hook, expected)
    # The window: a crash repeats at most the one message in flight per lane.
    assert all(n <= kills for n in repeats.values()), repeats
    out = await status(config)
    assert "deliveries: 0 pending" in out and f"{total} sent, 0 failed" in out, out


async def test_429_and_500_storms_lose_nothing(store_url: str, tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    rss, items = feed(datetime.now(UTC).replace(microsecond=0))
    expected = expected_per_path(items)
    total = sum(len(t) for t in expected.values())
    async with FeedServer() as feeds, WebhookReceiver(SECRET) as hook:
        feeds.add("/feed.xml", rss)
        for path in expected:
            answers: list[int | tuple[int, str | None]] = []
            for n in range(3):
                # More 429s in a row than max_attempts (3): they must not count.
                # Retry-After: absent, "0", and once "1" (a real wait).
                answers += [(429, "1" if n == 0 else rng.choice([None, "0"]))]
                answers += [(429, rng.choice([None, "0"]))] * rng.randint(3, 4)
                # Fewer 500s in a row than max_attempts: retried, not failed.
                answers += [500] * rng.randint(1, 2)
                answers += [200] * rng.randint(1, 3)
            hook.script(path, answers)
        config = make_config(tmp_path, store_url, feeds, hook, retry_max="0.3s")
        log = tmp_path / "vigie.log"
        run = await start(config, log)
        try:
            await hook.wait_unique(total, timeout=55)
        finally:
            assert await run.stop() == 0, log.read_text()[-3000:]
    # No crash: not even a repeat.
    assert check_deliveries(hook, expected) == dict.fromkeys(expected, 0)
    statuses = [r.status for r in hook.rejected]
    assert statuses.count(429) >= 3 * 3 * 4 and statuses.count(500) >= 3 * 3
    out = await status(config)
    assert "deliveries: 0 pending" in out and f"{total} sent, 0 failed" in out, out
    assert "paused" not in out
    store = make_store(store_url)
    try:
        async with store.engine.connect() as conn:
            worst = (await conn.execute(sa.text("SELECT max(throttled) FROM deliveries"))
                     ).scalar_one()
    finally:
        await store.close()
    assert worst >= 4  # more rate limits than max_attempts, and still delivered
