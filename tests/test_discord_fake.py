"""The local Discord itself: it must behave like Discord where Vigie depends on it,
or the adapter tests prove nothing. Checked with raw HTTP/WebSocket and with discord.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import discord.http
import pytest
from discord import app_commands
from discord_fixtures import fake, restore_endpoints  # noqa: F401  (fixtures)
from fakes.discord_server import MANAGE_GUILD, FakeDiscord, FakeMember, pinged, validate_message

from adapters.discord.settings import configure_endpoints


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def auth(fake: FakeDiscord) -> dict[str, str]:
    return {"Authorization": f"Bot {fake.token}"}


async def post(http: aiohttp.ClientSession, url: str, body: Any,
               headers: dict[str, str] | None = None) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with http.post(url, data=json.dumps(body), headers={
            "Content-Type": "application/json", **(headers or {})}) as r:
        raw = await r.read()
        return r.status, json.loads(raw) if raw else None, r


# -- REST ---------------------------------------------------------------------------------


async def test_authorization_is_required(fake: FakeDiscord,
                                         http: aiohttp.ClientSession) -> None:
    async with http.get(f"{fake.api_base}/users/@me") as r:
        assert r.status == 401
    async with http.get(f"{fake.api_base}/users/@me",
                        headers={"Authorization": f"Bearer {fake.token}"}) as r:
        assert r.status == 401
    async with http.get(f"{fake.api_base}/users/@me", headers=auth(fake)) as r:
        assert r.status == 200
        # Exactly this, no charset: discord.py compares the header verbatim.
        assert r.headers["Content-Type"] == "application/json"
        assert (await r.json())["id"] == fake.application_id


async def test_channel_errors_carry_discord_codes(fake: FakeDiscord,
                                                  http: aiohttp.ClientSession) -> None:
    guild = fake.add_guild(channels=["a", "b"])
    a, b = guild.channel_ids
    fake.forbid(b)
    status, body, _ = await post(http, f"{fake.api_base}/channels/1/messages", {"content": "x"},
                                 auth(fake))
    assert (status, body["code"], body["message"]) == (404, 10003, "Unknown Channel")
    status, body, _ = await post(http, f"{fake.api_base}/channels/{b}/messages",
                                 {"content": "x"}, auth(fake))
    assert (status, body["code"], body["message"]) == (403, 50001, "Missing Access")
    status, body, _ = await post(http, f"{fake.api_base}/channels/{a}/messages",
                                 {"content": "hello"}, auth(fake))
    assert status == 200 and fake.messages(a)[0]["content"] == "hello"


async def test_limits_are_enforced_with_nested_errors(fake: FakeDiscord,
                                                      http: aiohttp.ClientSession) -> None:
    channel = fake.add_guild().channel_ids[0]
    url = f"{fake.api_base}/channels/{channel}/messages"
    status, body, _ = await post(http, url, {"embeds": [{"title": "t" * 257}]}, auth(fake))
    assert status == 400 and body["code"] == 50035
    assert body["errors"]["embeds"]["0"]["title"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    status, body, _ = await post(http, url, {}, auth(fake))
    assert (status, body["code"]) == (400, 50006)
    assert fake.messages(channel) == []


@pytest.mark.parametrize("payload, path", [
    ({"content": "x" * 2001}, ["content"]),
    ({"embeds": [{"description": "x"}] * 11}, ["embeds"]),
    ({"embeds": [{"description": "d" * 4097}]}, ["embeds", "0", "description"]),
    ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, ["embeds", "0", "fields"]),
    ({"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]},
     ["embeds", "0", "fields", "0", "name"]),
    ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
     ["embeds", "0", "fields", "0", "value"]),
    ({"embeds": [{"fields": [{"name": "n", "value": ""}]}]},
     ["embeds", "0", "fields", "0", "value"]),
    ({"embeds": [{"footer": {"text": "f" * 2049}}]}, ["embeds", "0", "footer", "text"]),
    ({"embeds": [{"author": {"name": "a" * 257}}]}, ["embeds", "0", "author", "name"]),
    ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, ["embeds"]),
    ({"embeds": [{"title": "t", "url": "javascript:alert(1)"}]}, ["embeds", "0", "url"]),
    ({"embeds": [{"title": "t", "thumbnail": {"url": "nope"}}]},
     ["embeds", "0", "thumbnail", "url"]),
    ({"embeds": [{"title": "t", "color": 0x1000000}]}, ["embeds", "0", "color"]),
    ({"content": "x", "nonce": "n" * 26}, ["nonce"]),
    ({"content": "x", "allowed_mentions": {"parse": ["roles"], "roles": ["1"]}},
     ["allowed_mentions"]),
])
def test_every_limit(payload: dict[str, Any], path: list[str]) -> None:
    error = validate_message(payload)
    assert error is not None and error["code"] == 50035
    node = error["errors"]
    for key in path:
        node = node[key]
    assert node["_errors"]


def test_limits_at_the_edge_are_accepted() -> None:
    assert validate_message({
        "content": "x" * 2000,
        "embeds": [{"title": "t" * 256, "description": "d" * 3000,
                    "fields": [{"name": "n", "value": "v" * 10}] * 25,
                    "footer": {"text": "f" * 1000}, "author": {"name": "a" * 256},
                    "url": "https://example.org", "color": 0xFFFFFF,
                    "timestamp": "2025-01-01T00:00:00+00:00"}],
        "nonce": "n" * 25,
        "allowed_mentions": {"parse": [], "roles": ["1"]},
    }) is None


def _row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


def _button(custom_id: str, label: str = "Go", **kw: Any) -> dict[str, Any]:
    return {"type": 2, "style": 2, "label": label, "custom_id": custom_id, **kw}


@pytest.mark.parametrize("components, path", [
    ([_row(_button(f"b{i}")) for i in range(6)], ["components"]),
    ([_row(*(_button(f"b{i}") for i in range(6)))], ["components", "0", "components"]),
    ([_row()], ["components", "0", "components"]),
    ([_row(_button("x" * 101))], ["components", "0", "components", "0", "custom_id"]),
    ([_row(_button("a", label="l" * 81))], ["components", "0", "components", "0", "label"]),
    ([_row(_button("a"), _button("a"))], ["components", "0", "components", "1", "custom_id"]),
    ([_row(_button("a")), _row(_button("a"))],
     ["components", "1", "components", "0", "custom_id"]),
    ([_row({"type": 2, "style": 2, "label": "no id"})],
     ["components", "0", "components", "0", "custom_id"]),
    ([_row(_button("a", style=5, url="https://e.org"))],
     ["components", "0", "components", "0", "custom_id"]),
    ([_row({"type": 2, "style": 5, "label": "bad", "url": "javascript:x"})],
     ["components", "0", "components", "0", "url"]),
    ([_row(_button("a", style=9))], ["components", "0", "components", "0", "style"]),
    ([_row({"type": 3, "custom_id": "s", "options": []}, _button("a"))], ["components", "0"]),
    ([_button("a")], ["components", "0", "type"]),
    ({"type": 1}, ["components"]),
])
def test_component_limits(components: Any, path: list[str]) -> None:
    error = validate_message({"content": "x", "components": components})
    assert error is not None and error["code"] == 50035, error
    node = error["errors"]
    for key in path:
        node = node[key]
    assert node["_errors"]


def test_components_at_the_edge_are_accepted() -> None:
    rows = [_row(*(_button(f"{r}{c}".ljust(100, "x"), label="l" * 80) for c in range(5)))
            for r in range(5)]
    assert validate_message({"content": "x", "components": rows}) is None
    link = _row({"type": 2, "style": 5, "label": "Open", "url": "https://e.org"})
    assert validate_message({"components": [link]}) is None  # components alone: not empty


def test_pings_follow_allowed_mentions() -> None:
    content = "@everyone <@&111111111111111111> <@222222222222222222> <@!333333333333333333>"
    assert pinged({"content": content}) == (
        True, ["111111111111111111"], ["222222222222222222", "333333333333333333"])
    assert pinged({"content": content, "allowed_mentions": {"parse": []}}) == (False, [], [])
    assert pinged({"content": content, "allowed_mentions": {
        "parse": [], "roles": ["111111111111111111"]}}) == (False, ["111111111111111111"], [])
    # Embeds never ping.
    assert pinged({"embeds": [{"description": content}]}) == (False, [], [])


async def test_rate_limit_and_server_errors_on_demand(fake: FakeDiscord,
                                                      http: aiohttp.ClientSession) -> None:
    channel = fake.add_guild().channel_ids[0]
    url = f"{fake.api_base}/channels/{channel}/messages"
    fake.fail_next(channel, 429, count=2, retry_after=1.5)
    fake.fail_next(channel, 502)
    for _ in range(2):
        status, body, r = await post(http, url, {"content": "x"}, auth(fake))
        assert status == 429
        assert body["retry_after"] == 1.5 and body["global"] is False
        assert r.headers["Retry-After"] == "2"
        assert r.headers["X-RateLimit-Remaining"] == "0"
        assert r.headers["X-RateLimit-Reset-After"] == "1.500"
        assert "X-RateLimit-Bucket" in r.headers and r.headers["Via"]
    status, _, _ = await post(http, url, {"content": "x"}, auth(fake))
    assert status == 502
    status, _, r = await post(http, url, {"content": "x"}, auth(fake))
    assert status == 200 and r.headers["X-RateLimit-Remaining"] == "4"
    assert len(fake.messages(channel)) == 1


async def test_enforced_nonce_returns_the_same_message(fake: FakeDiscord,
                                                       http: aiohttp.ClientSession) -> None:
    channel = fake.add_guild().channel_ids[0]
    url = f"{fake.api_base}/channels/{channel}/messages"
    body = {"content": "x", "nonce": "abc", "enforce_nonce": True}
    _, first, _ = await post(http, url, body, auth(fake))
    _, second, _ = await post(http, url, body, auth(fake))
    _, third, _ = await post(http, url, {"content": "x", "nonce": "abc"}, auth(fake))
    assert first["id"] == second["id"] != third["id"]
    assert len(fake.messages(channel)) == 2


async def test_webhook_execution(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    guild = fake.add_guild()
    channel = guild.channel_ids[0]
    thread = fake.add_thread(guild, channel)
    wid, token, url = fake.add_webhook(channel)
    assert url.startswith(f"https://discord.com/api/webhooks/{wid}/")
    base = fake.webhook_url(wid)
    status, msg, _ = await post(http, base + "?wait=true", {"content": "hi", "username": "Vigie"})
    assert status == 200 and msg["webhook_id"] == wid and msg["author"]["username"] == "Vigie"
    status, _, _ = await post(http, base, {"content": "no wait"})
    assert status == 204
    status, _, _ = await post(http, f"{base}?wait=true&thread_id={thread}", {"content": "t"})
    assert status == 200 and fake.messages(thread)[0]["content"] == "t"
    status, body, _ = await post(http, f"{base}?thread_id=1", {"content": "t"})
    assert (status, body["code"]) == (400, 10003)
    status, body, _ = await post(http, f"{fake.api_base}/webhooks/{wid}/{'x' * 60}",
                                 {"content": "x"})
    assert (status, body["code"]) == (401, 50027)
    status, body, _ = await post(http, f"{fake.api_base}/webhooks/1/{token}", {"content": "x"})
    assert (status, body["code"]) == (404, 10015)
    status, body, _ = await post(http, base, {"content": "x", "username": "My Discord"})
    assert (status, body["code"]) == (400, 50035)
    assert [m["content"] for m in fake.messages(channel)] == ["hi", "no wait"]


# -- discord.py against it ---------------------------------------------------------------


async def test_discord_py_rest_client_reads_errors(fake: FakeDiscord) -> None:
    configure_endpoints(fake.api_base, fake.gateway_url)
    channel = fake.add_guild().channel_ids[0]
    client = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        user = await client.static_login(fake.token)
        assert user["username"] == fake.bot_name
        params = discord.http.MultipartParameters(
            payload={"embeds": [{"title": "t" * 300}]}, multipart=None, files=None)
        with pytest.raises(discord.HTTPException) as info:
            await client.send_message(channel, params=params)
        assert info.value.status == 400 and info.value.code == 50035
        assert "embeds.0.title" in info.value.text
        with pytest.raises(discord.NotFound) as missing:
            await client.send_message("1", params=params)
        assert missing.value.code == 10003
    finally:
        await client.close()
    bad = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        with pytest.raises(discord.LoginFailure):
            await bad.static_login("not-the-token")
    finally:
        await bad.close()


class _PingClient(discord.Client):
    """A minimal discord.py bot: one /ping command, synced to the test guild."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(intents=discord.Intents.none() | discord.Intents(guilds=True),
                         guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.guild_id = guild_id
        self.seen: list[tuple[str, int, bool]] = []
        self.errors: list[BaseException] = []
        self.ready_event = asyncio.Event()

        @self.tree.error
        async def on_error(interaction: discord.Interaction,
                           error: app_commands.AppCommandError) -> None:
            self.errors.append(error)

        @self.tree.command(name="ping", description="Answers pong")
        @app_commands.describe(word="A word to echo")
        async def ping(interaction: discord.Interaction, word: str, times: int = 1) -> None:
            perms = interaction.permissions
            self.seen.append((word, times, perms.manage_guild))
            await interaction.response.send_message(f"pong {word * times}", ephemeral=True)

    async def setup_hook(self) -> None:
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)

    async def on_ready(self) -> None:
        self.ready_event.set()


