"""The Discord destinations, driven through the real discord.py against the local Discord."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime

import pytest
from discord_fixtures import fake, restore_endpoints  # noqa: F401  (fixtures)
from fakes.discord_server import (
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    InteractionRecord,
)

from adapters.discord import (
    DiscordAdapter,
    DiscordSettings,
    DiscordWebhookAdapter,
    alert_nonce,
    digest_nonce,
    parse_webhook_url,
    redact_webhook_url,
)
from adapters.discord.bot import DiscordBot, start_discord
from adapters.discord.markup import escape
from adapters.discord.settings import configure_endpoints
from bot._delivery import Deliverer
from bot._destinations import Destinations, section_validators
from bot._outbox import digest_alert, make_digest
from bot._storage import make_store
from bot._types import NewItem
from bot.chat import Caller, CompletionKind
from bot.config import Config, validate
from bot.exceptions import ConfigError, DeliveryError, UnknownDestinationError
from bot.options import SubscriptionOptions
from bot.plugins import DigestDestination
from bot.replies import Heading, ItemCard, Reply
from bot.types import Alert, AlertDigest, DigestKind, Item, SourceState

ROLE = "412345678901234567"


@pytest.fixture
def guild(fake: FakeDiscord) -> FakeGuild:
    return fake.add_guild(channels=["news", "other"], roles=["gpu-fans"])


def settings_for(fake: FakeDiscord, **kw: object) -> DiscordSettings:
    base: dict[str, object] = {"token": fake.token, "api_base": fake.api_base,
                               "gateway_url": fake.gateway_url}
    base.update(kw)
    return DiscordSettings(**base)  # type: ignore[arg-type]


def make_alert(destination: str, *, key: str = "guid-1", lead: str = "The GPU is fast.",
               options: dict[str, str] | None = None) -> Alert:
    item = Item(source="numerama", key=key, url=f"https://example.org/{key}",
                title=f"Nvidia H100 ({key})", summary_text=lead, content_text="", lead=lead,
                published=datetime(2025, 3, 1, 9, 30, tzinfo=UTC), language="en")
    return Alert(item=item, subscription="gpu-news", destination=destination, topics=("gpu",),
                 topic_names=("GPUs",), matched_terms=("GPU",), lead_highlights=((4, 7),),
                 options=SubscriptionOptions.parse(options or {}))


@pytest.fixture
async def adapter(fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    a = DiscordAdapter(settings=settings_for(fake))
    yield a
    await a.close()


# -- posting as the bot ----------------------------------------------------------------


async def test_alert_arrives_as_a_valid_embed(fake: FakeDiscord, guild: FakeGuild,
                                              adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    message_id = await adapter.destination(channel).send(make_alert(f"discord:{channel}"))
    (msg,) = fake.messages(channel)
    assert msg["id"] == message_id
    assert msg["author"]["id"] == fake.application_id
    (embed,) = msg["embeds"]
    assert embed["title"] == "Nvidia H100 (guid-1)"
    assert embed["url"] == "https://example.org/guid-1"
    assert embed["description"] == "The **GPU** is fast."
    assert embed["author"]["name"] == "numerama"
    assert msg["mention_everyone"] is False and msg["mention_roles"] == []
    # Sent with Discord's exact auth header and JSON body.
    method, path, headers, body = fake.requests[-1]
    assert (method, path) == ("POST", f"/api/v10/channels/{channel}/messages")
    assert headers["Authorization"] == f"Bot {fake.token}"
    assert body["enforce_nonce"] is True and len(body["nonce"]) <= 25


async def test_an_outsized_alert_is_cut_to_fit(fake: FakeDiscord, guild: FakeGuild,
                                               adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    words = "**GPU** [x](https://e.org) @everyone <#123456789012345678> " * 300
    item = Item(source=words, key="big", url="https://example.org/" + "a" * 3000, title=words,
                summary_text=words, content_text="", lead=words, published=None,
                language=None, image="javascript:alert(1)")
    alert = Alert(item=item, subscription=words, destination=f"discord:{channel}",
                  topics=tuple(f"t{i}" for i in range(50)), topic_names=(words,) * 50,
                  matched_terms=(words,) * 50, lead_highlights=((0, 10**6),))
    await adapter.destination(channel).send(alert)
    (msg,) = fake.messages(channel)
    embed = msg["embeds"][0]
    assert len(embed["description"]) <= 4096 and embed["description"].endswith("…")
    assert "url" not in embed and "thumbnail" not in embed
    assert msg["mention_everyone"] is False


async def test_feed_everyone_pings_no_one(fake: FakeDiscord, guild: FakeGuild,
                                          adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    alert = make_alert(f"discord:{channel}", lead="@everyone look <@&412345678901234567>")
    await adapter.destination(channel).send(alert)
    (msg,) = fake.messages(channel)
    assert msg["mention_everyone"] is False
    assert msg["mention_roles"] == [] and msg["mentions"] == []
    assert "@everyone" not in msg["embeds"][0]["description"]


async def test_the_subscription_role_is_pinged(fake: FakeDiscord, guild: FakeGuild,
                                               adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    role = fake.role_id(guild, "gpu-fans")
    alert = make_alert(f"discord:{channel}", lead="@everyone", options={"mention": role})
    await adapter.destination(channel).send(alert)
    (msg,) = fake.messages(channel)
    assert msg["mention_roles"] == [role]
    assert msg["mention_everyone"] is False


async def test_a_resent_alert_is_not_duplicated(fake: FakeDiscord, guild: FakeGuild,
                                                adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    dest = adapter.destination(channel)
    alert = make_alert(f"discord:{channel}")
    first = await dest.send(alert)
    second = await dest.send(alert)
    other = await dest.send(make_alert(f"discord:{channel}", key="guid-2"))
    assert first == second != other
    assert len(fake.messages(channel)) == 2
    assert alert_nonce(alert) != alert_nonce(make_alert(f"discord:{channel}", key="guid-2"))
    assert alert_nonce(alert) != alert_nonce(make_alert("discord:1"))


async def test_a_429_storm_delays_but_loses_nothing(fake: FakeDiscord, guild: FakeGuild,
                                                    adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    dest = adapter.destination(channel)
    fake.fail_next(channel, 429, count=3, retry_after=0.05)
    sent = await asyncio.gather(*(dest.send(make_alert(f"discord:{channel}", key=f"k{i}"))
                                  for i in range(5)))
    assert len(set(sent)) == 5
    assert sorted(m["id"] for m in fake.messages(channel)) == sorted(str(s) for s in sent)
    posts = [r for r in fake.requests if r[0] == "POST"]
    assert len(posts) == 5 + 3


async def test_a_long_rate_limit_goes_back_to_the_outbox(fake: FakeDiscord, guild: FakeGuild,
                                                         adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    fake.fail_next(channel, 429, retry_after=120.0)
    with pytest.raises(DeliveryError) as info:
        await adapter.destination(channel).send(make_alert(f"discord:{channel}"))
    assert info.value.transient is True
    assert info.value.retry_after == 120.0
    assert fake.messages(channel) == []


async def test_a_429_without_via_is_transient(fake: FakeDiscord, guild: FakeGuild,
                                              adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    fake.fail_next(channel, 429, retry_after=7, via=False)
    with pytest.raises(DeliveryError) as info:
        await adapter.destination(channel).send(make_alert(f"discord:{channel}"))
    assert info.value.transient is True
    assert info.value.retry_after == 7.0


async def test_server_errors(fake: FakeDiscord, guild: FakeGuild,
                             adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    dest = adapter.destination(channel)
    # discord.py retries a 500 by itself (after a second): nothing is lost.
    fake.fail_next(channel, 500)
    await dest.send(make_alert(f"discord:{channel}", key="a"))
    assert len(fake.messages(channel)) == 1
    # A 503 comes back to the outbox as transient.
    fake.fail_next(channel, 503)
    with pytest.raises(DeliveryError) as info:
        await dest.send(make_alert(f"discord:{channel}", key="b"))
    assert info.value.transient is True
    assert "503" in info.value.message


async def test_missing_access_is_permanent_and_plain(fake: FakeDiscord, guild: FakeGuild,
                                                     adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[1]
    fake.forbid(channel)
    with pytest.raises(DeliveryError) as info:
        await adapter.destination(channel).send(make_alert(f"discord:{channel}"))
    assert info.value.transient is False
    assert info.value.message == f"the bot cannot post in channel {channel} (Missing Access)"
    assert str(info.value).startswith(f"discord:{channel}: ")


async def test_unknown_channel_is_permanent(fake: FakeDiscord, guild: FakeGuild,
                                            adapter: DiscordAdapter) -> None:
    channel = "123456789012345678"
    with pytest.raises(DeliveryError) as info:
        await adapter.destination(channel).send(make_alert(f"discord:{channel}"))
    assert info.value.transient is False
    assert "Unknown Channel" in info.value.message


async def test_bad_token_is_permanent_and_never_shown(
        fake: FakeDiscord, guild: FakeGuild, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong.TOKEN-123456789-secret"
    adapter = DiscordAdapter(settings=settings_for(fake, token=wrong))
    channel = guild.channel_ids[0]
    try:
        with pytest.raises(DeliveryError) as info:
            await adapter.destination(channel).send(make_alert(f"discord:{channel}"))
    finally:
        await adapter.close()
    assert info.value.transient is False
    assert "token" in info.value.message
    assert wrong not in str(info.value)
    assert wrong not in caplog.text
    assert "Bot wrong" not in caplog.text
    assert fake.messages(channel) == []


async def test_the_token_never_reaches_logs_or_errors(
        fake: FakeDiscord, guild: FakeGuild, adapter: DiscordAdapter,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    channel = guild.channel_ids[0]
    dest = adapter.destination(channel)
    await dest.send(make_alert(f"discord:{channel}"))
    fake.forbid(guild.channel_ids[1])
    errors = []
    for target in (guild.channel_ids[1], "123456789012345678"):
        with pytest.raises(DeliveryError) as info:
            await adapter.destination(target).send(make_alert(f"discord:{target}"))
        errors.append(str(info.value))
    assert "discord.http" in caplog.text  # discord.py did log its requests
    assert fake.token not in caplog.text
    assert all(fake.token not in e for e in errors)
    assert fake.token not in repr(adapter.settings)


async def test_no_token_configured(fake: FakeDiscord, guild: FakeGuild) -> None:
    adapter = DiscordAdapter(settings=settings_for(fake, token=None))
    channel = guild.channel_ids[0]
    with pytest.raises(DeliveryError) as info:
        await adapter.destination(channel).send(make_alert(f"discord:{channel}"))
    assert info.value.transient is False
    assert "[discord] token" in info.value.message
    await adapter.close()


async def test_discord_unreachable_is_transient(guild: FakeGuild) -> None:
    async with FakeDiscord() as gone:
        settings = settings_for(gone)
    adapter = DiscordAdapter(settings=settings)
    try:
        with pytest.raises(DeliveryError) as info:
            await adapter.destination("123456789012345678").send(make_alert("discord:1"))
    finally:
        await adapter.close()
    assert info.value.transient is True
    assert "cannot reach Discord" in info.value.message


def test_bad_channel_ids_are_refused(fake: FakeDiscord) -> None:
    adapter = DiscordAdapter(settings=settings_for(fake))
    for bad in ("general", "#news", "", "12", "<#123456789012345678>"):
        with pytest.raises(UnknownDestinationError):
            adapter.destination(bad)


# -- webhooks ----------------------------------------------------------------------------


async def test_webhook_with_username_avatar_and_thread(
        fake: FakeDiscord, guild: FakeGuild, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    channel = guild.channel_ids[0]
    thread = fake.add_thread(guild, channel, "gpu news")
    wid, token, url = fake.add_webhook(channel)
    adapter = DiscordWebhookAdapter(settings=settings_for(
        fake, token=None, webhook_username="Vigie",
        webhook_avatar_url="https://example.org/vigie.png"))
    role = fake.role_id(guild, "gpu-fans")
    try:
        first = await adapter.destination(url).send(make_alert(f"discord-webhook:{url}"))
        second = await adapter.destination(f"{url}?thread_id={thread}").send(
            make_alert("x", key="k2", lead="@everyone", options={"mention": role}))
    finally:
        await adapter.close()
    (in_channel,) = fake.messages(channel)
    (in_thread,) = fake.messages(thread)
    assert (in_channel["id"], in_thread["id"]) == (first, second)
    assert in_channel["webhook_id"] == wid
    assert in_channel["author"]["username"] == "Vigie"
    assert in_channel["avatar_url"] == "https://example.org/vigie.png"
    assert in_channel["embeds"][0]["description"] == "The **GPU** is fast."
    assert in_channel["mention_everyone"] is False
    assert in_thread["mention_roles"] == [role] and in_thread["mention_everyone"] is False
    assert token not in caplog.text


async def test_webhook_on_the_api_base_and_its_errors(fake: FakeDiscord,
                                                      guild: FakeGuild) -> None:
    channel = guild.channel_ids[0]
    wid, token, _ = fake.add_webhook(channel)
    adapter = DiscordWebhookAdapter(settings=settings_for(fake, token=None))
    try:
        await adapter.destination(fake.webhook_url(wid)).send(make_alert("x"))
        assert len(fake.messages(channel)) == 1
        fake.fail_next(wid, 429, count=2, retry_after=0.05)
        await adapter.destination(fake.webhook_url(wid)).send(make_alert("x", key="k2"))
        assert len(fake.messages(channel)) == 2
        bad = f"https://discord.com/api/webhooks/{wid}/{'x' * 68}"
        with pytest.raises(DeliveryError) as info:
            await adapter.destination(bad).send(make_alert("x"))
        assert info.value.transient is False
        assert "x" * 68 not in str(info.value)
        unknown = f"https://discord.com/api/webhooks/123456789012345678/{token}"
        with pytest.raises(DeliveryError) as info:
            await adapter.destination(unknown).send(make_alert("x"))
        assert info.value.transient is False
        assert "Unknown Webhook" in info.value.message
        assert token not in str(info.value)
    finally:
        await adapter.close()


def test_webhook_urls() -> None:
    token = "A" * 68
    assert parse_webhook_url(f"https://discord.com/api/webhooks/123456789012345678/{token}") \
        == (123456789012345678, token, None)
    assert parse_webhook_url(
        f"https://discordapp.com/api/v10/webhooks/123456789012345678/{token}?thread_id="
        "223456789012345678") == (123456789012345678, token, 223456789012345678)
    assert parse_webhook_url(f"http://127.0.0.1:9/api/v10/webhooks/123456789012345678/{token}",
                             "http://127.0.0.1:9/api/v10")[0] == 123456789012345678
    for bad in (f"http://discord.com/api/webhooks/123456789012345678/{token}",
                f"https://evil.example/api/webhooks/123456789012345678/{token}",
                "https://discord.com/api/webhooks/123/abc",
                f"https://discord.com/api/webhooks/123456789012345678/{token}?thread_id=x"):
        with pytest.raises(ValueError) as info:
            parse_webhook_url(bad)
        assert token not in str(info.value)
    assert redact_webhook_url(f"https://discord.com/api/webhooks/123456789012345678/{token}") \
        == "https://discord.com/api/webhooks/123456789012345678/<redacted>"
    adapter = DiscordWebhookAdapter(settings=DiscordSettings())
    with pytest.raises(UnknownDestinationError) as err:
        adapter.destination(f"https://evil.example/api/webhooks/123456789012345678/{token}")
    assert token not in str(err.value)


# -- digests ------------------------------------------------------------------------------


def digest_of(destination: str, keys: list[str], *, kind: DigestKind = "digest",
              options: dict[str, str] | None = None) -> AlertDigest:
    """A digest as the outbox makes it (title, idempotency key), of alerts on two topics."""
    opts = {"digest": "hourly", **(options or {})}
    alerts = []
    for i, key in enumerate(keys):
        a = make_alert(destination, key=key, options=opts)
        if i % 2:
            a = dataclasses.replace(a, topics=("ai",), topic_names=("AI",))
        alerts.append(a)
    return make_digest(kind, "gpu-news", destination, alerts, SubscriptionOptions.parse(opts))


async def test_a_digest_is_one_message_of_embeds_by_topic(
        fake: FakeDiscord, guild: FakeGuild, adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    dest: DigestDestination = adapter.destination(channel)  # checked by mypy
    digest = digest_of(f"discord:{channel}", ["a", "b", "c"])
    message_id = await dest.send_digest(digest)
    (msg,) = fake.messages(channel)
    assert msg["id"] == message_id
    assert msg["content"] == "**Hourly digest: 3 items matched GPUs or AI**"
    assert [e["title"] for e in msg["embeds"]] == ["GPUs (2)", "AI (1)"]
    assert msg["embeds"][0]["description"] == (
        "• [Nvidia H100 (a)](https://example.org/a) · numerama\n"
        "• [Nvidia H100 (c)](https://example.org/c) · numerama")
    assert msg["mention_everyone"] is False and msg["mention_roles"] == []
    # The nonce comes from the outbox's idempotency key, as the plain-text form's would.
    body = fake.requests[-1][3]
    assert body["enforce_nonce"] is True
    assert body["nonce"] == digest_nonce(digest) == alert_nonce(digest_alert(digest))
    # A retry (after a crash before the send was recorded) posts nothing new ...
    assert await dest.send_digest(digest) == message_id
    assert len(fake.messages(channel)) == 1
    # ... while a digest of other items is another message.
    other = digest_of(f"discord:{channel}", ["a", "b", "d"])
    assert digest_nonce(other) != digest_nonce(digest)
    assert await dest.send_digest(other) != message_id
    assert len(fake.messages(channel)) == 2


async def test_a_big_digest_is_cut_to_discords_limits(
        fake: FakeDiscord, guild: FakeGuild, adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    digest = digest_of(f"discord:{channel}", [f"item-{i}-" + "x" * 300 for i in range(200)])
    await adapter.destination(channel).send_digest(digest)
    (msg,) = fake.messages(channel)  # the fake refuses anything over the limits
    lines = [line for e in msg["embeds"] for line in e["description"].split("\n")]
    items = [line for line in lines if line.startswith("• [Nvidia H100 (item-")]
    assert len(items) > 1
    assert lines == [*items, f"… and {200 - len(items)} more"]


async def test_a_digest_pings_only_the_subscription_role(
        fake: FakeDiscord, guild: FakeGuild, adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[0]
    role = fake.role_id(guild, "gpu-fans")
    digest = digest_of(f"discord:{channel}", ["@everyone", "<@&412345678901234567>"],
                       kind="overflow", options={"mention": role})
    await adapter.destination(channel).send_digest(digest)
    (msg,) = fake.messages(channel)
    assert msg["mention_roles"] == [role]
    assert msg["mention_everyone"] is False and msg["mentions"] == []
    assert msg["content"].startswith(f"<@&{role}> **2 more items matched")


async def test_digest_failures_are_mapped_like_alerts(
        fake: FakeDiscord, guild: FakeGuild, adapter: DiscordAdapter) -> None:
    channel = guild.channel_ids[1]
    fake.fail_next(channel, 429, retry_after=120.0)
    with pytest.raises(DeliveryError) as info:
        await adapter.destination(channel).send_digest(digest_of(f"discord:{channel}", ["a"]))
    assert (info.value.transient, info.value.retry_after) == (True, 120.0)
    fake.forbid(channel)
    with pytest.raises(DeliveryError) as info:
        await adapter.destination(channel).send_digest(digest_of(f"discord:{channel}", ["a"]))
    assert info.value.transient is False
    assert info.value.message == f"the bot cannot post in channel {channel} (Missing Access)"
    assert fake.messages(channel) == []


async def test_a_digest_through_a_webhook(fake: FakeDiscord, guild: FakeGuild) -> None:
    channel = guild.channel_ids[0]
    thread = fake.add_thread(guild, channel)
    wid, _, url = fake.add_webhook(channel)
    role = fake.role_id(guild, "gpu-fans")
    adapter = DiscordWebhookAdapter(settings=settings_for(fake, token=None,
                                                          webhook_username="Vigie"))
    try:
        dest: DigestDestination = adapter.destination(
            f"{fake.webhook_url(wid)}?thread_id={thread}")
        digest = digest_of(f"discord-webhook:{url}", ["a", "b"], kind="quiet",
                           options={"mention": role})
        message_id = await dest.send_digest(digest)
        fake.fail_next(wid, 404)
        with pytest.raises(DeliveryError) as info:
            await dest.send_digest(digest)
        assert info.value.transient is False
    finally:
        await adapter.close()
    (msg,) = fake.messages(thread)
    assert msg["id"] == message_id and msg["webhook_id"] == wid
    assert msg["author"]["username"] == "Vigie"
    assert msg["content"] == f"<@&{role}> **2 items matched GPUs or AI during quiet hours**"
    assert [e["title"] for e in msg["embeds"]] == ["GPUs (1)", "AI (1)"]
    assert msg["mention_roles"] == [role] and msg["mention_everyone"] is False


async def test_the_outbox_sends_digests_natively(fake: FakeDiscord, guild: FakeGuild,
                                                 store_url: str) -> None:
    channel = guild.channel_ids[0]
    store = make_store(store_url)
    adapter = DiscordAdapter(settings=settings_for(fake))
    destinations = Destinations(Config(path="t"), adapters={"discord": adapter})
    t0 = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
    now = [t0]
    try:
        await store.migrate()
        alerts = [make_alert(f"discord:{channel}", key=f"k{i}", options={"digest": "hourly"})
                  for i in range(3)]
        await store.save_poll(
            SourceState("numerama", "https://example.org/feed", last_poll=t0,
                        initialised=True),
            [NewItem(a.item, a.topics, (a,)) for a in alerts])
        worker = Deliverer(store, destinations, lambda: now[0], rand=lambda: 0.5)
        assert (await worker.deliver_due()).held == 3
        assert fake.messages(channel) == []
        now[0] = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
        assert (await worker.deliver_due()).sent == 1
    finally:
        await destinations.close()
        await store.close()
    (msg,) = fake.messages(channel)
    assert msg["content"] == "**Hourly digest: 3 items matched GPUs**"
    (embed,) = msg["embeds"]
    assert embed["title"] == "GPUs (3)"
    assert [line.split("](")[0] for line in embed["description"].split("\n")] == [
        f"• [Nvidia H100 (k{i})" for i in range(3)]


# -- through the configuration and the entry points ---------------------------------------


async def test_config_to_entry_point_to_channel(fake: FakeDiscord, guild: FakeGuild) -> None:
    channel = guild.channel_ids[0]
    data = {
        "topics": {"gpu": {"keywords": ["gpu"]}},
        "subscriptions": [{"name": "gpu-news", "topics": ["gpu"],
                           "destination": f"discord:{channel}"}],
        "discord": {"token": "${DISCORD_TOKEN}", "api_base": fake.api_base,
                    "gateway_url": fake.gateway_url, "colors": {"gpu": "#76b900"}},
    }
    validators = section_validators()
    assert "discord" in validators and "discord-webhook" not in validators
    config = validate(data, env={"DISCORD_TOKEN": fake.token},
                      destination_schemes=frozenset({"console", "discord", "discord-webhook"}),
                      section_validators=validators)
    destinations = Destinations(config)
    try:
        await destinations.get(f"discord:{channel}").send(make_alert(f"discord:{channel}"))
    finally:
        await destinations.close()
    (msg,) = fake.messages(channel)
    assert msg["embeds"][0]["color"] == 0x76B900


def test_bad_discord_table_is_a_config_error() -> None:
    data = {"discord": {"token": "Bot SECRETVALUE", "colour": {}}}
    with pytest.raises(ConfigError) as info:
        validate(data, section_validators=section_validators())
    keys = {k for k, _ in info.value.problems}
    assert keys == {"discord.token", "discord.colour"}
    assert "SECRETVALUE" not in str(info.value)


# -- the slash commands (phase 2) ---------------------------------------------------------

ADMIN_ROLE_NAME = "vigie-admins"


class CannedCommandHandler:
    """Test double of the command layer (the real one lives in bot/; the commands
    run through it in tests/test_discord_commands.py): records every call and
    answers with canned replies, so the tests see exactly what the bot sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[Caller, tuple[str, ...], dict[str, object]]] = []
        self.completions: list[tuple[Caller, str, str]] = []
        self.replies: dict[str, Reply] = {}
        self.delay = 0.0
        self.fail = False

    async def handle(self, caller: Caller, text: str) -> Reply:
        raise AssertionError("the Discord bot sends typed options, never a command line")

    async def run(self, caller: Caller, path: Sequence[str],
                  arguments: Mapping[str, object]) -> Reply:
        self.calls.append((caller, tuple(path), dict(arguments)))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the command layer broke")
        return self.replies.get(path[0], Reply.text(f"ok: {' '.join(path)}"))

    async def complete(self, caller: Caller, kind: CompletionKind, prefix: str) -> list[str]:
        self.completions.append((caller, kind, prefix))
        return [t for t in ("gpu", "gpu-ai", "space") if t.startswith(prefix)]


