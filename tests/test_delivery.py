"""The delivery engine on real databases (SQLite, and PostgreSQL when set up):
lanes and leases, holds and digests, retries, rate limits, paused
subscriptions, and the generic webhook destination against a local receiver."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import write_config
from fakes.webhook_receiver import WebhookReceiver
from feedserver import FeedServer

from adapters._pacing import Pacer
from adapters.console import render_digest
from adapters.webhook import (
    WebhookAdapter,
    WebhookSettings,
    alert_body,
    settings_problems,
    verify,
)
from bot._delivery import Deliverer, DeliverySettings, redact_destination
from bot._destinations import Destinations
from bot._outbox import make_digest
from bot._storage import SQLStore, make_store
from bot._storage._codec import encode_alert
from bot._storage._tables import UTCDateTime
from bot._types import Lane, NewItem, Store
from bot.app import make_vigie
from bot.config import Config, load_config
from bot.exceptions import ConfigError, DeliveryError, UnknownDestinationError
from bot.options import SubscriptionOptions
from bot.types import Alert, AlertDigest, Item, SourceState

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SECRET = "test-secret-0123456789abcdef"


# -- helpers ---------------------------------------------------------------------------


def make_alert(n: int, *, destination: str = "rec:a", subscription: str = "sub-a",
               options: dict[str, str] | None = None, topic: str = "GPU") -> Alert:
    item = Item(source="src", key=f"k{n}", url=f"https://news.example/{n}", title=f"Item {n}",
                summary_text="", content_text="", lead=f"Lead {n}.",
                published=T0 + timedelta(seconds=n), language="en")
    return Alert(item=item, subscription=subscription, destination=destination,
                 topics=(topic.lower(),), topic_names=(topic,), matched_terms=(topic,),
                 options=SubscriptionOptions.parse(options or {}))


async def queue(store: Store, alerts: list[Alert], when: datetime = T0) -> None:
    """Store one item per alert (with that alert queued), as a poll would."""
    await store.save_poll(
        SourceState("src", "https://example.org/feed", last_poll=when, initialised=True),
        [NewItem(a.item, a.topics, (a,)) for a in alerts],
    )


class Recorder:
    """A destination that keeps what it is sent and fails when told to."""

    def __init__(self) -> None:
        #: Alerts as sent, in order.
        self.alerts: list[Alert] = []
        #: Set at each alert sent.
        self.sent = asyncio.Event()
        #: The idempotency key of every attempt, successful or not.
        self.attempts: list[str] = []
        #: Errors to raise on the next sends, in order.
        self.failures: deque[DeliveryError] = deque()

    def _attempt(self, key: str) -> None:
        self.attempts.append(key)
        if self.failures:
            raise self.failures.popleft()

    async def send(self, alert: Alert) -> str | None:
        self._attempt(alert.idempotency_key)
        self.alerts.append(alert)
        self.sent.set()
        return f"m{len(self.alerts)}"

    def titles(self) -> list[str]:
        return [a.item.title for a in self.alerts]


class DigestRecorder(Recorder):
    """A recorder that renders digests natively."""

    def __init__(self) -> None:
        super().__init__()
        self.digests: list[AlertDigest] = []

    async def send_digest(self, digest: AlertDigest) -> str | None:
        self._attempt(digest.idempotency_key)
        self.digests.append(digest)
        return f"d{len(self.digests)}"


class RecorderAdapter:
    """The ``rec`` scheme: one recorder per target."""

    def __init__(self, digests: bool = True) -> None:
        self.digests = digests
        self.targets: dict[str, Recorder] = {}

    def destination(self, target: str) -> Recorder:
        if target == "missing":
            raise UnknownDestinationError("no such channel")
        if target not in self.targets:
            self.targets[target] = DigestRecorder() if self.digests else Recorder()
        return self.targets[target]

    async def close(self) -> None:
        return None


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


FAST = DeliverySettings(retry_min=1.0, retry_max=60.0, max_attempts=3, lease=30.0)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SQLStore]:
    s = make_store(store_url)
    await s.migrate()
    yield s
    await s.close()


def deliverer(store: SQLStore, adapter: RecorderAdapter, clock: Clock,
              settings: DeliverySettings = FAST, worker: str = "w1") -> Deliverer:
    return Deliverer(store, Destinations(Config(path="t"), adapters={"rec": adapter}), clock,
                     settings=settings, worker=worker, rand=lambda: 0.5)


# -- the store's lanes -------------------------------------------------------------------


async def test_lanes_are_claimed_by_one_worker_until_the_lease_ends(store_url: str) -> None:
    a, b = make_store(store_url), make_store(store_url)
    try:
        await a.migrate()
        await queue(a, [make_alert(1, destination="rec:x"), make_alert(2, destination="rec:y"),
                        make_alert(3, destination="rec:y", subscription="sub-b")])
        lanes = {Lane("sub-a", "rec:x"), Lane("sub-a", "rec:y"), Lane("sub-b", "rec:y")}
        got_a, got_b = await asyncio.gather(
            a.claim_lanes(T0, worker="A", lease=60, limit=10),
            b.claim_lanes(T0, worker="B", lease=60, limit=10))
        # Claimed at the same time: each lane by exactly one worker.
        assert set(got_a) | set(got_b) == lanes and not set(got_a) & set(got_b)
        holder, other = (a, "A") if got_a else (b, "B")
        stranger = "B" if other == "A" else "A"
        assert await b.claim_lanes(T0 + timedelta(seconds=59), worker="C", lease=60,
                                   limit=10) == []
        # Only the holder renews or releases.
        assert await a.renew_lanes(list(lanes), worker=stranger,
                                   until=T0 + timedelta(hours=1)) == []
        # The holder died: after its lease, another worker takes over.
        taken = await b.claim_lanes(T0 + timedelta(seconds=61), worker="C", lease=60, limit=10)
        assert set(taken) == lanes
        for lane in lanes:  # the dead worker's late release changes nothing
            await holder.release_lane(lane, worker=other, next_attempt=None)
        assert await a.claim_lanes(T0 + timedelta(seconds=62), worker="D", lease=60,
                                   limit=10) == []
        assert set(await a.renew_lanes(list(lanes), worker="C",
                                       until=T0 + timedelta(hours=1))) == lanes
        # Released with a next attempt, a lane is due again then.
        x = Lane("sub-a", "rec:x")
        await a.release_lane(x, worker="C", next_attempt=T0 + timedelta(minutes=10))
        assert await a.claim_lanes(T0 + timedelta(minutes=9), worker="D", lease=60,
                                   limit=10) == []
        assert await a.claim_lanes(T0 + timedelta(minutes=10), worker="D", lease=60,
                                   limit=10) == [x]
    finally:
        await a.close()
        await b.close()


async def test_upgrading_gives_queued_deliveries_their_lanes(store_url: str) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from bot._storage._base import MIGRATIONS_DIR

    def upgrade_to(revision: str) -> Any:
        def run(connection: Any) -> None:
            cfg = AlembicConfig()
            cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
        return run

    old = make_store(store_url)
    try:
        async with old.engine.begin() as conn:
            await conn.run_sync(upgrade_to("0002"))
            await conn.execute(sa.text(
                "INSERT INTO items (source, key, title, summary_text, content_text, lead, "
                "first_seen, topics) VALUES ('src', 'k1', 'Old', '', '', '', :t, '[]')"
            ).bindparams(sa.bindparam("t", type_=UTCDateTime)), {"t": T0})
            await conn.execute(sa.text(
                "INSERT INTO deliveries (item_id, subscription, destination, alert, status, "
                "attempts, created_at) SELECT id, 'sub-a', 'rec:a', :alert, 'pending', 0, "
                "first_seen FROM items"), {"alert": encode_alert(make_alert(1))})
        await old.migrate()
        assert await old.claim_lanes(T0, worker="w", lease=60, limit=5) == [
            Lane("sub-a", "rec:a")]
        (queued,) = await old.lane_deliveries(Lane("sub-a", "rec:a"), 5)
        assert (queued.throttled, queued.hold, queued.digest_id) == (0, None, None)
    finally:
        await old.close()


async def test_lane_queue_holds_digests_and_sent_times(store: SQLStore) -> None:
    await queue(store, [make_alert(n) for n in (3, 1, 2)])
    lane = Lane("sub-a", "rec:a")
    pending = await store.lane_deliveries(lane, 10)
    assert [d.alert.item.key for d in pending] == ["k1", "k2", "k3"]  # published order
    assert all(d.created_at == T0 and d.hold is None and d.digest_id is None for d in pending)
    one, two, three = (d.id for d in pending)
    await store.hold_deliveries([one, two], "quiet", T0 + timedelta(hours=8))
    digest_id = await store.bundle_deliveries(lane, [one, two], "quiet", T0)
    # A collected delivery is not held again.
    await store.hold_deliveries([one], "overflow", T0 + timedelta(days=1))
    again = await store.lane_deliveries(lane, 10)
    assert [(d.hold, d.digest_id, d.not_before) for d in again[:2]] == [
        ("quiet", digest_id, T0 + timedelta(hours=8))] * 2
    await store.mark_sent([one, two], "d1", T0 + timedelta(hours=8))
    await store.mark_sent(three, "m3", T0 + timedelta(hours=9))
    assert await store.lane_sent_times(lane, T0) == [T0 + timedelta(hours=8),
                                                     T0 + timedelta(hours=9)]
    assert await store.lane_sent_times(lane, T0 + timedelta(hours=8, minutes=1)) == [
        T0 + timedelta(hours=9)]
    assert await store.lane_deliveries(lane, 10) == []
    await store.mark_retry(three, "late", T0, count_attempt=False)  # sent stays sent
    assert (await store.delivery_counts())["sent"] == 3


async def test_pausing_a_subscription_keeps_its_alerts_and_skips_its_lanes(
    store: SQLStore
) -> None:
    await queue(store, [make_alert(1), make_alert(2, subscription="sub-b", destination="rec:b")])
    await store.pause_subscription("sub-a", "the bot is not in channel #news", now=T0)
    assert await store.paused_subscriptions() == {"sub-a": "the bot is not in channel #news"}
    assert await store.claim_lanes(T0, worker="w", lease=60, limit=10) == [
        Lane("sub-b", "rec:b")]
    assert await store.resume_subscription("sub-a") is True
    assert await store.resume_subscription("sub-a") is False
    assert await store.paused_subscriptions() == {}
    assert await store.claim_lanes(T0, worker="w", lease=60, limit=10) == [
        Lane("sub-a", "rec:a")]


async def test_outbox_summary_tells_waiting_retrying_held_and_failed(store: SQLStore) -> None:
    await queue(store, [make_alert(n) for n in range(1, 6)])
    ids = [d.id for d in await store.lane_deliveries(Lane("sub-a", "rec:a"), 10)]
    await store.mark_sent(ids[0], "m1", T0)
    await store.mark_retry(ids[1], "HTTP 503", T0 + timedelta(minutes=1))
    await store.hold_deliveries([ids[2]], "digest", T0 + timedelta(hours=1))
    await store.mark_failed(ids[3], "channel not found")
    await store.pause_subscription("sub-a", "channel not found")
    summary = await store.outbox_summary()
    assert (summary.waiting, summary.retrying, summary.held, summary.sent, summary.failed) == (
        1, 1, 1, 1, 1)
    assert [(f.subscription, f.title, f.error) for f in summary.failures] == [
        ("sub-a", "Item 4", "channel not found")]
    assert summary.paused == {"sub-a": "channel not found"}


# -- the deliverer -------------------------------------------------------------------------


async def test_alerts_go_out_in_order_once_with_a_stable_key(store: SQLStore) -> None:
    adapter, clock = RecorderAdapter(), Clock()
    await queue(store, [make_alert(n) for n in (2, 1, 3)])
    rec = adapter.destination("a")
    rec.failures.append(DeliveryError("rec:a", "HTTP 503", transient=True))
    worker = deliverer(store, adapter, clock)
    stats = await worker.deliver_due()
    # The first send failed: the lane waits (order), nothing else was sent.
    assert (stats.sent, stats.retried, rec.titles()) == (0, 1, [])
    assert (await worker.deliver_due()).sent == 0  # still backing off
    clock.advance(seconds=2)
    stats = await worker.deliver_due()
    assert stats.sent == 3 and rec.titles() == ["Item 1", "Item 2", "Item 3"]
    assert rec.attempts[0] == rec.attempts[1] == make_alert(1).idempotency_key
    assert len(set(rec.attempts[1:])) == 3
    assert await store.delivery_counts() == {"pending": 0, "sent": 3, "failed": 0}
    assert (await worker.deliver_due()).sent == 0


async def test_rate_limits_never_use_up_the_attempts(store: SQLStore) -> None:
    adapter, clock = RecorderAdapter(), Clock()
    await queue(store, [make_alert(1), make_alert(2)])
    rec = adapter.destination("a")
    for _ in range(12):  # max_attempts is 3
        rec.failures.append(DeliveryError("rec:a", "rate-limited", retry_after=0.5))
    worker = deliverer(store, adapter, clock)
    for _ in range(40):
        await worker.deliver_due()
        clock.advance(seconds=120)
        if len(rec.alerts) == 2:
            break
    assert rec.titles() == ["Item 1", "Item 2"]
    assert await store.delivery_counts() == {"pending": 0, "sent": 2, "failed": 0}
    async with store.engine.connect() as conn:
        rows = (await conn.execute(sa.text(
            "SELECT attempts, throttled FROM deliveries ORDER BY id"))).all()
    # 12 rate limits, all on the first alert; each send counted once.
    assert [tuple(r) for r in rows] == [(1, 12), (1, 0)]


async def test_transient_failures_give_up_after_max_attempts_without_pausing(
    store: SQLStore, caplog: pytest.LogCaptureFixture
) -> None:
    adapter, clock = RecorderAdapter(), Clock()
    await queue(store, [make_alert(1), make_alert(2)])
    rec = adapter.destination("a")
    for _ in range(3):
        rec.failures.append(DeliveryError("rec:a", "HTTP 500", transient=True))
    worker = deliverer(store, adapter, clock)
    with caplog.at_level(logging.ERROR, logger="bot._delivery"):
        for _ in range(5):
            await worker.deliver_due()
            clock.advance(minutes=5)
    assert rec.titles() == ["Item 2"]
    summary = await store.outbox_summary()
    assert summary.failed == 1 and summary.sent == 1 and summary.paused == {}
    assert summary.failures[0].error == "HTTP 500 (gave up after 3 attempts)"
    assert "could not be delivered" in caplog.text


async def test_a_permanent_failure_pauses_the_subscription(
    store: SQLStore, caplog: pytest.LogCaptureFixture
) -> None:
    adapter, clock = RecorderAdapter(), Clock()
    await queue(store, [make_alert(1), make_alert(2),
                        make_alert(3, subscription="sub-b", destination="rec:b"),
                        make_alert(4, subscription="sub-c", destination="rec:missing")])
    rec = adapter.destination("a")
    rec.failures.append(DeliveryError("rec:a", "the bot is not in channel #news",
                                      transient=False))
    worker = deliverer(store, adapter, clock)
    with caplog.at_level(logging.ERROR, logger="bot._delivery"):
        stats = await worker.deliver_due()
    assert sorted(stats.paused) == ["sub-a", "sub-c"]
    assert adapter.targets["b"].titles() == ["Item 3"]
    assert rec.titles() == []
    summary = await store.outbox_summary()
    assert summary.paused == {"sub-a": "the bot is not in channel #news",
                              "sub-c": "no such channel"}
    assert (summary.failed, summary.waiting) == (2, 1)  # item 2 kept for later
    assert "subscription sub-a is paused" in caplog.text and "resume" in caplog.text
    # Paused: nothing more is tried, however long we wait.
    clock.advance(days=1)
    assert (await worker.deliver_due()).sent == 0
    await store.resume_subscription("sub-a")
    assert (await worker.deliver_due()).sent == 1
    assert rec.titles() == ["Item 2"]


async def test_an_hourly_digest_is_one_message(store: SQLStore) -> None:
    adapter, clock = RecorderAdapter(), Clock()
    hourly = {"digest": "hourly"}
    await queue(store, [make_alert(n, options=hourly, topic="GPU" if n % 2 else "IA")
                        for n in range(1, 5)], when=T0 + timedelta(minutes=5))
    clock.advance(minutes=10)
    worker = deliverer(store, adapter, clock)
    assert (await worker.deliver_due()).held == 4
    rec = adapter.destination("a")
    assert isinstance(rec, DigestRecorder) and rec.digests == []
    clock.advance(minutes=49, seconds=59)
    assert (await worker.deliver_due()).sent == 0
    clock.advance(seconds=1)
    assert (await worker.deliver_due()).sent == 1
    (digest,) = rec.digests
    assert digest.kind == "digest" and digest.title == "Hourly digest: 4 items matched GPU or IA"
    assert [a.item.title for a in digest.alerts] == ["Item 1", "Item 2", "Item 3", "Item 4"]
    assert [name for name, _ in digest.by_topic()] == ["GPU", "IA"]
    assert await store.delivery_counts() == {"pending": 0, "sent": 4, "failed": 0}
    assert "Hourly digest" in render_digest(digest)


async def test_a_destination_without_digests_gets_one_plain_alert(store: SQLStore) -> None:
    adapter, clock = RecorderAdapter(digests=False), Clock()
    quiet = {"quiet": "22:00-07:00"}
    night = datetime(2024, 5, 1, 23, 0, tzinfo=UTC)
    await queue(store, [make_alert(n, options=quiet) for n in (1, 2, 3)], when=night)
    clock.now = night
    worker = deliverer(store, adapter, clock)
    await worker.deliver_due()
    rec = adapter.destination("a")
    assert rec.alerts == []
    clock.now = datetime(2024, 5, 2, 7, 0, tzinfo=UTC)
    assert (await worker.deliver_due()).sent == 1
    (alert,) = rec.alerts
    assert alert.item.source == "vigie"
    assert alert.item.title == "3 items matched GPU during quiet hours"
    assert "• Item 1 (src) https://news.example/1" in alert.item.lead


async def test_a_burst_past_the_limit_is_rolled_up(store: SQLStore) -> None:
    adapter, clock = RecorderAdapter(), Clock()
    limit = {"limit": "3/h"}
    await queue(store, [make_alert(n, options=limit) for n in range(1, 8)])
    worker = deliverer(store, adapter, clock)
    stats = await worker.deliver_due()
    rec = adapter.destination("a")
    assert isinstance(rec, DigestRecorder)
    assert (stats.sent, stats.held) == (3, 4) and rec.titles() == ["Item 1", "Item 2", "Item 3"]
    clock.advance(minutes=59)
    assert (await worker.deliver_due()).sent == 0
    clock.advance(minutes=1)
    assert (await worker.deliver_due()).sent == 1
    (rollup,) = rec.digests
    assert rollup.title == "4 more items matched GPU in the last hour"
    assert [a.item.title for a in rollup.alerts] == ["Item 4", "Item 5", "Item 6", "Item 7"]
    assert await store.delivery_counts() == {"pending": 0, "sent": 7, "failed": 0}


async def test_two_workers_share_the_outbox_without_duplicates(store_url: str) -> None:
    stores = [make_store(store_url) for _ in range(2)]
    adapter = RecorderAdapter()
    try:
        await stores[0].migrate()
        alerts = [make_alert(n, destination=f"rec:{n % 3}", subscription=f"s{n % 3}")
                  for n in range(30)]
        await queue(stores[0], alerts)
        clock = Clock()
        workers = [deliverer(s, adapter, clock, worker=f"w{i}") for i, s in enumerate(stores)]
        results = await asyncio.gather(*(w.deliver_due() for w in workers))
        assert sum(r.sent for r in results) == 30
        for target, rec in adapter.targets.items():
            keys = [int(t.split()[1]) for t in rec.titles()]
            assert keys == sorted(n for n in range(30) if n % 3 == int(target))
    finally:
        for s in stores:
            await s.close()


async def test_pacing_waits_between_messages_to_one_url() -> None:
    now = [100.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pacer = Pacer(0.5, clock=lambda: now[0], sleep=sleep)
    async with pacer.slot("u1"):
        now[0] += 0.1
    async with pacer.slot("u1"):
        pass
    async with pacer.slot("u2"):  # another URL has its own pace
        pass
    assert waits == [0.5]


# -- the webhook destination ----------------------------------------------------------------


async def test_webhook_posts_signed_json_with_an_idempotency_key() -> None:
    async with WebhookReceiver(SECRET) as hook:
        adapter = WebhookAdapter(settings=WebhookSettings(secret=SECRET, per_second=100),
                                 allow_private=True)
        dest = adapter.destination(hook.url("/news"))
        alert = make_alert(1, options={"mention": "here"})
        try:
            assert await dest.send(alert) == "msg-1"
            digest = make_digest("overflow", "sub-a", "webhook:x",
                                 [make_alert(n) for n in (2, 3)],
                                 SubscriptionOptions.parse({"limit": "1/h"}))
            assert await dest.send_digest(digest) == "msg-2"
        finally:
            await adapter.close()
    first, second = hook.received
    assert first.key == alert.idempotency_key and hook.rejected == []
    body = first.body
    assert (body["type"], body["id"], body["subscription"], body["mention"]) == (
        "alert", alert.idempotency_key, "sub-a", "here")
    assert body["item"]["title"] == "Item 1" and body["item"]["url"] == "https://news.example/1"
    assert body["item"]["published"] == "2024-05-01T12:00:01Z"
    assert body["timestamp"] == int(first.headers["X-Vigie-Timestamp"])
    assert first.headers["X-Vigie-Signature"].startswith("sha256=")
    assert second.body["type"] == "digest" and second.body["kind"] == "overflow"
    assert second.body["title"] == "2 more items matched GPU in the last hour"
    assert [i["title"] for i in second.body["items"]] == ["Item 2", "Item 3"]
    assert second.key == digest.idempotency_key
    raw = b'{"a":1}'
    from adapters.webhook import sign
    assert verify(SECRET, raw, sign(SECRET, raw))
    assert not verify(SECRET, raw + b" ", sign(SECRET, raw))
    assert not verify("another-secret-0123456789", raw, sign(SECRET, raw))
    assert alert_body(make_alert(9), 5)["id"] == make_alert(9).idempotency_key


async def test_webhook_answers_map_to_retries_and_failures() -> None:
    async with WebhookReceiver(SECRET) as hook:
        hook.script("/h", [(429, "7"), 429, 503, 404, 401, 400])
        adapter = WebhookAdapter(settings=WebhookSettings(secret=SECRET, per_second=100),
                                 allow_private=True)
        dest = adapter.destination(hook.url("/h"))
        errors: list[DeliveryError] = []
        try:
            for _ in range(6):
                with pytest.raises(DeliveryError) as info:
                    await dest.send(make_alert(1))
                errors.append(info.value)
            assert await dest.send(make_alert(1)) == "msg-1"
            wrong = WebhookAdapter(settings=WebhookSettings(secret="wrong-secret-000000000"),
                                   allow_private=True)
            with pytest.raises(DeliveryError) as refused:
                await wrong.destination(hook.url("/h")).send(make_alert(2))
            await wrong.close()
        finally:
            await adapter.close()
    assert [(e.transient, e.retry_after) for e in errors] == [
        (True, 7.0), (True, 0.0), (True, None), (False, None), (False, None), (False, None)]
    assert "no longer exists" in errors[3].message
    assert refused.value.transient is False and "secret" in refused.value.message
    assert [r.status for r in hook.rejected] == [429, 429, 503, 404, 401, 400, 401]
    # The URL (it may hold a token) never appears in errors.
    assert all("/h" not in str(e) for e in [*errors, refused.value])


async def test_webhook_unreachable_is_transient_and_no_secret_is_permanent() -> None:
    adapter = WebhookAdapter(settings=WebhookSettings(secret=SECRET), allow_private=True)
    try:
        with pytest.raises(DeliveryError) as info:
            # Port 9 on loopback: nothing listens (connection refused).
            await adapter.destination("http://127.0.0.1:9/x").send(make_alert(1))
        assert info.value.transient is True
    finally:
        await adapter.close()
    unsigned = WebhookAdapter(settings=WebhookSettings(), allow_private=True)
    with pytest.raises(DeliveryError) as info:
        await unsigned.destination("http://127.0.0.1:9/x").send(make_alert(1))
    assert info.value.transient is False
    await unsigned.close()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8080/hook", "http://169.254.169.254/latest",
    "http://[::1]/x", "http://10.0.0.7/x", "http://2130706433/x", "ftp://example.org/x",
    "http://user:pw@example.org/x", "not a url",
])
def test_webhook_urls_to_internal_addresses_are_refused(url: str) -> None:
    adapter = WebhookAdapter(settings=WebhookSettings(secret=SECRET))
    with pytest.raises(UnknownDestinationError) as info:
        adapter.destination(url)
    assert "pw" not in str(info.value)
    assert WebhookAdapter(settings=WebhookSettings(secret=SECRET)).destination(
        "https://hooks.example.org/x").url == "https://hooks.example.org/x"


def test_webhook_settings_are_validated_without_echoing_the_secret(tmp_path: Path) -> None:
    assert settings_problems({"secret": SECRET, "per_second": 5, "timeout": "3s"}) == []
    problems = dict(settings_problems({"secret": "short-Sekr1t", "per_second": 0,
                                       "timeout": "soon", "colour": "red"}))
    assert set(problems) == {"secret", "per_second", "timeout", "colour"}
    assert "Sekr1t" not in str(problems)
    config = write_config(tmp_path / "v.toml", """
        [webhook]
        secret = "${HOOK_SECRET}"
        per_second = 2

        [topics.gpu]
        keywords = ["GPU"]

        [[subscriptions]]
        name = "hook"
        topics = ["gpu"]
        destination = "webhook:https://hooks.example.org/x"

        [delivery]
        interval = "0.5s"
        max_attempts = 0
        lease = "30s"
    """)
    from bot._destinations import installed_schemes, section_validators

    with pytest.raises(ConfigError) as info:
        load_config(config, env={"HOOK_SECRET": SECRET},
                    destination_schemes=installed_schemes(),
                    section_validators=section_validators())
    assert info.value.problems == [
        ("delivery.max_attempts", "must be at least 1 and at most 1000")]
    text = config.read_text().replace("max_attempts = 0", "retry_min = \"2s\"")
    config.write_text(text)
    loaded = load_config(config, env={"HOOK_SECRET": SECRET},
                         destination_schemes=installed_schemes(),
                         section_validators=section_validators())
    assert loaded.delivery.interval == 0.5 and loaded.delivery.lease == 30.0
    assert loaded.delivery.retry_min == 2.0 and loaded.delivery.max_attempts == 10
    assert WebhookSettings.from_table(loaded.adapters["webhook"]).per_second == 2.0


def test_destinations_are_redacted_for_logs() -> None:
    assert redact_destination("webhook:https://hooks.example.org/T1/B2/sekrit") == \
        "webhook:https://hooks.example.org/…"
    assert redact_destination("slack-webhook:https://u:p@hooks.slack.com/services/x") == \
        "slack-webhook:https://hooks.slack.com/…"
    assert redact_destination("slack:C123") == "slack:C123"
    assert redact_destination("console") == "console"


# -- end to end: poll, pause, status -------------------------------------------------------


def _feed(items: range) -> str:
    entries = "".join(
        f"<item><title>GPU news {i}</title><link>https://news.example/{i}</link>"
        f"<guid>g{i}</guid><pubDate>Wed, 01 May 2024 12:{i:02d}:00 GMT</pubDate></item>"
        for i in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{entries}' \
           "</channel></rss>"


async def test_a_paused_subscription_queues_nothing_until_resumed(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FeedServer() as feeds, WebhookReceiver(SECRET) as hook:
        feeds.add("/feed.xml", _feed(range(1, 3)))
        hook.script("/gone", [410])
        path = write_config(tmp_path / "vigie.toml", f"""
            [storage]
            url = "{store_url}"
            [fetch]
            allow_private_addresses = true
            [poll]
            first_poll_alerts = true
            max_age = "none"
            [webhook]
            secret = "{SECRET}"
            per_second = 100
            [[sources]]
            name = "news"
            url = "{feeds.url('/feed.xml')}"
            [topics.gpu]
            keywords = ["GPU"]
            [[subscriptions]]
            name = "broken"
            topics = ["gpu"]
            destination = "webhook:{hook.url('/gone')}"
            [[subscriptions]]
            name = "fine"
            topics = ["gpu"]
            destination = "webhook:{hook.url('/fine')}"
        """)
        from bot._destinations import installed_schemes, section_validators

        config = load_config(path, destination_schemes=installed_schemes(),
                             section_validators=section_validators())
        async with make_vigie(config) as vigie:
            await vigie.poll_all()
            stats = await vigie.deliver()
            assert stats.paused == ("broken",)
            assert [b["item"]["title"] for b in hook.accepted("/fine")] == [
                "GPU news 1", "GPU news 2"]
            feeds.add("/feed.xml", _feed(range(1, 4)))
            await vigie.poll_all()
            await vigie.deliver()
            summary = await vigie.store.outbox_summary()
            # Item 3 was not queued for the paused subscription; item 2 waits.
            assert (summary.failed, summary.waiting) == (1, 1)
            assert "410" in summary.paused["broken"]
            assert [b["item"]["title"] for b in hook.accepted("/fine")][-1] == "GPU news 3"
            assert hook.accepted("/gone") == []
            from bot.cli import _status

            capsys.readouterr()
            assert await _status(vigie) == 0
            shown = capsys.readouterr().out
            assert "deliveries: 1 pending (0 retrying, 0 held" in shown
            assert "paused subscriptions" in shown and "  broken: " in shown
            assert "the webhook no longer exists (HTTP 410)" in shown
            await vigie.store.resume_subscription("broken")
            await vigie.deliver()
            assert [b["item"]["title"] for b in hook.accepted("/gone")] == ["GPU news 2"]
        from test_cli import vigie as run_cli

        code, out, err = await run_cli("status", "--config", str(path))
    assert code == 0, err
    assert "deliveries: 0 pending (0 retrying, 0 held" in out
    assert "1 failed" in out and "GPU news 1" in out and "410" in out
    assert "paused subscriptions" not in out
    assert hook.url("/gone") not in out  # the URL may be a secret


def test_dataclass_sanity() -> None:
    # Delivery.retrying is what the planner and the summary call "retrying".
    from bot._types import Delivery

    d = Delivery(1, make_alert(1), "pending", last_error="x")
    assert d.retrying and not dataclasses.replace(d, status="failed").retrying


async def test_run_schedules_digest_and_quiet_passes_and_stops_cleanly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_config(tmp_path / "vigie.toml", f"""
        [storage]
        url = "sqlite:///{tmp_path / 'v.db'}"
        [delivery]
        interval = "0.1s"
        [topics.gpu]
        keywords = ["GPU"]
        [[subscriptions]]
        name = "morning"
        topics = ["gpu"]
        digest = "daily@08:30"
        quiet = "22:00-07:00"
        timezone = "Europe/Paris"
        [[subscriptions]]
        name = "hourly"
        topics = ["gpu"]
        digest = "hourly"
        destination = "rec:x"
    """)
    config = load_config(path)
    adapter = RecorderAdapter()
    vigie = make_vigie(config, adapters={"rec": adapter})
    await vigie.start()
    try:
        await queue(vigie.store, [make_alert(1, destination="rec:now", subscription="now")],
                    when=datetime.now(UTC))
        stop = asyncio.Event()
        recorder = adapter.destination("now")  # the one the deliverer will be given
        with caplog.at_level(logging.INFO):
            runner = asyncio.create_task(vigie.run(stop=stop))
            try:
                await asyncio.wait_for(recorder.sent.wait(), 30)
            finally:
                stop.set()
                await asyncio.wait_for(runner, 15)
    finally:
        await vigie.close()
    assert adapter.targets["now"].titles() == ["Item 1"]  # the interval pass ran
    assert "failed" not in caplog.text and "Traceback" not in caplog.text
