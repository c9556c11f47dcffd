"""The /vigie command through the real slack-bolt app, driven only through the
fake Slack: Socket Mode envelopes and signed HTTP requests."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from fakes.slack_server import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    FakeSlack,
    mentions,
    sign_request,
)

from adapters.slack import SlackSettings
from adapters.slack.app import EVENTS_PATH, SlackApp, start_slack
from bot.chat import Caller, CompletionKind
from bot.commands import AdminPolicy
from bot.config import Config
from bot.exceptions import ConfigError
from bot.replies import Fields, Heading, ItemCard, Reply, Text

ADMIN_COMMANDS = {"subscribe", "unsubscribe", "keywords", "topic", "sources"}


class CannedCommandHandler:
    """Test double for the command layer: records calls, answers canned replies.

    Admin commands are refused to non-admins, the way the real layer does,
    with the real admin policy (``admin_users`` as configured).
    ``gate``, when given, holds every command until it is set (slow work);
    ``called`` is set once a call is recorded.
    """

    def __init__(self, *, gate: asyncio.Event | None = None, fail: bool = False,
                 admin_users: tuple[str, ...] = ()) -> None:
        self.admins = AdminPolicy.from_tables({"slack": {"admin_users": list(admin_users)}})
        self.calls: list[tuple[Caller, str]] = []
        self.called = asyncio.Event()
        self.gate = gate
        self.fail = fail

    async def handle(self, caller: Caller, text: str) -> Reply:
        self.calls.append((caller, text))
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("boom")
        word = text.split(" ", 1)[0]
        if word in ADMIN_COMMANDS and not self.is_admin(caller):
            return Reply.error(f"Only workspace admins can use {word}.")
        if word == "subscribe":
            return Reply.text(f"This channel now gets alerts for {text[10:]}.", ephemeral=True)
        if word == "search":
            card = ItemCard(title="Musk <!channel> buys", url="https://news.example/m",
                            source="Wire", published=datetime(2024, 5, 1, tzinfo=UTC),
                            summary="Elon Musk bought it.", summary_highlights=((5, 9),))
            return Reply((Heading("1 result"), card))
        if word == "status":
            return Reply((Fields((("Sources", "3 healthy"), ("Pending", "0"))),))
        return Reply((Text(f"you said: {text}"),))

    async def complete(self, caller: Caller, kind: CompletionKind, prefix: str) -> list[str]:
        return []

    def is_admin(self, caller: Caller) -> bool:
        return self.admins.allows(caller)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as f:
        yield f


def socket_settings(fake: FakeSlack, **kw: Any) -> SlackSettings:
    return SlackSettings(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_base=fake.api_base, **kw)


def http_settings(fake: FakeSlack, **kw: Any) -> SlackSettings:
    return SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, mode="http",
                         api_base=fake.api_base, **kw)


async def running(settings: SlackSettings, handler: CannedCommandHandler,
                  **kw: Any) -> SlackApp:
    app = SlackApp(settings, handler, host="127.0.0.1", port=0, **kw)
    await app.start()
    return app


# -- Socket Mode -----------------------------------------------------------------------


async def test_socket_mode_command_reaches_the_handler(fake: FakeSlack) -> None:
    handler = CannedCommandHandler()
    app = await running(socket_settings(fake), handler)
    try:
        ack = await fake.send_slash_command("search  musk ", user_id="U0ADMIN",
                                            user_name="alice", channel_id="C0NEWS")
        [response] = await fake.wait_responses(1)
    finally:
        await app.close()
    assert ack["envelope_id"]
    [(caller, text)] = handler.calls
    assert caller == Caller(platform="slack", workspace=TEAM_ID, channel="C0NEWS",
                            user="U0ADMIN", user_name="alice", is_platform_admin=True,
                            destination="slack:C0NEWS")
    assert text == "search  musk"
    assert response.error is None  # Block Kit the fake accepted
    assert response.payload["response_type"] == "in_channel"
    assert response.payload["blocks"][0]["type"] == "header"
    assert "*Musk*" in response.payload["blocks"][1]["text"]["text"]
    assert mentions(response.payload) == []
    assert fake.calls_to("apps.connections.open")[0].token == APP_TOKEN


async def test_command_text_is_unescaped(fake: FakeSlack) -> None:
    # Slack sends "&", "<" and ">" escaped in a slash command's text.
    handler = CannedCommandHandler()
    app = await running(socket_settings(fake), handler)
    try:
        await fake.send_slash_command("search AT&amp;T &lt;GPU&gt; &amp;lt; ")
        await fake.wait_responses(1)
    finally:
        await app.close()
    assert [text for _, text in handler.calls] == ["search AT&T <GPU> &lt;"]


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_oauth_environment_does_not_take_over(
    mode: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # With both set, bolt alone would switch to OAuth mode, drop the bot token
    # and answer no command.
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "0123456789abcdef")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    handler = CannedCommandHandler()
    settings = socket_settings(fake) if mode == "socket" else http_settings(fake)
    app = await running(settings, handler)
    try:
        if mode == "socket":
            await fake.send_slash_command("status", user_id="U0MEMBER")
        else:
            body = fake.form_body(fake.slash_command("status", user_id="U0MEMBER"))
            status, _ = await post(app, body, sign_request(SIGNING_SECRET, body))
            assert status == 200
        [response] = await fake.wait_responses(1)
    finally:
        await app.close()
    assert [text for _, text in handler.calls] == ["status"]
    assert response.error is None and response.payload["blocks"][0]["type"] == "section"
    assert "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set" in caplog.text
    # Bolt's notes about what Vigie does on purpose are not shown as warnings.
    assert "will be ignored" not in caplog.text and "will be unused" not in caplog.text


async def test_non_admin_is_refused_ephemerally(fake: FakeSlack) -> None:
    handler = CannedCommandHandler()
    app = await running(socket_settings(fake), handler)
    try:
        await fake.send_slash_command("subscribe gpu", user_id="U0MEMBER")
        await fake.send_slash_command("subscribe gpu", user_id="U0OWNER")
        responses = await fake.wait_responses(2)
    finally:
        await app.close()
    admin_flags = {c.user: c.is_platform_admin for c, _ in handler.calls}
    assert admin_flags == {"U0MEMBER": False, "U0OWNER": True}
    by_text = sorted(r.payload["text"] for r in responses)
    assert by_text == ["Only workspace admins can use subscribe.",
                       "This channel now gets alerts for gpu."]
    assert all(r.payload["response_type"] == "ephemeral" for r in responses)


async def test_configured_admins_and_the_users_info_cache(fake: FakeSlack) -> None:
    now = [1000.0]
    handler = CannedCommandHandler(admin_users=("U0MEMBER",))
    app = await running(socket_settings(fake), handler,
                        clock=lambda: now[0])
    try:
        # One command after the other: the ack comes before the users.info lookup, so
        # commands sent on acks alone could all miss the cache.
        await fake.send_slash_command("subscribe gpu", user_id="U0MEMBER")
        for n in range(3):
            await fake.send_slash_command("recent", user_id="U0ADMIN")
            await fake.wait_responses(2 + n)
        assert [c.params["user"] for c in fake.calls_to("users.info")] == ["U0ADMIN"]
        now[0] += 301  # the cache lasts five minutes
        fake.users["U0ADMIN"]["is_admin"] = False  # demoted meanwhile
        await fake.send_slash_command("subscribe gpu", user_id="U0ADMIN")
        await fake.wait_responses(5)
    finally:
        await app.close()
    assert len(fake.calls_to("users.info")) == 2
    # U0MEMBER is an admin by the core's policy (Slack was not asked), U0ADMIN by Slack's word.
    flags = [(c.user, c.is_platform_admin, handler.is_admin(c)) for c, _ in handler.calls]
    assert flags == [("U0MEMBER", False, True)] + [("U0ADMIN", True, True)] * 3 + [
        ("U0ADMIN", False, False)]


async def test_users_info_failure_means_not_admin(fake: FakeSlack) -> None:
    handler = CannedCommandHandler()
    app = await running(socket_settings(fake), handler)
    try:
        fake.fail_next("users.info", "missing_scope")
        await fake.send_slash_command("subscribe gpu", user_id="U0ADMIN")
        await fake.wait_responses(1)  # the failed lookup is over before the next command
        await fake.send_slash_command("subscribe gpu", user_id="U0ADMIN")
        await fake.wait_responses(2)
    finally:
        await app.close()
    # Refused once (fail closed), then the retry (not cached) finds the admin.
    assert [c.is_platform_admin for c, _ in handler.calls] == [False, True]


async def test_ack_comes_before_the_slow_work(fake: FakeSlack) -> None:
    gate = asyncio.Event()
    handler = CannedCommandHandler(gate=gate)
    app = await running(socket_settings(fake), handler)
    try:
        # Acknowledged while the gate holds the command layer: the ack never waits for the
        # work. The handler may start before or after the ack is read; wait for it.
        ack = await fake.send_slash_command("search musk")
        assert ack["envelope_id"]
        await asyncio.wait_for(handler.called.wait(), 10)
        assert len(handler.calls) == 1 and fake.responses == []
        gate.set()
        [response] = await fake.wait_responses(1)
    finally:
        await app.close()
    assert response.payload["blocks"][0]["text"]["text"] == "1 result"


async def test_a_failing_command_layer_still_answers(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    app = await running(socket_settings(fake), CannedCommandHandler(fail=True))
    try:
        await fake.send_slash_command("recent")
        [response] = await fake.wait_responses(1)
    finally:
        await app.close()
    assert response.payload["response_type"] == "ephemeral"
    assert "Something went wrong" in response.payload["text"]
    assert "the command 'recent' failed" in caplog.text


async def test_rejected_tokens_fail_at_start(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    handler = CannedCommandHandler()
    bad_app = SlackSettings(bot_token=BOT_TOKEN, app_token="xapp-1-wrong-SECRETAPP",
                            api_base=fake.api_base)
    with pytest.raises(ConfigError) as info:
        await running(bad_app, handler)
    assert info.value.problems == [
        ("slack.app_token", "Slack rejected it (invalid_auth); "
                            "it needs the connections:write scope")]
    bad_bot = SlackSettings(bot_token="xoxb-wrong-SECRETBOT", app_token=APP_TOKEN,
                            api_base=fake.api_base)
    with pytest.raises(ConfigError) as info2:
        await running(bad_bot, handler)
    assert info2.value.problems == [("slack.bot_token", "Slack rejected it (invalid_auth)")]
    for text in (str(info.value), str(info2.value), caplog.text):
        assert "SECRET" not in text and BOT_TOKEN not in text and APP_TOKEN not in text


async def test_app_home_lists_subscriptions_and_health(fake: FakeSlack) -> None:
    handler = CannedCommandHandler()
    app = await running(socket_settings(fake, app_home=True), handler)
    try:
        await fake.send_event({"type": "app_home_opened", "user": "U0MEMBER",
                               "channel": "D0HOME", "tab": "home"})
        await wait_for(lambda: bool(fake.home_views.get("U0MEMBER")))
    finally:
        await app.close()
    assert [text for _, text in handler.calls] == ["status", "topics"]
    assert handler.calls[0][0].is_platform_admin is False
    [view] = fake.home_views["U0MEMBER"]
    kinds = [b["type"] for b in view["blocks"]]
    assert kinds == ["header", "section", "divider", "section", "divider", "section"]
    assert "type `/vigie list` in a channel" in view["blocks"][1]["text"]["text"]


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)


# -- HTTP mode -----------------------------------------------------------------------


async def post(app: SlackApp, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(
        f"http://127.0.0.1:{app.port}{EVENTS_PATH}", data=body, headers=headers
    ) as r:
        return r.status, await r.text()


async def test_http_mode_signed_command(fake: FakeSlack) -> None:
    handler = CannedCommandHandler()
    app = await running(http_settings(fake), handler)
    try:
        body = fake.form_body(fake.slash_command("status", user_id="U0MEMBER",
                                                 channel_id="C0OPS", user_name="bob"))
        status, _ = await post(app, body, sign_request(SIGNING_SECRET, body))
        [response] = await fake.wait_responses(1)
    finally:
        await app.close()
    assert status == 200
    [(caller, text)] = handler.calls
    assert (caller.channel, caller.user, caller.user_name, caller.is_platform_admin,
            caller.destination, text) == ("C0OPS", "U0MEMBER", "bob", False, "slack:C0OPS",
                                          "status")
    assert response.error is None
    assert response.payload["blocks"][0]["fields"][0]["text"] == "*Sources*\n3 healthy"


async def test_http_mode_rejects_forged_requests(fake: FakeSlack) -> None:
    handler = CannedCommandHandler()
    app = await running(http_settings(fake), handler)
    try:
        body = fake.form_body(fake.slash_command("subscribe gpu"))
        now = int(time.time())
        tampered = body.replace(b"U0ADMIN", b"U0OTHER")
        cases = {
            "tampered": (tampered, sign_request(SIGNING_SECRET, body, now)),
            "unsigned": (body, {"Content-Type": "application/x-www-form-urlencoded"}),
            "stale": (body, sign_request(SIGNING_SECRET, body, now - 301)),
            "future": (body, sign_request(SIGNING_SECRET, body, now + 301)),
            "wrong secret": (body, sign_request("0" * 32, body, now)),
            "garbage": (body, {**sign_request(SIGNING_SECRET, body, now),
                               "X-Slack-Request-Timestamp": "soon"}),
        }
        statuses = {name: (await post(app, b, h))[0] for name, (b, h) in cases.items()}
        # A correctly signed request still goes through afterwards.
        ok, _ = await post(app, body, sign_request(SIGNING_SECRET, body, now - 60))
        await fake.wait_responses(1)
    finally:
        await app.close()
    assert statuses == dict.fromkeys(cases, 401)
    assert ok == 200
    assert [text for _, text in handler.calls] == ["subscribe gpu"]
    assert len(fake.responses) == 1


async def test_start_slack_runs_until_stopped(fake: FakeSlack) -> None:
    port = free_port()
    config = Config(path="t.toml", adapters={"slack": {
        "bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET, "mode": "http",
        "http_port": port, "api_base": fake.api_base}})
    handler = CannedCommandHandler()
    stop = asyncio.Event()
    task = asyncio.create_task(start_slack(config, handler, stop, host="127.0.0.1"))
    body = fake.form_body(fake.slash_command("recent"))

    async def attempt() -> int:
        async with aiohttp.ClientSession() as session, session.post(
            f"http://127.0.0.1:{port}{EVENTS_PATH}", data=body,
            headers=sign_request(SIGNING_SECRET, body),
        ) as r:
            return r.status

    status = 0
    for _ in range(200):
        try:
            status = await attempt()
            break
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.05)
    await fake.wait_responses(1)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert status == 200 and handler.calls[0][1] == "recent"
    with pytest.raises(aiohttp.ClientConnectionError):
        await attempt()


async def test_start_slack_retries_while_slack_is_unavailable(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    config = Config(path="t.toml", adapters={"slack": {
        "bot_token": BOT_TOKEN, "app_token": APP_TOKEN, "api_base": fake.api_base}})
    fake.fail_next("apps.connections.open", "internal_error", status=503, count=2)
    handler = CannedCommandHandler()
    stop = asyncio.Event()
    task = asyncio.create_task(start_slack(config, handler, stop, first_retry=0.01))
    try:
        await fake.wait_connected(10)
        await fake.send_slash_command("status")
        await fake.wait_responses(1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert len(fake.calls_to("apps.connections.open")) == 3
    assert caplog.text.count("Slack: cannot connect (HTTP 503, internal_error)") == 2
    assert [text for _, text in handler.calls] == ["status"]


async def test_start_slack_stops_while_waiting_for_slack(
    caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens there: every attempt fails to connect.
    config = Config(path="t.toml", adapters={"slack": {
        "bot_token": BOT_TOKEN, "app_token": APP_TOKEN,
        "api_base": f"http://127.0.0.1:{free_port()}/api/"}})
    stop = asyncio.Event()
    task = asyncio.create_task(start_slack(config, CannedCommandHandler(), stop,
                                           first_retry=0.01))
    await wait_for(lambda: caplog.text.count("Slack: cannot connect") >= 2)
    stop.set()
    await asyncio.wait_for(task, 10)  # returns, no exception
    assert "trying again in 0.02s" in caplog.text  # the wait doubles


async def test_http_port_in_use_is_a_config_error(fake: FakeSlack) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = SlackApp(http_settings(fake), CannedCommandHandler(), host="127.0.0.1",
                       port=port)
        with pytest.raises(ConfigError) as info:
            await app.start()
    [(key, message)] = info.value.problems
    assert key == "slack.http_port" and message.startswith(f"cannot listen on port {port} (")


def test_start_needs_a_usable_table() -> None:
    handler = CannedCommandHandler()
    with pytest.raises(ConfigError, match="missing"):
        SlackApp.from_config(Config(path="t"), handler)
    with pytest.raises(ConfigError) as info:
        SlackApp.from_config(Config(path="t", adapters={"slack": {"unfurl": True}}), handler)
    assert info.value.problems == [("slack.bot_token", "is required to run the /vigie command")]
    with pytest.raises(ConfigError) as info2:
        SlackApp.from_config(Config(path="t", adapters={"slack": {"bot_token": BOT_TOKEN}}),
                             handler)
    assert info2.value.problems == [
        ("slack.app_token", 'is required in Socket Mode (mode = "socket")')]


def test_manifest_declares_what_the_app_uses() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "slack-app-manifest.yml").read_text()
    lines = {line.strip() for line in text.splitlines() if not line.lstrip().startswith("#")}
    assert {"- chat:write", "- commands", "- users:read"} <= lines
    assert "socket_mode_enabled: true" in lines
    assert "- command: /vigie" in lines
    assert "- app_home_opened" in lines