@pytest.fixture
def handler() -> CannedCommandHandler:
    return CannedCommandHandler()


@pytest.fixture
def admin_guild(fake: FakeDiscord) -> FakeGuild:
    return fake.add_guild(channels=["news"], roles=["gpu-fans", ADMIN_ROLE_NAME])


@pytest.fixture
async def discord_bot(fake: FakeDiscord, admin_guild: FakeGuild,
                      handler: CannedCommandHandler) -> AsyncIterator[DiscordBot]:
    settings = settings_for(fake, guilds=(int(admin_guild.id),))
    configure_endpoints(settings.api_base, settings.gateway_url)
    client = DiscordBot(settings, handler, guild_ready_timeout=0.05, defer_after=0.5)
    task = asyncio.create_task(client.start(fake.token))
    async with asyncio.timeout(10):
        await client.ready_event.wait()
    yield client
    await client.close()
    await asyncio.wait_for(task, 10)


def member(**kw: object) -> FakeMember:
    base: dict[str, object] = {"user_id": "712345678901234567", "username": "bob"}
    base.update(kw)
    return FakeMember(**base)  # type: ignore[arg-type]


async def invoke(fake: FakeDiscord, guild: FakeGuild, who: FakeMember, path: list[str],
                 options: dict[str, object] | None = None) -> list[InteractionRecord]:
    payload = fake.command_interaction(guild, guild.channel_ids[0], who, path, options)
    return await fake.inject_interaction(payload)


