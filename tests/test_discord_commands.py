"""Discord's slash commands are the core's declarations, and reach the real command layer.

The bot (the real discord.py client, against the local fake Discord) builds
its command tree from :data:`bot.commands.COMMANDS`; the tests compare what it
synced with the declarations, then run every subcommand as a member would,
through the real :class:`bot.commands.CommandLayer` on a real store: the
typed options arrive as typed arguments, are checked by the core (admins
included), and every scripted command succeeds in order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

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
from feedserver import FeedServer

from adapters.discord import DiscordSettings
from adapters.discord.bot import DiscordBot
from adapters.discord.commands import TOP_LEVEL
from adapters.discord.settings import configure_endpoints
from bot._destinations import section_validators
from bot.app import Vigie, make_command_layer, make_vigie
from bot.chat import Caller, CompletionKind
from bot.commands import COMMANDS, Choice, Command, CommandLayer, Flag, Int, Param, RoleId
from bot.config import validate
from bot.replies import Reply

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>
<link>https://news.example/</link><item><title>Nvidia GPU news</title>
<link>https://news.example/1</link><guid>n1</guid><description>GPU.</description></item>
</channel></rss>"""

ADMIN_ROLE = "vigie-admins"
ADMIN = FakeMember("712345678901234567", "ada", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
MEMBER = FakeMember("812345678901234567", "bob")

#: (subcommand path, the options Discord sends), in an order where each command
#: can succeed on the state the previous ones left. "{feed}" is the extra feed's
#: URL, "{role}" a role of the guild.
SCRIPT: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("help",), {"command": "subscribe"}),
    (("topics",), {}),
    (("subscribe",), {"target": "gpu", "limit": "10/h", "digest": "daily@08:30",
                      "quiet": "22:00-07:00", "tz": "Europe/Paris", "mention": "{role}"}),
    (("subscribe",), {"target": '"IA générative" OR (GPU Nvidia) -crypto'}),
    (("list",), {}),
    (("recent",), {}),
    (("recent",), {"target": "gpu", "hours": 48, "limit": 3}),
    (("recent",), {"target": "Musk xAI", "limit": 25}),
    (("search",), {"query": '"IA générative" -crypto', "hours": 24 * 365}),
    (("status",), {}),
    (("keywords", "add"), {"topic": "gpu", "phrase": "h100 sxm"}),
    (("keywords", "remove"), {"topic": "gpu", "phrase": "h100 sxm"}),
    (("topic", "create"), {"topic_id": "quantum", "name": "Informatique quantique"}),
    (("keywords", "add"), {"topic": "quantum", "phrase": "qubit*"}),
    # Quotes and leading dashes are plain text in a typed value.
    (("exclude", "add"), {"topic": "quantum", "phrase": 'le "bit" --quantique'}),
    (("exclude", "remove"), {"topic": "quantum", "phrase": 'le "bit" --quantique'}),
    (("topic", "delete"), {"topic_id": "quantum"}),
    (("sources", "add"), {"source": "{feed}", "what": "extra", "interval": "15m"}),
    (("sources", "list"), {}),
    (("sources", "test"), {"source": "extra"}),
    (("sources", "remove"), {"source": "extra"}),
    (("digest",), {"subscription": "#1", "schedule": "hourly", "tz": "Europe/Paris"}),
    (("quiet",), {"subscription": "#1", "window": "23:00-06:30", "tz": "America/New_York"}),
    (("limit",), {"subscription": "#1", "rate": "3/10m"}),
    (("limit",), {"subscription": "#1", "rate": "off"}),
    (("resume",), {"subscription": "#1"}),
    (("list",), {"all": True}),
    (("audit",), {"limit": 100}),
    (("unsubscribe",), {"target": "#2"}),
    (("unsubscribe",), {"target": "gpu"}),
]


@pytest.fixture
def guild(fake: FakeDiscord) -> FakeGuild:
    return fake.add_guild(channels=["news"], roles=["gpu-fans", ADMIN_ROLE])


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        srv.add("/feed.xml", RSS)
        srv.add("/extra.xml", RSS)
        yield srv


