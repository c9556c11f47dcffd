"""Every Discord subcommand builds a line the real command layer accepts.

The slash commands are typed options; :func:`adapters.discord.bot.command_line`
turns them into the command layer's grammar (``bot/commands/_help.py``). Here
each subcommand's line runs through the real :class:`CommandLayer` on a real
store, in an order where every command can succeed, so a flag the layer does
not know, a value split in two or a missing argument shows up as an error reply.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from feedserver import FeedServer

from adapters.discord.bot import COMMANDS, Subcommand, command_line
from bot._destinations import section_validators
from bot.app import make_vigie
from bot.chat import Caller
from bot.commands import COMMAND_HELP, CommandLayer
from bot.config import validate

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>
<link>https://news.example/</link><item><title>Nvidia GPU news</title>
<link>https://news.example/1</link><guid>n1</guid><description>GPU.</description></item>
</channel></rss>"""

ROLE = "512345678901234567"


def spec(*path: str) -> Subcommand:
    return next(s for s in COMMANDS if s.path == path)


#: (subcommand path, the options Discord sends, the line the command layer gets),
#: in an order where each command can succeed on the state the previous ones left.
SCRIPT: list[tuple[tuple[str, ...], dict[str, Any], str]] = [
    (("help",), {"command": "subscribe"}, "help subscribe"),
    (("topics",), {}, "topics"),
    (("subscribe",), {"target": "gpu", "limit": "10/h", "digest": "daily@08:30",
                      "quiet": "22:00-07:00", "tz": "Europe/Paris",
                      "mention": discord.Object(int(ROLE))},
     f"subscribe gpu --limit 10/h --digest daily@08:30 --quiet 22:00-07:00 --tz Europe/Paris "
     f"--mention {ROLE}"),
    (("subscribe",), {"target": '"IA générative" OR (GPU Nvidia) -crypto'},
     'subscribe "IA générative" OR (GPU Nvidia) -crypto'),
    (("list",), {}, "list"),
    (("recent",), {}, "recent"),
    (("recent",), {"target": "gpu", "hours": 48, "limit": 3}, "recent gpu --hours 48 --limit 3"),
    (("recent",), {"target": "Musk xAI", "limit": 25}, "recent Musk xAI --limit 25"),
    (("search",), {"query": '"IA générative" -crypto', "hours": 72},
     'search "IA générative" -crypto --hours 72'),
    (("status",), {}, "status"),
    (("keywords", "add"), {"topic": "gpu", "phrase": "h100 sxm"}, 'keywords add gpu "h100 sxm"'),
    (("keywords", "remove"), {"topic": "gpu", "phrase": "h100 sxm"},
     'keywords remove gpu "h100 sxm"'),
    (("topic", "create"), {"topic_id": "quantum", "name": "Informatique quantique"},
     'topic create quantum "Informatique quantique"'),
    (("keywords", "add"), {"topic": "quantum", "phrase": "qubit*"}, "keywords add quantum qubit*"),
    (("exclude", "add"), {"topic": "quantum", "phrase": 'le "bit" --quantique'},
     'exclude add quantum «le "bit" --quantique»'),
    (("exclude", "remove"), {"topic": "quantum", "phrase": 'le "bit" --quantique'},
     'exclude remove quantum «le "bit" --quantique»'),
    (("topic", "delete"), {"topic_id": "quantum"}, "topic delete quantum"),
    (("sources", "add"), {"url": "{feed}", "name": "extra", "interval": "15m"},
     "sources add {feed} extra --interval 15m"),
    (("sources", "list"), {}, "sources list"),
    (("sources", "test"), {"source": "extra"}, "sources test extra"),
    (("sources", "remove"), {"source": "extra"}, "sources remove extra"),
    (("digest",), {"subscription": "#1", "schedule": "hourly", "tz": "Europe/Paris"},
     "digest #1 hourly --tz Europe/Paris"),
    (("quiet",), {"subscription": "#1", "window": "23:00-06:30", "tz": "America/New_York"},
     "quiet #1 23:00-06:30 --tz America/New_York"),
    (("limit",), {"subscription": "#1", "rate": "3/10m"}, "limit #1 3/10m"),
    (("limit",), {"subscription": "#1", "rate": "off"}, "limit #1 off"),
    (("resume",), {"subscription": "#1"}, "resume #1"),
    (("list",), {"all": True}, "list --all"),
    (("audit",), {"limit": 100}, "audit --limit 100"),
    (("unsubscribe",), {"target": "#2"}, "unsubscribe #2"),
    (("unsubscribe",), {"target": "gpu"}, "unsubscribe gpu"),
]


def test_every_subcommand_is_scripted_and_named_after_a_command() -> None:
    assert {s.path for s in COMMANDS} == {path for path, _, _ in SCRIPT}
    assert {s.path[0] for s in COMMANDS} == set(COMMAND_HELP)


def test_flags_are_the_command_layers_options() -> None:
    for name, help_ in COMMAND_HELP.items():
        flags = {o.flag for s in COMMANDS if s.path[0] == name for o in s.options if o.flag}
        assert flags == set(re.findall(r"--[a-z]+", help_.usage)), name


def test_admin_subcommands_are_the_command_layers_admin_commands() -> None:
    for s in COMMANDS:
        assert s.admin == COMMAND_HELP[s.path[0]].admin, s.path
    # subscribe and unsubscribe stay beside list and recent, checked by the bot.
    assert {s.path for s in COMMANDS if s.group == "vigie" and s.admin} == {
        ("subscribe",), ("unsubscribe",)}


@pytest.fixture
async def layer(tmp_path: Any) -> AsyncIterator[tuple[CommandLayer, str]]:
    async with FeedServer() as srv:
        srv.add("/feed.xml", RSS)
        srv.add("/extra.xml", RSS)
        config = validate({
            "storage": {"url": f"sqlite:///{tmp_path / 'vigie.db'}"},
            "fetch": {"allow_private_addresses": True},
            "sources": [{"name": "news", "url": srv.url("/feed.xml")}],
            "topics": {"gpu": {"name": "GPU", "keywords": ["GPU"], "editable": True},
                       "musk": {"name": "Musk", "keywords": ["Musk"]}},
        }, env={}, section_validators=section_validators())
        async with make_vigie(config) as vigie:
            yield CommandLayer(vigie), srv.url("/extra.xml")


async def test_every_line_is_accepted_by_the_command_layer(
        layer: tuple[CommandLayer, str]) -> None:
    commands, feed = layer
    admin = Caller("discord", "412345678901234567", "612345678901234567", "712345678901234567",
                   "Ada", is_platform_admin=True,
                   destination="discord:612345678901234567")
    for path, values, expected in SCRIPT:
        values = {k: v.replace("{feed}", feed) if isinstance(v, str) else v
                  for k, v in values.items()}
        line = command_line(spec(*path), values)
        assert line == expected.replace("{feed}", feed)
        reply = await commands.handle(admin, line)
        assert not reply.is_error, (line, reply.plain_text())