async def test_commands_are_synced_to_the_configured_guild(
        fake: FakeDiscord, admin_guild: FakeGuild, discord_bot: DiscordBot) -> None:
    ((guild_id, body),) = fake.command_syncs
    assert guild_id == admin_guild.id
    by_name = {c["name"]: c for c in body}
    assert set(by_name) == {"vigie", "vigie-admin"}
    # Admin commands are hidden from non-admins by default; /vigie is for everyone.
    assert str(by_name["vigie-admin"]["default_member_permissions"]) == str(MANAGE_GUILD)
    assert by_name["vigie"]["default_member_permissions"] is None
    user_subs = {o["name"] for o in by_name["vigie"]["options"]}
    assert user_subs == {"subscribe", "unsubscribe", "list", "recent", "search", "topics",
                         "status", "help"}
    admin_subs = {o["name"]: o for o in by_name["vigie-admin"]["options"]}
    assert set(admin_subs) == {"keywords", "topic", "exclude", "sources", "digest", "quiet",
                               "resume", "limit", "audit"}
    assert {o["name"] for o in admin_subs["sources"]["options"]} == {"add", "remove", "list",
                                                                     "test"}
    # Options are typed: hours is a bounded integer, mention a role, topics autocomplete.
    recent = next(o for o in by_name["vigie"]["options"] if o["name"] == "recent")
    hours = next(o for o in recent["options"] if o["name"] == "hours")
    assert (hours["type"], hours["min_value"], hours["max_value"]) == (4, 1, 24 * 365)
    subscribe = next(o for o in by_name["vigie"]["options"] if o["name"] == "subscribe")
    assert [(o["name"], o["type"], o.get("required", False), o.get("autocomplete", False))
            for o in subscribe["options"]] == [("target", 3, True, True),
                                                ("limit", 3, False, False),
                                                ("digest", 3, False, False),
                                                ("quiet", 3, False, False),
                                                ("tz", 3, False, False),
                                                ("mention", 8, False, False)]
    assert discord_bot.synced == [(int(admin_guild.id), 2)]