@pytest.fixture
async def vigie(fake: FakeDiscord, guild: FakeGuild, feeds: FeedServer, tmp_path: Path
                ) -> AsyncIterator[Vigie]:
    config = validate({
        "storage": {"url": f"sqlite:///{tmp_path / 'vigie.db'}"},
        "fetch": {"allow_private_addresses": True},
        "sources": [{"name": "news", "url": feeds.url("/feed.xml")}],
        "topics": {"gpu": {"name": "GPU", "keywords": ["GPU"], "editable": True},
                   "musk": {"name": "Musk", "keywords": ["Musk"]}},
        "discord": {"token": fake.token, "admin_roles": [fake.role_id(guild, ADMIN_ROLE)]},
    }, env={}, section_validators=section_validators())
    async with make_vigie(config) as v:
        yield v


class Recorded:
    """The real command layer, keeping each reply it gave (Discord shows an error
    reply as plain text, so the tests read ``is_error`` here)."""

    def __init__(self, layer: CommandLayer) -> None:
        self.layer = layer
        self.runs: list[tuple[tuple[str, ...], dict[str, object], Reply]] = []

    async def handle(self, caller: Caller, text: str) -> Reply:
        raise AssertionError("the Discord bot sends typed options, never a command line")

    async def run(self, caller: Caller, path: Sequence[str],
                  arguments: Mapping[str, object]) -> Reply:
        reply = await self.layer.run(caller, path, arguments)
        self.runs.append((tuple(path), dict(arguments), reply))
        return reply

    async def complete(self, caller: Caller, kind: CompletionKind, prefix: str) -> list[str]:
        return await self.layer.complete(caller, kind, prefix)


@pytest.fixture
def layer(vigie: Vigie) -> Recorded:
    return Recorded(make_command_layer(vigie))


@pytest.fixture
async def bot(fake: FakeDiscord, guild: FakeGuild, layer: Recorded
              ) -> AsyncIterator[DiscordBot]:
    settings = DiscordSettings(token=fake.token, api_base=fake.api_base,
                               gateway_url=fake.gateway_url, guilds=(int(guild.id),))
    configure_endpoints(settings.api_base, settings.gateway_url)
    client = DiscordBot(settings, layer, guild_ready_timeout=0.05)
    task = asyncio.create_task(client.start(fake.token))
    async with asyncio.timeout(10):
        await client.ready_event.wait()
    yield client
    await client.close()
    await asyncio.wait_for(task, 10)


async def slash(fake: FakeDiscord, guild: FakeGuild, who: FakeMember, command: Command,
                options: dict[str, Any]) -> InteractionRecord:
    payload = fake.command_interaction(guild, guild.channel_ids[0], who,
                                       [TOP_LEVEL[command.listing], *command.path], options)
    (answer,) = await fake.inject_interaction(payload, timeout=15)
    return answer


def declared(*path: str) -> Command:
    command = COMMANDS.get(path)
    assert command is not None, path
    return command


# -- the tree is the declarations ---------------------------------------------------------

#: Discord's option type of each kind of parameter.
def option_type(param: Param) -> int:
    if isinstance(param, Int):
        return 4
    if isinstance(param, Flag):
        return 5
    if isinstance(param, RoleId):
        return 8
    return 3


async def test_the_synced_tree_is_the_declarations(fake: FakeDiscord, guild: FakeGuild,
                                                   bot: DiscordBot) -> None:
    ((_, body),) = fake.command_syncs
    top = {c["name"]: c for c in body}
    assert set(top) == {"vigie", "vigie-admin"}
    found = 0
    for command in COMMANDS:
        node = top[TOP_LEVEL[command.listing]]
        for word in command.path:
            node = next(o for o in node["options"] if o["name"] == word)
        found += 1
        assert node["type"] == 1 and node["description"] == command.summary, command.name
        options = node.get("options") or []
        assert [o["name"] for o in options] == [p.name for p in command.params], command.name
        for option, param in zip(options, command.params, strict=True):
            where = f"{command.name} {param.name}"
            assert option["description"] == param.description, where
            assert option["type"] == option_type(param), where
            assert option.get("required", False) == param.required, where
            assert option.get("autocomplete", False) == (param.complete is not None), where
            if isinstance(param, Int):
                assert (option["min_value"], option["max_value"]) == (
                    param.minimum, param.maximum), where
            elif isinstance(param, Choice):
                assert [c["value"] for c in option["choices"]] == list(param.choices), where
            elif option["type"] == 3:
                assert option["max_length"] == param.max_length, where
    # Nothing else: a leaf per declared command.
    leaves = sum(1 for c in body for o in c["options"]
                 for leaf in ([o] if o["type"] == 1 else o["options"]))
    assert found == leaves == len(COMMANDS)
    # The groups' descriptions are the declared ones.
    admin = {o["name"]: o for o in top["vigie-admin"]["options"]}
    group = COMMANDS.group_of("keywords")
    assert group is not None and admin["keywords"]["description"] == group.summary
    # help proposes every command as a choice.
    help_ = next(o for o in top["vigie"]["options"] if o["name"] == "help")
    assert [c["value"] for c in help_["options"][0]["choices"]] == list(COMMANDS.names)


