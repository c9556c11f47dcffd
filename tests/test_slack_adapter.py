"""Slack destinations against the local fake Slack: posting, pacing, 429s,
error mapping, incoming webhooks, settings validation, and secrets."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes.slack_server import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack, mentions
from test_slack_render import assert_valid, digest_alert, digest_of, make_alert, more_count

from adapters.slack import (
    ChannelPacer,
    SlackAdapter,
    SlackSettings,
    SlackWebhookAdapter,
    delivery_error,
    render_digest,
)
from bot._delivery import Deliverer
from bot._destinations import Destinations, section_validators
from bot._storage import make_store
from bot._types import NewItem
from bot.config import Config, validate
from bot.exceptions import ConfigError, DeliveryError, UnknownDestinationError
from bot.options import SubscriptionOptions
from bot.types import Alert, SourceState

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as f:
        yield f


def settings_for(fake: FakeSlack, **kw: Any) -> SlackSettings:
    return SlackSettings(bot_token=fake.bot_token, app_token=fake.app_token,
                         api_base=fake.api_base, **kw)


@pytest.fixture
async def slack(fake: FakeSlack) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(settings=settings_for(fake), pace=0.0, rate_limit_retries=3)
    yield adapter
    await adapter.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- posting -------------------------------------------------------------------------


async def test_send_posts_block_kit_with_the_bot_token(
    fake: FakeSlack, slack: SlackAdapter
) -> None:
    ts = await slack.destination("C0NEWS").send(make_alert(lead_highlights=((4, 7),)))
    [message] = fake.messages("C0NEWS")
    assert ts == message["ts"]
    assert_valid(message)
    assert "*GPU*" in message["blocks"][0]["text"]["text"]
    assert message["unfurl_links"] is False and message["unfurl_media"] is False
    [call] = fake.calls_to("chat.postMessage")
    assert call.token == BOT_TOKEN


async def test_unfurl_setting_is_sent(fake: FakeSlack) -> None:
    adapter = SlackAdapter(settings=settings_for(fake, unfurl=True), pace=0.0)
    try:
        await adapter.destination("C0NEWS").send(make_alert())
    finally:
        await adapter.close()
    assert fake.messages("C0NEWS")[0]["unfurl_links"] is True


async def test_channel_text_cannot_notify(fake: FakeSlack, slack: SlackAdapter) -> None:
    alert = make_alert(title="<!channel> breaking", lead="&lt;!here&gt; @everyone <@U0ADMIN>")
    await slack.destination("C0NEWS").send(alert)
    assert fake.mentions("C0NEWS") == []
    # The detector itself works: a raw mention is caught.
    assert mentions({"text": "<!channel> hi"}) == ["!channel"]


async def test_destination_resolved_through_entry_points(fake: FakeSlack) -> None:
    config = Config(path="t", adapters={"slack": {
        "bot_token": BOT_TOKEN, "app_token": APP_TOKEN, "api_base": fake.api_base}})
    destinations = Destinations(config)
    try:
        dest = destinations.get("slack:C0NEWS")
        assert destinations.get("slack:C0NEWS") is dest
        await dest.send(make_alert())
        hook = fake.webhook_url()
        await destinations.get(f"slack-webhook:{hook}").send(make_alert())
    finally:
        await destinations.close()
    assert len(fake.messages("C0NEWS")) == 1
    assert len(fake.messages("T0VIGIE01/B0HOOK/abc123")) == 1


def test_bad_targets_are_refused() -> None:
    adapter = SlackAdapter(settings=SlackSettings(bot_token=BOT_TOKEN))
    for target in ["", "general", "#news", "c0news", "C0 NEWS", "U0ADMIN"]:
        with pytest.raises(UnknownDestinationError):
            adapter.destination(target)
    with pytest.raises(UnknownDestinationError, match="bot_token"):
        SlackAdapter(settings=SlackSettings()).destination("C0NEWS")


# -- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(("error", "status", "transient", "words"), [
    ("channel_not_found", 200, False, "channel C0NEWS does not exist"),
    ("not_in_channel", 200, False, "invite it with /invite @Vigie"),
    ("is_archived", 200, False, "archived"),
    ("invalid_auth", 200, False, "check [slack] bot_token"),
    ("account_inactive", 200, False, "deactivated"),
    ("token_revoked", 200, False, "revoked"),
    ("invalid_blocks", 200, False, "invalid_blocks"),
    ("missing_scope", 200, False, "chat:write"),
    ("internal_error", 500, True, "HTTP 500"),
    ("service_unavailable", 503, True, "HTTP 503"),
    ("something_new", 200, True, "something_new"),
])
async def test_slack_errors_map_to_delivery_errors(
    fake: FakeSlack, slack: SlackAdapter, error: str, status: int, transient: bool, words: str,
) -> None:
    fake.fail_next("C0NEWS", error, status=status)
    with pytest.raises(DeliveryError) as info:
        await slack.destination("C0NEWS").send(make_alert())
    assert info.value.transient is transient
    assert words in info.value.message
    assert info.value.destination == "slack:C0NEWS"
    assert fake.messages("C0NEWS") == []


async def test_real_channel_states(fake: FakeSlack, slack: SlackAdapter) -> None:
    fake.add_channel("C0PRIVATE", member=False)
    fake.add_channel("C0OLD", archived=True)
    fake.auto_channels = False
    cases = {"C0PRIVATE": "/invite @Vigie", "C0OLD": "archived", "C0GONE": "does not exist"}
    for channel, words in cases.items():
        with pytest.raises(DeliveryError, match=words) as info:
            await slack.destination(channel).send(make_alert())
        assert info.value.transient is False


async def test_slack_rejects_a_wrong_token(fake: FakeSlack) -> None:
    adapter = SlackAdapter(settings=SlackSettings(bot_token="xoxb-wrong", api_base=fake.api_base))
    try:
        with pytest.raises(DeliveryError, match="rejected the bot token") as info:
            await adapter.destination("C0NEWS").send(make_alert())
    finally:
        await adapter.close()
    assert info.value.transient is False


async def test_network_failure_is_transient() -> None:
    settings = SlackSettings(bot_token=BOT_TOKEN, api_base=f"http://127.0.0.1:{free_port()}/api/")
    adapter = SlackAdapter(settings=settings)
    try:
        with pytest.raises(DeliveryError, match="cannot reach Slack") as info:
            await adapter.destination("C0NEWS").send(make_alert())
    finally:
        await adapter.close()
    assert info.value.transient is True


def test_delivery_error_mapping_is_pure() -> None:
    e = delivery_error("slack:C1", error="ratelimited", status=429, retry_after=30.0)
    assert (e.transient, e.retry_after) == (True, 30.0)
    assert "retry after 30s" in e.message
    # An error code is never echoed unless it looks like one.
    e = delivery_error("slack:C1", error="<!channel> xoxb-123 secret\n", status=400)
    assert "xoxb" not in str(e) and "unknown_error" in str(e)


# -- rate limits and pacing ----------------------------------------------------------


async def test_429_is_slept_through(fake: FakeSlack, slack: SlackAdapter) -> None:
    fake.rate_limit("C0NEWS", count=3, retry_after=0)
    ts = await slack.destination("C0NEWS").send(make_alert())
    assert ts is not None
    assert fake.rate_limited == 3
    assert len(fake.messages("C0NEWS")) == 1


async def test_429_beyond_the_retries_is_transient_with_retry_after(fake: FakeSlack) -> None:
    adapter = SlackAdapter(settings=settings_for(fake), pace=0.0, rate_limit_retries=1)
    fake.rate_limit("C0NEWS", count=5, retry_after=0)
    try:
        with pytest.raises(DeliveryError) as info:
            await adapter.destination("C0NEWS").send(make_alert())
    finally:
        await adapter.close()
    assert info.value.transient is True
    assert info.value.retry_after == 0.0
    assert fake.rate_limited == 2


async def test_a_429_storm_delays_but_loses_nothing(fake: FakeSlack, tmp_path: Path) -> None:
    """Through the real outbox: every alert arrives once, however many 429s."""
    store = make_store(f"sqlite:///{tmp_path / 'v.db'}")
    await store.migrate()
    await store.sync_sources([("src", "https://example.org/feed", True)])
    alerts: list[Alert] = []
    for i in range(6):
        base = make_alert(title=f"item {i}")
        item = dataclasses.replace(base.item, key=f"k{i}", url=f"https://news.example/{i}")
        alerts.append(dataclasses.replace(base, item=item))
    await store.save_poll(
        SourceState("src", "https://example.org/feed", last_poll=T0, initialised=True),
        [NewItem(a.item, ("gpu",), (a,)) for a in alerts],
    )
    adapter = SlackAdapter(settings=settings_for(fake), pace=0.0, rate_limit_retries=1)
    fake.rate_limit("C0NEWS", count=7, retry_after=0)
    now = [T0]
    deliverer = Deliverer(store, Destinations(Config(path="t"), adapters={"slack": adapter}),
                          clock=lambda: now[0])
    try:
        for _ in range(6):
            await deliverer.deliver_due()
            now[0] += timedelta(hours=1)
        counts = await store.delivery_counts()
    finally:
        await adapter.close()
        await store.close()
    titles = sorted(m["text"] for m in fake.messages("C0NEWS"))
    assert titles == sorted(f"item {i} — Example News" for i in range(6))
    assert counts.get("sent") == 6 and not counts.get("failed") and not counts.get("pending")
    assert fake.rate_limited == 7


async def test_burst_limit_of_the_fake_is_reported_as_transient(fake: FakeSlack) -> None:
    adapter = SlackAdapter(settings=settings_for(fake), pace=0.0, rate_limit_retries=0)
    fake.burst_limit(2, window=600.0, retry_after=7)
    dest = adapter.destination("C0NEWS")
    try:
        await dest.send(make_alert())
        await dest.send(make_alert())
        with pytest.raises(DeliveryError) as info:
            await dest.send(make_alert())
        await adapter.destination("C0OTHER").send(make_alert())  # per channel
    finally:
        await adapter.close()
    assert (info.value.transient, info.value.retry_after) == (True, 7.0)
    assert len(fake.messages("C0NEWS")) == 2 and len(fake.messages("C0OTHER")) == 1


async def test_pacer_spaces_sends_per_channel() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=sleep)
    async with pacer.slot("slack:C1"):
        now[0] += 0.25  # the send takes a quarter of a second
    async with pacer.slot("slack:C2"):
        pass
    assert slept == []  # another channel does not wait
    now[0] += 0.25
    async with pacer.slot("slack:C1"):
        pass
    assert slept == [0.75]
    now[0] += 5
    async with pacer.slot("slack:C1"):
        pass
    assert slept == [0.75]


async def test_concurrent_sends_to_one_channel_are_serialised(fake: FakeSlack) -> None:
    adapter = SlackAdapter(settings=settings_for(fake), pace=0.01)
    active = 0
    most = 0
    pacer_slot = adapter.pacer.slot

    def counting_slot(key: str) -> Any:
        cm = pacer_slot(key)

        class Wrapped:
            async def __aenter__(self) -> None:
                nonlocal active, most
                await cm.__aenter__()
                active += 1
                most = max(most, active)

            async def __aexit__(self, *exc: Any) -> None:
                nonlocal active
                active -= 1
                await cm.__aexit__(*exc)

        return Wrapped()

    adapter.pacer.slot = counting_slot  # type: ignore[method-assign]
    dest = adapter.destination("C0NEWS")
    try:
        await asyncio.gather(*(dest.send(make_alert(title=f"n{i}")) for i in range(5)))
    finally:
        await adapter.close()
    assert most == 1
    assert [m["text"].split(" ")[0] for m in fake.messages("C0NEWS")] == [
        f"n{i}" for i in range(5)]


# -- incoming webhooks ---------------------------------------------------------------


@pytest.fixture
async def hooks(fake: FakeSlack) -> AsyncIterator[SlackWebhookAdapter]:
    adapter = SlackWebhookAdapter(settings=SlackSettings(api_base=fake.api_base), pace=0.0)
    yield adapter
    await adapter.close()


async def test_webhook_posts_block_kit(fake: FakeSlack, hooks: SlackWebhookAdapter) -> None:
    url = fake.webhook_url("T0VIGIE01/B0HOOK/abc")
    assert await hooks.destination(url).send(make_alert()) is None
    [message] = fake.messages("T0VIGIE01/B0HOOK/abc")
    assert_valid(message)
    assert message["unfurl_links"] is False


async def test_webhook_errors_hide_the_secret(
    fake: FakeSlack, hooks: SlackWebhookAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = fake.webhook_url("T0VIGIE01/B0HOOK/abc")
    secret = url.rsplit("/", 1)[1]
    dest = hooks.destination(url)
    fake.fail_next("T0VIGIE01/B0HOOK/abc", "no_service", status=404)
    with pytest.raises(DeliveryError) as info:
        await dest.send(make_alert())
    assert info.value.transient is False
    assert "removed or disabled" in info.value.message
    fake.rate_limit("T0VIGIE01/B0HOOK/abc", count=2, retry_after=0)
    await dest.send(make_alert())  # slept through
    fake.fail_next("T0VIGIE01/B0HOOK/abc", "rollup_error", status=500)
    with pytest.raises(DeliveryError) as info2:
        await dest.send(make_alert())
    assert info2.value.transient is True
    for text in (str(info.value), str(info2.value), dest.name, caplog.text):
        assert secret not in text
    assert dest.name == "slack-webhook:127.0.0.1/services/T0VIGIE01/B0HOOK/abc/…"


async def test_webhook_urls_are_restricted(fake: FakeSlack) -> None:
    hooks = SlackWebhookAdapter(settings=SlackSettings())
    assert hooks.allowed("https://hooks.slack.com/services/T1/B1/xyz")
    assert hooks.allowed("https://hooks.slack-gov.com/services/T1/B1/xyz")
    for url in ["http://hooks.slack.com/services/T1/B1/x", "https://evil.example/services/x",
                "https://hooks.slack.com.evil.example/services/x", "http://169.254.169.254/",
                "https://hooks.slack.com:8443/services/x", "https://u:p@hooks.slack.com/services/x",
                "https://hooks.slack.com/other", "javascript:alert(1)", "", "not a url",
                fake.webhook_url()]:
        assert not hooks.allowed(url), url
        with pytest.raises(UnknownDestinationError):
            hooks.destination(url)
    # A local Slack (api_base) may serve webhooks from its own origin only.
    local = SlackWebhookAdapter(settings=SlackSettings(api_base=fake.api_base))
    assert local.allowed(fake.webhook_url())
    assert not local.allowed(f"http://127.0.0.1:{fake.port + 1}/services/x")


# -- settings ------------------------------------------------------------------------


def problems(table: dict[str, Any]) -> dict[str, str]:
    return dict(SlackAdapter.settings_problems(table))


def test_settings_validation() -> None:
    assert problems({}) == {}
    assert problems({"unfurl": True}) == {}
    assert problems({"bot_token": BOT_TOKEN, "app_token": APP_TOKEN}) == {}
    assert problems({"bot_token": BOT_TOKEN, "mode": "http", "signing_secret": SIGNING_SECRET,
                     "http_port": 3000, "admin_users": ["U024BE7LH", "W0ADMIN1"],
                     "api_base": "https://slack-gov.com/api/", "app_home": True}) == {}
    got = problems({"bot_token": BOT_TOKEN, "mode": "websocket", "http_port": 70000,
                    "admin_users": ["alice", 3], "unfurl": "yes", "api_base": "ftp://x",
                    "colour": "red"})
    assert set(got) == {"mode", "http_port", "admin_users[0]", "admin_users[1]", "unfurl",
                        "api_base", "colour"}
    assert got["colour"] == "unknown key"
    assert problems({"bot_token": BOT_TOKEN, "mode": "http"}) == {
        "signing_secret": 'is required in HTTP mode (mode = "http")'}
    assert problems({"app_token": APP_TOKEN}) == {
        "bot_token": "is required to run the /vigie command"}
    assert "http_port" in problems({"bot_token": BOT_TOKEN, "app_token": APP_TOKEN,
                                    "http_port": True})


def test_settings_never_echo_secrets() -> None:
    table = {"bot_token": "xapp-SECRET-1", "app_token": "xoxb-SECRET-2",
             "signing_secret": "not-hex-SECRET-3"}
    text = repr(problems(table))
    assert "SECRET" not in text
    assert "xoxb-" in problems(table)["bot_token"]  # the expected shape is described
    settings = SlackSettings.from_table(table)
    assert "SECRET" not in repr(settings)
    assert "SECRET" not in repr(SlackAdapter(settings=settings))


def test_settings_through_the_config_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"slack": {"bot_token": "${SLACK_BOT_TOKEN}", "app_token": "${SLACK_APP_TOKEN}",
                      "api_base": "http://127.0.0.1:9/api", "bogus": 1}}
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    with pytest.raises(ConfigError) as info:
        validate(data, env=env, section_validators=section_validators())
    assert info.value.problems == [("slack.bogus", "unknown key")]
    assert BOT_TOKEN not in str(info.value)
    del data["slack"]["bogus"]
    config = validate(data, env=env, section_validators=section_validators())
    settings = SlackSettings.from_table(config.adapters["slack"])
    assert settings.bot_token == BOT_TOKEN and settings.app_token == APP_TOKEN
    assert settings.api_base == "http://127.0.0.1:9/api/"  # slack_sdk needs the slash
    assert settings.mode == "socket" and settings.http_port == 3000


async def test_tokens_never_in_logs_or_errors(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = SlackAdapter(settings=settings_for(fake), pace=0.0, rate_limit_retries=1)
    errors: list[DeliveryError] = []
    try:
        dest = adapter.destination("C0NEWS")
        await dest.send(make_alert())
        for error, status in [("invalid_auth", 200), ("ratelimited", 429),
                              ("internal_error", 500)]:
            fake.fail_next("C0NEWS", error, status=status, count=2)
            with pytest.raises(DeliveryError) as info:
                await dest.send(make_alert())
            errors.append(info.value)
    finally:
        await adapter.close()
    assert any("chat.postMessage" in r.getMessage() for r in caplog.records)  # logs captured
    for text in [caplog.text, *map(str, errors), repr(adapter)]:
        assert BOT_TOKEN not in text
        assert BOT_TOKEN.split("-", 1)[1] not in text


# -- digests -------------------------------------------------------------------------


def fourteen() -> list[Alert]:
    return [digest_alert(i, topic="GPU" if i % 2 else "IA",
                         title=f"Item {i} <!channel> @here <@U0ADMIN>") for i in range(14)]


async def test_digest_is_one_block_kit_message(fake: FakeSlack, slack: SlackAdapter) -> None:
    digest = digest_of(fourteen())
    ts = await slack.destination("C0NEWS").send_digest(digest)
    [message] = fake.messages("C0NEWS")
    assert ts == message["ts"]
    assert_valid(message)
    assert {k: v for k, v in message.items() if k != "ts"} == render_digest(digest)
    assert message["blocks"][0]["text"]["text"] == "Daily digest: 14 items matched IA or GPU"
    assert [b["text"]["text"].split("\n")[0] for b in message["blocks"]
            if b["type"] == "section"] == ["*IA*", "*GPU*"]
    assert more_count(message) == 0
    assert fake.mentions("C0NEWS") == []
    [call] = fake.calls_to("chat.postMessage")
    assert call.token == BOT_TOKEN and call.params["channel"] == "C0NEWS"


async def test_digest_unfurl_setting_is_sent(fake: FakeSlack) -> None:
    adapter = SlackAdapter(settings=settings_for(fake, unfurl=True), pace=0.0)
    try:
        await adapter.destination("C0NEWS").send_digest(digest_of(fourteen()))
    finally:
        await adapter.close()
    [message] = fake.messages("C0NEWS")
    assert message["unfurl_links"] is True and message["unfurl_media"] is True


@pytest.mark.parametrize(("error", "status", "transient", "words"), [
    ("not_in_channel", 200, False, "invite it with /invite @Vigie"),
    ("invalid_blocks", 200, False, "invalid_blocks"),
    ("token_revoked", 200, False, "revoked"),
    ("internal_error", 500, True, "HTTP 500"),
])
async def test_digest_errors_map_like_alerts(
    fake: FakeSlack, slack: SlackAdapter, error: str, status: int, transient: bool, words: str,
) -> None:
    fake.fail_next("C0NEWS", error, status=status)
    with pytest.raises(DeliveryError) as info:
        await slack.destination("C0NEWS").send_digest(digest_of(fourteen()))
    assert (info.value.transient, info.value.destination) == (transient, "slack:C0NEWS")
    assert words in info.value.message
    assert fake.messages("C0NEWS") == []


async def test_digest_429s_are_slept_through_then_reported(fake: FakeSlack) -> None:
    adapter = SlackAdapter(settings=settings_for(fake), pace=0.0, rate_limit_retries=2)
    dest = adapter.destination("C0NEWS")
    try:
        fake.rate_limit("C0NEWS", count=2, retry_after=0)
        assert await dest.send_digest(digest_of(fourteen())) is not None
        assert fake.rate_limited == 2 and len(fake.messages("C0NEWS")) == 1
        fake.rate_limit("C0NEWS", count=3, retry_after=0)
        with pytest.raises(DeliveryError) as info:
            await dest.send_digest(digest_of(fourteen()))
    finally:
        await adapter.close()
    assert (info.value.transient, info.value.retry_after) == (True, 0.0)
    assert fake.rate_limited == 5 and len(fake.messages("C0NEWS")) == 1


async def test_digests_and_alerts_share_the_channel_pacing(fake: FakeSlack) -> None:
    adapter = SlackAdapter(settings=settings_for(fake), pace=0.0, rate_limit_retries=0)
    fake.burst_limit(2, window=600.0, retry_after=9)
    dest = adapter.destination("C0NEWS")
    keys: list[str] = []
    slot = adapter.pacer.slot

    def recording_slot(key: str) -> Any:
        keys.append(key)
        return slot(key)

    adapter.pacer.slot = recording_slot  # type: ignore[method-assign]
    try:
        await dest.send(make_alert())
        await dest.send_digest(digest_of(fourteen()))
        with pytest.raises(DeliveryError) as info:
            await dest.send_digest(digest_of(fourteen()))  # Slack's per-channel burst limit
    finally:
        await adapter.close()
    assert keys == ["slack:C0NEWS"] * 3
    assert (info.value.transient, info.value.retry_after) == (True, 9.0)
    assert len(fake.messages("C0NEWS")) == 2


async def test_an_hourly_digest_through_the_outbox_survives_a_429_burst(
    fake: FakeSlack, tmp_path: Path,
) -> None:
    """Through the real outbox: held for the hour, then one Block Kit message,
    sent once however many 429s come first."""
    store = make_store(f"sqlite:///{tmp_path / 'v.db'}")
    await store.migrate()
    await store.sync_sources([("src", "https://example.org/feed", True)])
    hourly = SubscriptionOptions.parse({"digest": "hourly"})
    alerts = [dataclasses.replace(a, options=hourly) for a in fourteen()[:6]]
    await store.save_poll(
        SourceState("src", "https://example.org/feed", last_poll=T0, initialised=True),
        [NewItem(a.item, ("gpu",), (a,)) for a in alerts],
    )
    adapter = SlackAdapter(settings=settings_for(fake), pace=0.0, rate_limit_retries=1)
    now = [T0 + timedelta(minutes=5)]
    deliverer = Deliverer(store, Destinations(Config(path="t"), adapters={"slack": adapter}),
                          clock=lambda: now[0])
    try:
        assert (await deliverer.deliver_due()).held == 6
        assert fake.messages("C0NEWS") == []
        fake.rate_limit("C0NEWS", count=5, retry_after=0)
        now[0] = T0 + timedelta(hours=1)
        sent = 0
        for _ in range(6):
            sent += (await deliverer.deliver_due()).sent
            now[0] += timedelta(minutes=5)
        counts = await store.delivery_counts()
    finally:
        await adapter.close()
        await store.close()
    assert fake.rate_limited == 5
    assert sent == 1
    [message] = fake.messages("C0NEWS")
    assert_valid(message)
    assert message["blocks"][0]["text"]["text"] == "Hourly digest: 6 items matched IA or GPU"
    assert sorted(line.split("|")[1] for b in message["blocks"] if b["type"] == "section"
                  for line in b["text"]["text"].split("\n")[1:]) == [
        f"Item {i} &lt;!channel&gt; @\u2060here &lt;@U0ADMIN&gt;>" for i in range(6)]
    assert fake.mentions("C0NEWS") == []
    assert counts == {"pending": 0, "sent": 6, "failed": 0}


async def test_webhook_digest(fake: FakeSlack, hooks: SlackWebhookAdapter) -> None:
    url = fake.webhook_url("T0VIGIE01/B0HOOK/abc")
    dest = hooks.destination(url)
    digest = digest_of(fourteen(), "overflow", {"limit": "10/h"})
    fake.rate_limit("T0VIGIE01/B0HOOK/abc", count=2, retry_after=0)
    assert await dest.send_digest(digest) is None  # the 429s were slept through
    [message] = fake.messages("T0VIGIE01/B0HOOK/abc")
    assert_valid(message)
    assert {k: v for k, v in message.items() if k != "ts"} == render_digest(digest)
    header = message["blocks"][0]["text"]["text"]
    assert header == "14 more items matched IA or GPU in the last hour"
    assert more_count(message) == 9
    assert fake.mentions("T0VIGIE01/B0HOOK/abc") == []
    fake.fail_next("T0VIGIE01/B0HOOK/abc", "no_service", status=404)
    with pytest.raises(DeliveryError, match="removed or disabled") as info:
        await dest.send_digest(digest)
    assert info.value.transient is False
    assert url.rsplit("/", 1)[1] not in str(info.value)