async def test_gateway_ready_commands_and_interactions(fake: FakeDiscord) -> None:
    configure_endpoints(fake.api_base, fake.gateway_url)
    guild = fake.add_guild(channels=["general"])
    channel = guild.channel_ids[0]
    client = _PingClient(int(guild.id))
    task = asyncio.create_task(client.start(fake.token))
    try:
        async with asyncio.timeout(10):
            await client.ready_event.wait()
        # IDENTIFY carried the token and no privileged intent.
        (identify,) = fake.identifies
        assert identify["token"] == fake.token
        assert identify["intents"] & ((1 << 1) | (1 << 8) | (1 << 15)) == 0
        # READY and GUILD_CREATE filled discord.py's cache.
        cached = client.get_guild(int(guild.id))
        assert cached is not None and cached.get_channel(int(channel)) is not None
        # The command was synced to the guild.
        ((synced_guild, body),) = fake.command_syncs
        assert synced_guild == guild.id and body[0]["name"] == "ping"
        assert body[0]["options"][0]["type"] == 3 and body[0]["options"][1]["type"] == 4
        # An injected interaction reaches the command and the answer comes back.
        admin = FakeMember("512345678901234567", "ada", permissions=MANAGE_GUILD)
        payload = fake.command_interaction(guild, channel, admin, ["ping"],
                                           {"word": "ab", "times": 2})
        (answer,) = await fake.inject_interaction(payload)
        assert client.seen == [("ab", 2, True)]
        assert client.errors == []
        assert answer.kind == "callback" and answer.type == 4
        assert answer.data["content"] == "pong abab" and answer.ephemeral
        # Unregistered commands cannot be built, as Discord's client would not send them.
        with pytest.raises(LookupError):
            fake.command_interaction(guild, channel, admin, ["pong"])
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)