def test_every_command_is_scripted() -> None:
    assert {c.path for c in COMMANDS} == {path for path, _ in SCRIPT}


# -- interactions reach the real command layer with typed values ---------------------------


async def test_every_command_succeeds_through_discord(
        fake: FakeDiscord, guild: FakeGuild, feeds: FeedServer, vigie: Vigie,
        layer: Recorded, bot: DiscordBot) -> None:
    role = fake.role_id(guild, "gpu-fans")
    feed = feeds.url("/extra.xml")
    for path, options in SCRIPT:
        values = {k: v.replace("{feed}", feed).replace("{role}", role)
                  if isinstance(v, str) else v for k, v in options.items()}
        answer = await slash(fake, guild, ADMIN, declared(*path), values)
        ran_path, arguments, reply = layer.runs[-1]
        # The options arrive typed, as sent (a role as its id), and succeed.
        assert (ran_path, arguments) == (path, values)
        assert not reply.is_error, (path, reply.plain_text())
        assert answer.ephemeral == declared(*path).admin or reply.ephemeral, path
    assert len(layer.runs) == len(SCRIPT)
    assert vigie.chat is not None
    audit = await vigie.chat.audit_log(f"discord:{guild.id}", 100)
    subscribed = next(e for e in reversed(audit) if e.action == "subscribe")
    assert f'"mention": "{role}"' in (subscribed.new_value or "")
    excluded = next(e for e in audit if e.action == "exclude add")
    assert json.loads(excluded.new_value or "") == ['le "bit" --quantique']


async def test_admin_commands_are_refused_to_members_by_the_core(
        fake: FakeDiscord, guild: FakeGuild, vigie: Vigie, bot: DiscordBot) -> None:
    assert vigie.chat is not None
    for path, options in [(("subscribe",), {"target": "gpu"}),
                          (("unsubscribe",), {"target": "gpu"}),
                          (("sources", "add"), {"source": "https://e.org/feed"}),
                          (("list",), {"all": True})]:
        answer = await slash(fake, guild, MEMBER, declared(*path), options)
        assert answer.ephemeral, path
        assert answer.data["content"].startswith("only admins can use"), answer.data
        assert "Nothing was changed" in answer.data["content"]
    assert (await vigie.chat.load()).version == 0
    # A member with the configured admin role is an admin for the core.
    with_role = FakeMember("912345678901234567", "eve",
                           roles=(fake.role_id(guild, ADMIN_ROLE),))
    answer = await slash(fake, guild, with_role, declared("subscribe"), {"target": "gpu"})
    assert answer.ephemeral and "Subscribed this channel to topic GPU" in answer.data["content"]


async def test_bad_typed_values_get_the_cores_clear_errors(
        fake: FakeDiscord, guild: FakeGuild, vigie: Vigie, bot: DiscordBot) -> None:
    answer = await slash(fake, guild, ADMIN, declared("subscribe"),
                         {"target": "gpu", "tz": "Europe"})
    assert answer.ephemeral and "'Europe' is not an IANA time zone" in answer.data["content"]
    answer = await slash(fake, guild, ADMIN, declared("keywords", "add"),
                         {"topic": "gpu", "phrase": "***"})
    assert "the phrase has no letters or digits" in answer.data["content"]
    # Bounds are Discord's too: its client refuses what the core would.
    with pytest.raises(ValueError, match="out of its bounds"):
        await slash(fake, guild, ADMIN, declared("recent"), {"hours": 24 * 365 + 1})
