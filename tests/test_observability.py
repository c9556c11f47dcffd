"""Watching a running Vigie: ``/healthz``, ``/metrics``, ``vigie healthcheck``,
JSON log lines and secrets kept out of the logs.

The end-to-end tests run the real ``vigie run`` (tests/vigieproc.py) against
a real feed server (one good source, one failing) and a real webhook
receiver, and scrape the endpoints over HTTP while it runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from conftest import write_config
from fakes.webhook_receiver import WebhookReceiver
from feedbuilder import rss
from feedserver import FeedServer
from prometheus_client.parser import text_string_to_metric_families
from vigieproc import VigieProcess, vigie, vigie_config

from bot._health import (
    LoopMonitor,
    OpsServer,
    database_check,
    loop_check,
    scheduler_check,
)
from bot._logs import JsonFormatter, SecretRedactor, TextFormatter, register_config_secrets
from bot._metrics import PrometheusMetrics
from bot._storage import make_store
from bot.config import validate

SECRET = "observability-secret-0123456789"
FEED_TOKEN = "tok-5f3a9c1e7b2d4608"

NEWS = """
[[subscriptions]]
name = "news"
topics = ["gpu", "musk"]
destination = "webhook:{url}"
"""


def _items() -> list[dict[str, object]]:
    now = datetime.now(UTC).replace(microsecond=0)
    return [
        {"id": "g1", "title": "Nvidia ships a new GPU", "link": "https://news.example/gpu",
         "published": now - timedelta(minutes=2)},
        {"id": "m1", "title": "Musk buys GPUs for xAI", "link": "https://news.example/musk",
         "published": now - timedelta(minutes=1)},
        {"id": "w1", "title": "Rain in Brittany", "link": "https://news.example/rain",
         "published": now},
    ]


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(session: aiohttp.ClientSession, base: str) -> Samples:
    async with session.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def servers() -> AsyncIterator[tuple[FeedServer, WebhookReceiver]]:
    async with FeedServer() as feeds, WebhookReceiver(SECRET) as hook:
        feeds.add("/news.xml", rss(_items()))
        feeds.add_status("/private.xml", 404)
        yield feeds, hook


def make_config(tmp_path: Path, store_url: str, feeds: FeedServer, hook: WebhookReceiver
                ) -> Path:
    return write_config(tmp_path / "vigie.toml", vigie_config(
        store_url, {"news": feeds.url("/news.xml"),
                    "private": feeds.url("/private.xml") + "?token=${FEED_TOKEN}"},
        extra=NEWS.format(url=hook.url("/news")) + f"""
# Disabled in the file: not polled, and not a failing source.
[[sources]]
name = "off"
url = "{feeds.url('/private.xml')}"
enabled = false

[poll]
first_poll_alerts = true

[delivery]
interval = "0.1s"
retry_min = "0.1s"
retry_max = "1s"

[webhook]
secret = "{SECRET}"
per_second = 50