async def test_interaction_callbacks_are_checked(fake: FakeDiscord,
                                                 http: aiohttp.ClientSession) -> None:
    configure_endpoints(fake.api_base, fake.gateway_url)
    guild = fake.add_guild()
    channel = guild.channel_ids[0]
    client = _PingClient(int(guild.id))
    task = asyncio.create_task(client.start(fake.token))
    try:
        async with asyncio.timeout(10):
            await client.ready_event.wait()
        payload = fake.command_interaction(guild, channel, FakeMember("612345678901234567"),
                                           ["ping"], {"word": "x"})
        await fake.inject_interaction(payload)
        assert client.errors == []
        url = f"{fake.api_base}/interactions/{payload['id']}/{payload['token']}/callback"
        status, body, _ = await post(http, url, {"type": 4, "data": {"content": "again"}})
        assert (status, body["code"]) == (400, 40060)
        status, body, _ = await post(http, f"{fake.api_base}/interactions/1/nope/callback",
                                     {"type": 4, "data": {"content": "x"}})
        assert (status, body["code"]) == (404, 10062)
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)


async def test_gateway_refuses_a_wrong_token(fake: FakeDiscord,
                                             http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(fake.gateway_url + "?v=10&encoding=json") as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive_json())["op"] == 11
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 0, "properties": {}}})
        msg = await ws.receive()
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4004