async def test_subscribe_reaches_the_command_layer(
        fake: FakeDiscord, admin_guild: FakeGuild, discord_bot: DiscordBot,
        handler: CannedCommandHandler) -> None:
    role = fake.role_id(admin_guild, "gpu-fans")
    who = member(roles=(role,), permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
    (answer,) = await invoke(fake, admin_guild, who, ["vigie", "subscribe"],
                             {"target": 'gpu  AND "h100 sxm"', "mention": role,
                              "limit": "10/h", "tz": "Europe/Paris"})
    ((caller, path, arguments),) = handler.calls
    # Typed values, as Discord sent them (a role by its id): no command line is rebuilt.
    assert path == ("subscribe",)
    assert arguments == {"target": 'gpu  AND "h100 sxm"', "mention": role, "limit": "10/h",
                         "tz": "Europe/Paris"}
    channel = admin_guild.channel_ids[0]
    assert caller == Caller(platform="discord", workspace=admin_guild.id, channel=channel,
                            user=who.user_id, user_name="Bob", is_platform_admin=True,
                            roles=(role,), destination=f"discord:{channel}")
    # subscribe is an admin command: its answer is private, like the command layer's.
    assert answer.type == 4 and answer.ephemeral
    assert answer.data["content"] == escape("ok: subscribe")  # feed-safe, as shown
    assert answer.data["allowed_mentions"] == {"parse": []}


async def test_admin_subcommand_for_a_server_manager(
        fake: FakeDiscord, admin_guild: FakeGuild, discord_bot: DiscordBot,
        handler: CannedCommandHandler) -> None:
    (answer,) = await invoke(fake, admin_guild, member(permissions=MANAGE_GUILD),
                             ["vigie-admin", "keywords", "add"],
                             {"topic": "gpu", "phrase": "h100 sxm"})
    ((caller, path, arguments),) = handler.calls
    assert (path, arguments) == (("keywords", "add"), {"topic": "gpu", "phrase": "h100 sxm"})
    assert caller.is_platform_admin is True
    assert answer.ephemeral  # admin answers are private


async def test_members_reach_the_command_layer_which_checks_admins(
        fake: FakeDiscord, admin_guild: FakeGuild, discord_bot: DiscordBot,
        handler: CannedCommandHandler) -> None:
    # The bot does not judge who is an admin: the command layer does, for every
    # platform alike (refusals through the real one: tests/test_discord_commands.py).
    role = fake.role_id(admin_guild, ADMIN_ROLE_NAME)
    await invoke(fake, admin_guild, member(roles=(role,)), ["vigie-admin", "audit"],
                 {"limit": 3})
    await invoke(fake, admin_guild, member(), ["vigie-admin", "sources", "add"],
                 {"source": "https://e.org/feed"})
    (admin_role, plain) = handler.calls
    assert admin_role[1:] == (("audit",), {"limit": 3})
    assert (admin_role[0].is_platform_admin, admin_role[0].roles) == (False, (role,))
    assert plain[1:] == (("sources", "add"), {"source": "https://e.org/feed"})
    assert plain[0].is_platform_admin is False


async def test_recent_answers_with_one_paged_message(
        fake: FakeDiscord, admin_guild: FakeGuild, discord_bot: DiscordBot,
        handler: CannedCommandHandler) -> None:
    cards = tuple(ItemCard(title=f"Item {i} @everyone", url=f"https://e.org/{i}", source="src",
                           published=datetime(2025, 1, 1, tzinfo=UTC), topics=("GPUs",),
                           summary="GPU news") for i in range(12))
    handler.replies["recent"] = Reply((Heading("Recent items"), *cards))
    (answer,) = await invoke(fake, admin_guild, member(), ["vigie", "recent"],
                             {"target": "gpu", "hours": 48})
    assert handler.calls[0][1:] == (("recent",), {"target": "gpu", "hours": 48})
    # Ten embeds and the buttons to the rest, in one message (tests/test_discord_pages.py).
    assert answer.kind == "callback" and len(answer.data["embeds"]) == 10
    assert answer.data["content"] == "**Recent items**\n\nPage 1/2"
    assert [b["label"] for b in answer.data["components"][0]["components"]] == [
        "Previous", "Next"]
    assert answer.data["embeds"][0]["title"] == "Item 0 @\u200beveryone"
    assert not answer.ephemeral


async def test_errors_from_the_command_layer_are_private(
        fake: FakeDiscord, admin_guild: FakeGuild, discord_bot: DiscordBot,
        handler: CannedCommandHandler) -> None:
    handler.replies["recent"] = Reply.error("No topic 'nope' in this workspace.")
    (answer,) = await invoke(fake, admin_guild, member(), ["vigie", "recent"],
                             {"target": "nope"})
    assert answer.ephemeral
    assert answer.data["content"] == "No topic 'nope' in this workspace."


async def test_unexpected_exceptions_get_an_apology_and_a_log(
        fake: FakeDiscord, admin_guild: FakeGuild, discord_bot: DiscordBot,
        handler: CannedCommandHandler, caplog: pytest.LogCaptureFixture) -> None:
    handler.fail = True
    (answer,) = await invoke(fake, admin_guild, member(), ["vigie", "status"])
    assert answer.ephemeral and answer.data["content"].startswith("Sorry, something went wrong")
    record = next(r for r in caplog.records if r.name == "adapters.discord.bot")
    assert "vigie status" in record.getMessage() and admin_guild.id in record.getMessage()
    assert record.exc_info is not None and "the command layer broke" in str(record.exc_info[1])


async def test_slow_commands_are_deferred(
        fake: FakeDiscord, admin_guild: FakeGuild, discord_bot: DiscordBot,
        handler: CannedCommandHandler) -> None:
    handler.delay = 0.8
    answers = await invoke(fake, admin_guild, member(), ["vigie", "search"],
                           {"query": "gpu", "limit": 2})
    assert [(a.kind, a.type) for a in answers] == [("callback", 5), ("followup", None)]
    assert answers[1].data["content"] == "ok: search"
    assert handler.calls[0][1:] == (("search",), {"query": "gpu", "limit": 2})
    # A slow error behind a public "thinking…" replaces it with a private message.
    handler.replies["search"] = Reply.error("Bad query.")
    answers = await invoke(fake, admin_guild, member(), ["vigie", "search"], {"query": "("})
    assert [(a.kind, a.ephemeral) for a in answers] == [("callback", False), ("followup", True)]


async def test_autocomplete_asks_the_command_layer(
        fake: FakeDiscord, admin_guild: FakeGuild, discord_bot: DiscordBot,
        handler: CannedCommandHandler) -> None:
    payload = fake.command_interaction(admin_guild, admin_guild.channel_ids[0], member(),
                                       ["vigie", "subscribe"], {"target": "gp"},
                                       focused="target")
    (answer,) = await fake.inject_interaction(payload)
    assert answer.type == 8
    assert answer.data["choices"] == [{"name": "gpu", "value": "gpu"},
                                      {"name": "gpu-ai", "value": "gpu-ai"}]
    ((_, kind, prefix),) = handler.completions
    assert (kind, prefix) == ("topic", "gp")
    assert handler.calls == []


async def test_start_discord_runs_until_stopped(
        fake: FakeDiscord, admin_guild: FakeGuild, handler: CannedCommandHandler,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    data = {"discord": {"token": fake.token, "api_base": fake.api_base,
                        "gateway_url": fake.gateway_url}}
    config = validate(data, section_validators=section_validators())
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(start_discord(config, handler, stop, ready=ready,
                                             guild_ready_timeout=0.05))
    async with asyncio.timeout(10):
        await ready.wait()
    # Synced globally when no guild is configured.
    assert [g for g, _ in fake.command_syncs] == [None]
    (answer,) = await invoke(fake, admin_guild, member(), ["vigie", "topics"])
    assert handler.calls[0][1] == ("topics",)
    assert answer.data["content"] == "ok: topics"
    stop.set()
    await asyncio.wait_for(task, 10)
    # Neither the bot token nor the interaction's token reached the logs.
    assert "discord.gateway" in caplog.text and "/callback" in caplog.text
    assert fake.token not in caplog.text
    token = next(r[1] for r in fake.requests if r[1].endswith("/callback?with_response=1"))
    assert token.split("/")[-2] not in caplog.text


async def test_start_discord_with_a_refused_token(fake: FakeDiscord,
                                                  handler: CannedCommandHandler) -> None:
    data = {"discord": {"token": "not-the-token", "api_base": fake.api_base,
                        "gateway_url": fake.gateway_url}}
    config = validate(data, section_validators=section_validators())
    with pytest.raises(ConfigError) as info:
        await asyncio.wait_for(start_discord(config, handler, asyncio.Event()), 10)
    assert info.value.problems == [("discord.token", "Discord refused the token")]
    assert "not-the-token" not in str(info.value)