[metrics]
port = 0
"""))


async def test_healthz_and_metrics_during_vigie_run(
    tmp_path: Path, store_url: str, servers: tuple[FeedServer, WebhookReceiver]
) -> None:
    feeds, hook = servers
    config = make_config(tmp_path, store_url, feeds, hook)
    # The first send is rate limited, the second fails, the third is taken
    # and held unanswered until release(): the counters are read meanwhile.
    hook.script("/news", [(429, "0"), 500])
    hook.hold_after = 0
    run = await VigieProcess.start(config, env={"FEED_TOKEN": FEED_TOKEN})
    try:
        base = (await run.wait_log(r"serving /healthz and /metrics on (http://\S+)")).group(1)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/healthz") as response:
                assert response.status == 200, await response.text()
                health = await response.json()
            assert health["status"] == "ok"
            assert set(health["checks"]) == {"event_loop", "scheduler", "database"}
            assert all(check["ok"] for check in health["checks"].values())

            await hook.wait_received(1)  # the alert in flight, its answer held
            before = await scrape(session, base)
            assert value(before, "vigie_rate_limited_total", destination_kind="webhook") == 1
            assert value(before, "vigie_alerts_failed_total", destination_kind="webhook",
                         reason="transient") == 1
            assert value(before, "vigie_alerts_sent_total", destination_kind="webhook") == 0
            assert value(before, "vigie_outbox_pending") == 2
            assert value(before, "vigie_outbox_oldest_pending_seconds") > 0

            hook.release()
            await hook.wait_unique(2)
            after: Samples = {}

            async def both_sent() -> bool:
                nonlocal after
                after = await scrape(session, base)
                return value(after, "vigie_alerts_sent_total", destination_kind="webhook") == 2

            await _until_async(both_sent, "both alerts counted as sent")
            await _until_async(lambda: _failing_counted(session, base),
                               "the failing source counted")
            after = await scrape(session, base)
        assert value(after, "vigie_outbox_pending") == 0
        assert value(after, "vigie_outbox_oldest_pending_seconds") == 0
        assert value(after, "vigie_polls_total", outcome="ok") >= 1
        assert value(after, "vigie_polls_total", outcome="error") >= 1
        assert value(after, "vigie_fetch_seconds_count") >= 2
        assert value(after, "vigie_items_new_total") == 3
        assert value(after, "vigie_items_matched_total", topic="gpu") == 2
        assert value(after, "vigie_items_matched_total", topic="musk") == 1
        assert value(after, "vigie_items_matched_total", topic="iagen") == 0
        assert value(after, "vigie_sources_failing") == 1
        assert value(after, "vigie_rate_limited_total", destination_kind="webhook") == 1
        # Bounded labels: no source name, host or URL anywhere.
        labels = {v for (_, pairs) in after for _, v in pairs}
        assert not any("127.0.0.1" in v or "news" in v or "private" in v for v in labels), labels
    finally:
        hook.release()
        code = await run.stop()
    assert code == 0, run.log
    assert FEED_TOKEN not in run.log
    assert "token=<redacted>" in run.log  # the failing source's URL, its token redacted


async def _failing_counted(session: aiohttp.ClientSession, base: str) -> bool:
    return value(await scrape(session, base), "vigie_sources_failing") == 1


async def _until_async(predicate: Callable[[], Awaitable[bool]], what: str,
                       timeout: float = 30) -> None:
    """``vigieproc.until`` for an async predicate."""
    try:
        async with asyncio.timeout(timeout):
            while not await predicate():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_log_lines_in_either_format_never_show_a_secret(
    tmp_path: Path, servers: tuple[FeedServer, WebhookReceiver], log_format: str
) -> None:
    feeds, hook = servers
    config = make_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", feeds, hook)
    run = await VigieProcess.start(config, env={"FEED_TOKEN": FEED_TOKEN},
                                   options=("--log-level", "debug", "--log-format", log_format))
    try:
        failed = await run.wait_log(r"source private failed")
    finally:
        code = await run.stop()
    assert code == 0, run.log
    assert FEED_TOKEN not in run.log
    assert "<redacted>" in failed.string
    if log_format == "json":
        lines = [json.loads(line) for line in run.lines]
        assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
        line = json.loads(failed.string)
        assert line["level"] == "warning" and line["logger"] == "bot._poller"
        assert line["time"].endswith("Z")
    else:
        assert not failed.string.startswith("{")


async def test_first_poll_of_vigie_run_says_what_it_recorded(
    tmp_path: Path, servers: tuple[FeedServer, WebhookReceiver]
) -> None:
    feeds, hook = servers
    config = write_config(tmp_path / "vigie.toml", vigie_config(
        f"sqlite:///{tmp_path / 'vigie.db'}", {"news": feeds.url("/news.xml")},
        extra=NEWS.format(url=hook.url("/news")) + f'[webhook]\nsecret = "{SECRET}"\n'))
    run = await VigieProcess.start(config)
    try:
        line = await run.wait_log(r"news: 3 items recorded, 2 would have matched \(a first "
                                  r"poll alerts nothing: `recent` in `vigie chat` shows them")
        assert "INFO" in line.string
    finally:
        code = await run.stop()
    assert code == 0, run.log
    assert hook.received == []


# -- /healthz without a whole run ---------------------------------------------------------


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    s = AsyncIOScheduler(timezone="UTC")
    s.start()
    yield s
    s.shutdown(wait=False)


async def _ops(store_url: str, scheduler: AsyncIOScheduler, monitor: LoopMonitor
               ) -> tuple[OpsServer, object]:
    store = make_store(store_url)
    server = OpsServer("127.0.0.1", 0, {
        "event_loop": loop_check(monitor),
        "scheduler": scheduler_check(lambda: bool(scheduler.running), lambda: monitor.last_beat,
                                     10.0),
        "database": database_check(store),
    }, PrometheusMetrics(destination_kinds=(), topics=()))
    await server.start()
    return server, store


@pytest.mark.parametrize("unreachable", [
    "postgresql://postgres@127.0.0.1:1/vigie",  # nothing listens on port 1
    "sqlite:////nonexistent/directory/vigie.db",
], ids=["postgres-refused", "sqlite-unopenable"])
async def test_healthz_is_503_naming_the_database_when_it_is_unreachable(
    tmp_path: Path, scheduler: AsyncIOScheduler, unreachable: str
) -> None:
    monitor = LoopMonitor()
    monitor.start()
    good_url = f"sqlite:///{tmp_path / 'vigie.db'}"
    good_store = make_store(good_url)
    await good_store.migrate()
    await good_store.close()
    try:
        for url, status in ((good_url, 200), (unreachable, 503)):
            server, store = await _ops(url, scheduler, monitor)
            try:
                async with aiohttp.ClientSession() as session, \
                        session.get(f"{server.url}/healthz") as response:
                    body = await response.json()
                assert response.status == status, body
                assert set(body["checks"]) == {"event_loop", "scheduler", "database"}
                assert body["checks"]["event_loop"]["ok"] and body["checks"]["scheduler"]["ok"]
                if status == 503:
                    assert body["status"] == "failing" and body["failing"] == ["database"]
                    assert not body["checks"]["database"]["ok"]
                    assert "cannot read the outbox" in body["checks"]["database"]["error"]
                    # `vigie healthcheck` asks the same endpoint and says so.
                    config = write_config(tmp_path / "hc.toml",
                                          f"[metrics]\nport = {server.port}\n")
                    code, out, err = await vigie("healthcheck", "--config", str(config))
                    assert code == 1 and "failing: database" in err, (out, err)
                else:
                    assert body == {"status": "ok", "checks": body["checks"]}
                    config = write_config(tmp_path / "hc.toml",
                                          f"[metrics]\nport = {server.port}\n")
                    code, out, err = await vigie("healthcheck", "--config", str(config))
                    assert code == 0 and out.startswith("healthy"), (out, err)
            finally:
                await server.close()
                await store.close()  # type: ignore[attr-defined]
    finally:
        await monitor.stop()


async def test_healthz_is_503_naming_a_stopped_scheduler(tmp_path: Path) -> None:
    monitor = LoopMonitor()
    monitor.start()
    stopped = AsyncIOScheduler(timezone="UTC")  # never started
    server, store = await _ops(f"sqlite:///{tmp_path / 'vigie.db'}", stopped, monitor)
    await store.migrate()  # type: ignore[attr-defined]
    try:
        async with aiohttp.ClientSession() as session, \
                session.get(f"{server.url}/healthz") as response:
            body = await response.json()
        assert response.status == 503 and body["failing"] == ["scheduler"], body
    finally:
        await server.close()
        await store.close()  # type: ignore[attr-defined]
        await monitor.stop()


async def test_healthcheck_without_a_metrics_port_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path / "hc.toml", "[storage]\nurl = \"sqlite:///x.db\"\n")
    code, _, err = await vigie("healthcheck", "--config", str(config))
    assert code == 2 and "no [metrics] port" in err


# -- the recorder ---------------------------------------------------------------------


def _exposition(metrics: PrometheusMetrics) -> Samples:
    body, _ = metrics.render()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples}


def test_labels_stay_bounded_whatever_the_values() -> None:
    metrics = PrometheusMetrics(destination_kinds={"webhook", "discord"}, topics={"gpu"})
    metrics.items_stored(3, ["gpu", "T123/gpu2", "T456/anything"])
    metrics.alert_sent("webhook:https://hooks.example/secret-path")
    metrics.alert_sent("carrier-pigeon:42")
    metrics.chat_command("irc", "topics", "ok")
    samples = _exposition(metrics)
    assert value(samples, "vigie_items_matched_total", topic="gpu") == 1
    assert value(samples, "vigie_items_matched_total", topic="chat") == 2
    assert value(samples, "vigie_alerts_sent_total", destination_kind="webhook") == 1
    assert value(samples, "vigie_alerts_sent_total", destination_kind="other") == 1
    assert value(samples, "vigie_chat_commands_total", platform="other", command="topics",
                 outcome="ok") == 1
    assert not any("secret" in v or "T123" in v for (_, pairs) in samples for _, v in pairs)


def test_each_vigie_has_its_own_registry() -> None:
    one = PrometheusMetrics(destination_kinds=(), topics=())
    two = PrometheusMetrics(destination_kinds=(), topics=())
    one.polled("ok")
    assert value(_exposition(one), "vigie_polls_total", outcome="ok") == 1
    assert value(_exposition(two), "vigie_polls_total", outcome="ok") == 0


async def test_chat_commands_are_counted_by_command_and_outcome(tmp_path: Path) -> None:
    from bot.app import make_command_layer, make_vigie
    from bot.chat import Caller

    config = validate({
        "storage": {"url": f"sqlite:///{tmp_path / 'vigie.db'}"},
        "topics": {"gpu": {"keywords": ["GPU"]}},
        "metrics": {"port": 0},
    }, env={})
    async with make_vigie(config) as app:
        layer = make_command_layer(app)
        member = Caller(platform="slack", workspace="T1", channel="C1", user="U1")
        for line in ("topics", "help", "", "frobnicate", "subscribe gpu", "recent --hours x"):
            await layer.handle(member, line)
        assert isinstance(app.metrics, PrometheusMetrics)
        samples = _exposition(app.metrics)

    def count(command: str, outcome: str) -> float:
        return value(samples, "vigie_chat_commands_total", platform="slack", command=command,
                     outcome=outcome)

    assert count("topics", "ok") == 1
    assert count("help", "ok") == 2  # "help" and the empty line
    assert count("unknown", "error") == 1
    assert count("subscribe", "denied") == 1
    assert count("recent", "error") == 1


# -- secrets out of the logs ----------------------------------------------------------


def _record(message: str, *args: object, exc: BaseException | None = None,
            **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("bot.test", logging.ERROR, __file__, 1, message, args,
                               (type(exc), exc, exc.__traceback__) if exc else None)
    for key, val in extra.items():
        setattr(record, key, val)
    return record


def test_both_formats_redact_message_arguments_extras_and_tracebacks() -> None:
    token = "xoxb-1234567890-abcdefghij"
    redactor = SecretRedactor()
    config = validate({
        "storage": {"url": "postgresql://vigie:db-password-42@db.example/vigie"},
        "subscriptions": [{"name": "s", "query": "GPU",
                           "destination": "discord-webhook:https://discord.com/api/webhooks/"
                                          "123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz012345"}],
        "slack": {"bot_token": token, "mode": "socket"},
        "fetch": {"user_agent": "Vigie ${UA_SUFFIX}"},
    }, env={"UA_SUFFIX": "from-the-environment"},
        section_validators={"slack": lambda table: []})
    register_config_secrets(config, redactor)
    try:
        raise RuntimeError(f"boom with {token}")
    except RuntimeError as e:
        error = e
    secrets = (token, "db-password-42", "AbCdEfGhIjKlMnOpQrStUvWxYz012345",
               "from-the-environment")
    for formatter in (TextFormatter(redactor), JsonFormatter(redactor)):
        record = _record("posting with %s to %s (%s)", token,
                         "https://discord.com/api/webhooks/123456789012345678/"
                         "AbCdEfGhIjKlMnOpQrStUvWxYz012345", "from-the-environment",
                         exc=error, request={"headers": {"Authorization": f"Bearer {token}"}},
                         dsn="postgresql://vigie:db-password-42@db.example/vigie")
        line = formatter.format(record)
        assert "\n" not in line or isinstance(formatter, TextFormatter)
        for secret in secrets:
            assert secret not in line, (type(formatter).__name__, line)
        # The text format shows no extra fields; JSON shows them, redacted too.
        assert line.count("<redacted>") >= (4 if isinstance(formatter, TextFormatter) else 6)
    parsed = json.loads(JsonFormatter(redactor).format(_record("hello", user="alice")))
    assert parsed["message"] == "hello" and parsed["user"] == "alice"
    assert parsed["level"] == "error" and parsed["logger"] == "bot.test"


def test_short_environment_values_are_not_taken_for_secrets() -> None:
    config = validate({"poll": {"max_age": "${AGE}"}}, env={"AGE": "7d"})
    assert "7d" not in config.secrets