async def _raw_client(fake: FakeDiscord, http: aiohttp.ClientSession
                      ) -> aiohttp.ClientWebSocketResponse:
    """A gateway connection that identifies and reads READY, without discord.py."""
    ws = await http.ws_connect(fake.gateway_url + "?v=10&encoding=json")
    assert (await ws.receive_json())["op"] == 10
    await ws.send_json({"op": 2, "d": {"token": fake.token, "intents": 1, "properties": {}}})
    assert (await ws.receive_json())["t"] == "READY"
    return ws


async def test_component_presses_and_message_updates(fake: FakeDiscord,
                                                     http: aiohttp.ClientSession) -> None:
    guild = fake.add_guild()
    channel = guild.channel_ids[0]
    who = FakeMember("612345678901234567")
    ws = await _raw_client(fake, http)
    try:
        command = fake.interaction_payload(guild, channel, who,
                                           {"id": "1", "name": "pages", "type": 1})
        await fake.inject_interaction(command, wait=False)
        url = f"{fake.api_base}/interactions/{command['id']}/{command['token']}/callback"
        # UPDATE_MESSAGE answers a component press, not a command.
        status, body, _ = await post(http, url, {"type": 7, "data": {"content": "x"}})
        assert status == 400
        status, body, r = await post(http, url + "?with_response=1", {"type": 4, "data": {
            "content": "page 1", "components": [_row(
                _button("prev", "Previous", disabled=True), _button("next", "Next"))]}})
        assert status == 200 and r.headers["Content-Type"] == "application/json"
        assert body["interaction"] == {"id": command["id"], "type": 2,
                                       "response_message_loading": False,
                                       "response_message_ephemeral": False,
                                       "response_message_id": body["resource"]["message"]["id"]}
        message_id = body["resource"]["message"]["id"]
        assert fake.interaction_message(message_id)["components"][0]["components"][1][
            "custom_id"] == "next"
        # Discord's client sends no press of a disabled or missing button.
        with pytest.raises(LookupError):
            fake.component_interaction(guild, who, message_id, "prev")
        with pytest.raises(LookupError):
            fake.component_interaction(guild, who, message_id, "nope")

        pressed = fake.component_interaction(guild, who, message_id, "next")
        assert pressed["type"] == 3 and pressed["attachment_size_limit"] > 0
        assert pressed["data"] == {"custom_id": "next", "component_type": 2}
        assert pressed["message"]["id"] == message_id
        await fake.inject_interaction(pressed, wait=False)
        url = f"{fake.api_base}/interactions/{pressed['id']}/{pressed['token']}/callback"
        status, body, _ = await post(http, url, {"type": 7, "data": {
            "components": [_row(_button(f"b{i}")) for i in range(6)]}})
        assert (status, body["code"]) == (400, 50035)
        assert fake.interaction_message(message_id)["content"] == "page 1"
        status, body, _ = await post(http, url + "?with_response=1",
                                     {"type": 7, "data": {"content": "page 2"}})
        assert status == 200
        assert body["interaction"]["type"] == 3
        assert body["resource"]["type"] == 7
        updated = fake.interaction_message(message_id)
        assert body["resource"]["message"] == updated
        # What an edit leaves out stays as it was.
        assert updated["content"] == "page 2" and len(updated["components"][0]["components"]) == 2
        record = fake.interaction_responses[-1]
        assert (record.type, record.message_id) == (7, message_id)
        # The press's token edits the message it was on ("@original").
        async with http.patch(
                f"{fake.api_base}/webhooks/{fake.application_id}/{pressed['token']}"
                "/messages/@original", data=json.dumps({"components": []}),
                headers={"Content-Type": "application/json"}) as r:
            assert r.status == 200
        assert fake.interaction_message(message_id)["components"] == []
        assert fake.interaction_message(message_id)["content"] == "page 2"
    finally:
        await ws.close()


