"""``vigie run`` on Discord, end to end: the real CLI process and the real discord.py
client, driven only through the local fake Discord's REST API and gateway.

The test starts a :class:`FakeDiscord` and a :class:`FeedServer` in its own
event loop, writes a configuration whose ``[discord]`` table points
``api_base`` and ``gateway_url`` at the fake, and runs ``vigie run`` as a
subprocess (:class:`vigieproc.VigieProcess`). It then plays a server's
members: slash commands are INTERACTION_CREATE events the fake sends through
the gateway, alerts are the messages the process posts in the fake's channel.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from fakes.discord_server import (
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    InteractionRecord,
    pinged,
)
from feedserver import FeedServer
from vigieproc import VigieProcess, until, vigie_config

FOUNDING_TITLE = "Elon Musk a acheté 100 000 GPU pour l’IA générative de Twitter"
FOUNDING_URL = "https://www.numerama.com/tech/musk-gpu-twitter.html"

DISCORD = """
[discord]
token = "${{DISCORD_TOKEN}}"
guilds = ["{guild}"]
api_base = "{api_base}"
gateway_url = "{gateway_url}"
colors = {{ gpu = "#76b900" }}
"""


@dataclass(frozen=True)
class Story:
    guid: str
    title: str
    link: str
    description: str
    published: datetime


def rss(*stories: Story) -> str:
    """An RSS feed listing ``stories`` in the order given."""
    items = "".join(
        f"<item><title>{s.title}</title><link>{s.link}</link>"
        f'<guid isPermaLink="false">{s.guid}</guid>'
        f"<pubDate>{format_datetime(s.published, usegmt=True)}</pubDate>"
        f"<description><![CDATA[{s.description}]]></description></item>"
        for s in stories)
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            "<title>Numerama</title><link>https://www.numerama.com/</link>"
            f"<language>fr-FR</language>{items}</channel></rss>")


def stories() -> tuple[Story, list[Story]]:
    """The story already there at the first poll, and the four GPU stories
    published after it (oldest first, as they are listed)."""
    now = datetime.now(UTC).replace(microsecond=0)
    before = Story("numerama-1000", "Le rat musqué envahit les canaux",
                   "https://www.numerama.com/sciences/rat-musque.html",
                   "<p>Les muskrats prolifèrent.</p>", now - timedelta(hours=2))
    later = [
        Story("numerama-1337", FOUNDING_TITLE,
              FOUNDING_URL + "?utm_source=rss&amp;utm_medium=feed",
              "<p>D’après <a href=\"https://www.bi.com/\">Business Insider</a>, Elon Musk "
              "aurait acquis près de 100&nbsp;000 GPU pour le projet d’intelligence "
              "artificielle générative de Twitter. Twitter n’a pas commenté.</p>",
              now - timedelta(minutes=40)),
        Story("numerama-1338", "Pénurie de GPU : @everyone se rue sur les cartes",
              "https://www.numerama.com/tech/penurie-gpu.html",
              "<p>@here les GPU manquent, dit &lt;@123456789012345678&gt; à "
              "&lt;@&amp;234567890123456789&gt;.</p>",
              now - timedelta(minutes=30)),
        Story("numerama-1339", "Nvidia annonce un GPU pour l’inférence",
              "https://www.numerama.com/tech/nvidia-inference.html",
              "<p>Le nouveau GPU vise les centres de données.</p>",
              now - timedelta(minutes=20)),
        Story("numerama-1340", "AMD répond avec son propre GPU",
              "https://www.numerama.com/tech/amd-gpu.html",
              "<p>Un GPU concurrent arrive au printemps.</p>",
              now - timedelta(minutes=10)),
    ]
    return before, later


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as f:
        yield f


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


async def command(fake: FakeDiscord, guild: FakeGuild, who: FakeMember, path: list[str],
                  options: dict[str, Any] | None = None) -> InteractionRecord:
    """Run a slash command as ``who`` in the guild's channel; the bot's answer.

    That is its one callback or, when the command took longer than the bot waits
    before deferring (2 s: a loaded machine), the followup after the deferral.
    """
    payload = fake.command_interaction(guild, guild.channel_ids[0], who, path, options)
    *deferred, answer = await fake.inject_interaction(payload, timeout=15)
    assert [(r.kind, r.type) for r in deferred] in ([], [("callback", 5)]), deferred
    return answer


async def test_vigie_run_on_discord(tmp_path: Path, fake: FakeDiscord,
                                    feeds: FeedServer) -> None:
    guild = fake.add_guild(name="Rédaction", channels=["veille"])
    channel = guild.channel_ids[0]
    admin = FakeMember(fake.new_id(), "ada", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
    member = FakeMember(fake.new_id(), "bob")
    before, later = stories()
    feeds.add("/numerama.xml", rss(before))
    config = write_config(tmp_path / "vigie.toml", vigie_config(
        f"sqlite:///{tmp_path / 'vigie.db'}", {"numerama": feeds.url("/numerama.xml")},
        extra=DISCORD.format(guild=guild.id, api_base=fake.api_base,
                             gateway_url=fake.gateway_url)))

    # The token reaches the process the way a deployment gives it: the environment.
    vigie = await VigieProcess.start(config, env={"DISCORD_TOKEN": fake.token})
    try:
        # -- start-up: the commands are synced to the guild, the bot connects --
        await vigie.wait_log(r"discord: connected as Vigie to 1 guild")
        ((synced_guild, body),) = fake.command_syncs
        assert synced_guild == guild.id
        assert {c["name"] for c in body} == {"vigie", "vigie-admin"}
        assert {c["name"] for c in fake.commands(guild.id)} == {"vigie", "vigie-admin"}
        # The first poll saw only the older story (no alert on a first poll).
        await until(lambda: feeds.hits("/numerama.xml") >= 1, "the first poll")

        # -- subscribe: refused to a member, nothing stored --
        refused = await command(fake, guild, member, ["vigie", "subscribe"], {"target": "gpu"})
        assert refused.ephemeral
        assert refused.data["content"].startswith("only admins can use")
        assert "Nothing was changed" in refused.data["content"]
        listed = await command(fake, guild, member, ["vigie", "list"])
        assert "This channel has no subscriptions" in listed.data["content"]

        # -- subscribe: accepted from a member with Manage Server --
        accepted = await command(fake, guild, admin, ["vigie", "subscribe"], {"target": "gpu"})
        assert accepted.ephemeral
        assert "Subscribed this channel to topic GPU" in accepted.data["content"], accepted.data
        listed = await command(fake, guild, member, ["vigie", "list"])
        assert "topics GPU" in listed.data["content"] + str(listed.data.get("embeds"))

        # -- a 429 storm longer than discord.py's own retries, then four stories --
        # discord.py tries a request five times; the sixth and seventh 429s hit
        # the outbox's retry of the first alert.
        fake.fail_next(channel, 429, count=7, retry_after=0.2)
        feeds.add("/numerama.xml", rss(before, *later))
        await until(lambda: len(fake.messages(channel)) >= len(later), "four alerts",
                    timeout=45)

        # -- /vigie recent answers with embeds, newest first --
        recent = await command(fake, guild, member, ["vigie", "recent"])
        assert not recent.ephemeral
        assert [e["title"] for e in recent.data["embeds"]] == [
            "AMD répond avec son propre GPU", "Nvidia annonce un GPU pour l’inférence",
            "Pénurie de GPU : @\u200beveryone se rue sur les cartes", FOUNDING_TITLE]
        assert recent.data["allowed_mentions"] == {"parse": []}
        # -- and the outbox is empty: four sent, nothing left to retry --
        status = await command(fake, guild, member, ["vigie", "status"])
        deliveries = str(status.data)
        assert "4 sent" in deliveries, deliveries
    finally:
        code = await vigie.stop()
    log = vigie.log
    assert code == 0, log

    # -- every alert exactly once, in published order, after the storm --
    messages = fake.messages(channel)
    titles = [m["embeds"][0]["title"] for m in messages]
    assert titles == [FOUNDING_TITLE, "Pénurie de GPU : @\u200beveryone se rue sur les cartes",
                      "Nvidia annonce un GPU pour l’inférence", "AMD répond avec son propre GPU"]
    posts = [r for r in fake.requests
             if r[0] == "POST" and r[1].endswith(f"/channels/{channel}/messages")]
    assert len(posts) == len(later) + 7  # every 429 was retried; each alert landed once
    # Five 429s in a row outlasted discord.py's retries: the outbox took the alert back.
    assert re.search(r"discord: posting to channel \d+ failed: rate limited", log), log

    # -- the founding article, as a valid embed --
    founding = messages[0]
    (embed,) = founding["embeds"]
    assert embed["url"] == FOUNDING_URL
    assert embed["color"] == 0x76B900
    assert "**GPU**" in embed["description"]
    assert embed["description"].startswith("D’après Business Insider, Elon Musk")
    assert embed["footer"]["text"] == "Matched: GPU"
    assert embed["author"]["name"] == "numerama"
    assert founding["content"] == ""
    assert founding["allowed_mentions"] == {"parse": []}

    # -- feed text pings no one --
    for message in messages:
        assert pinged(message) == (False, [], [])
        assert message["allowed_mentions"] == {"parse": []}
        assert not message["mention_everyone"] and not message["mention_roles"]
        assert not message["mentions"]
    shouting = messages[1]["embeds"][0]
    assert "@\u200beveryone" in shouting["title"]
    assert "@\u200bhere" in shouting["description"]
    # Escaped (shown as text); embeds never ping, but a copy into content must not either.
    assert "\\<@123456789012345678>" in shouting["description"]
    assert "\\<@&234567890123456789>" in shouting["description"]

    # -- no secret in the logs --
    assert fake.token not in log