async def test_command_definitions_and_values_are_checked(fake: FakeDiscord,
                                                          http: aiohttp.ClientSession) -> None:
    guild = fake.add_guild()
    url = f"{fake.api_base}/applications/{fake.application_id}/guilds/{guild.id}/commands"

    def command(**option: Any) -> list[dict[str, Any]]:
        return [{"name": "pick", "description": "Pick", "type": 1, "options": [
            {"name": "what", "description": "What", "type": 3, **option}]}]

    many = [{"name": f"c{i}", "value": f"c{i}"} for i in range(26)]
    for bad, key in [({"choices": many}, "choices"),
                     ({"choices": many[:2], "autocomplete": True}, "autocomplete"),
                     ({"max_length": 6001}, "max_length"),
                     ({"choices": [{"name": "x" * 101, "value": "x"}]}, "choices")]:
        async with http.put(url, json=command(**bad), headers=auth(fake)) as r:
            body = await r.json()
        assert (r.status, body["code"]) == (400, 50035), bad
        assert key in body["errors"]["0"]["options"]["0"], body
    async with http.put(url, json=command(choices=many[:25], max_length=100),
                        headers=auth(fake)) as r:
        assert r.status == 200
    # Discord's client sends only a choice, within the bounds.
    member = FakeMember("612345678901234567")
    channel = guild.channel_ids[0]
    fake.command_interaction(guild, channel, member, ["pick"], {"what": "c3"})
    with pytest.raises(ValueError, match="not one of its choices"):
        fake.command_interaction(guild, channel, member, ["pick"], {"what": "c99"})
