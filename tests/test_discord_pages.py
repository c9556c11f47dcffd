"""Paged answers: one message with Previous / Next buttons, driven through the
real discord.py client against the local Discord (button presses are
MESSAGE_COMPONENT interactions the fake injects, as Discord's client sends them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from discord_fixtures import fake, restore_endpoints  # noqa: F401  (fixtures)
from fakes.discord_server import (
    MANAGE_GUILD,
    FakeDiscord,
    FakeGuild,
    FakeMember,
    InteractionRecord,
)

from adapters.discord import DiscordSettings
from adapters.discord.bot import DiscordBot
from adapters.discord.pages import ONLY_THE_ASKER
from adapters.discord.settings import configure_endpoints
from bot.chat import Caller, CompletionKind
from bot.replies import Fields, Heading, ItemCard, Reply

ASKER = FakeMember("712345678901234567", "bob")
OTHER = FakeMember("812345678901234567", "eve")


class Replies:
    """The command layer's stand-in: answers each command word with a set reply."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        self.delay = 0.0

    async def handle(self, caller: Caller, text: str) -> Reply:
        raise AssertionError("the Discord bot sends typed options, never a command line")

    async def run(self, caller: Caller, path: Sequence[str],
                  arguments: Mapping[str, object]) -> Reply:
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.replies.get(path[0], Reply.text(f"ok: {' '.join(path)}"))

    async def complete(self, caller: Caller, kind: CompletionKind, prefix: str) -> list[str]:
        return []


@pytest.fixture
def guild(fake: FakeDiscord) -> FakeGuild:
    return fake.add_guild(channels=["news"])


@pytest.fixture
def replies() -> Replies:
    return Replies()


@pytest.fixture
async def start_bot(fake: FakeDiscord, guild: FakeGuild, replies: Replies
                    ) -> AsyncIterator[Callable[..., Any]]:
    """Starts the bot (once per test) with the given page timeout."""
    running: list[tuple[DiscordBot, asyncio.Task[None]]] = []

    async def start(page_timeout: float = 600.0) -> DiscordBot:
        settings = DiscordSettings(token=fake.token, api_base=fake.api_base,
                                   gateway_url=fake.gateway_url, guilds=(int(guild.id),))
        configure_endpoints(settings.api_base, settings.gateway_url)
        client = DiscordBot(settings, replies, guild_ready_timeout=0.05, defer_after=0.5,
                            page_timeout=page_timeout)
        running.append((client, asyncio.create_task(client.start(fake.token))))
        async with asyncio.timeout(10):
            await client.ready_event.wait()
        return client

    yield start
    for client, task in running:
        await client.close()
        await asyncio.wait_for(task, 10)


def cards(n: int) -> tuple[ItemCard, ...]:
    return tuple(ItemCard(title=f"Item {i}", url=f"https://e.org/{i}", source="src",
                          published=datetime(2025, 1, 1, tzinfo=UTC), topics=("GPUs",),
                          summary="GPU news") for i in range(n))


async def run(fake: FakeDiscord, guild: FakeGuild, who: FakeMember, path: list[str],
              options: dict[str, object] | None = None) -> list[InteractionRecord]:
    payload = fake.command_interaction(guild, guild.channel_ids[0], who, path, options)
    return await fake.inject_interaction(payload)


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The message's buttons by label."""
    return {c["label"]: c for row in message["components"] for c in row["components"]}


async def press(fake: FakeDiscord, guild: FakeGuild, who: FakeMember, message_id: str,
                label: str) -> InteractionRecord:
    button = buttons(fake.interaction_message(message_id))[label]
    payload = fake.component_interaction(guild, who, message_id, button["custom_id"])
    (answer,) = await fake.inject_interaction(payload)
    return answer


def titles(message: dict[str, Any]) -> list[str]:
    return [e["title"] for e in message["embeds"]]


async def test_a_long_answer_is_one_message_with_page_buttons(
        fake: FakeDiscord, guild: FakeGuild, replies: Replies,
        start_bot: Callable[..., Any]) -> None:
    await start_bot()
    replies.replies["recent"] = Reply((Heading("Recent items"), *cards(23)))
    (answer,) = await run(fake, guild, ASKER, ["vigie", "recent"])
    # One response, no followups: page 1 of 3, ten embeds, the buttons under it.
    assert (answer.kind, answer.type, answer.ephemeral) == ("callback", 4, False)
    assert answer.message_id is not None
    message = fake.interaction_message(answer.message_id)
    assert message["content"] == "**Recent items**\n\nPage 1/3"
    assert titles(message) == [f"Item {i}" for i in range(10)]
    (row,) = message["components"]
    assert [(b["label"], b.get("disabled", False)) for b in row["components"]] == [
        ("Previous", True), ("Next", False)]

    turned = await press(fake, guild, ASKER, answer.message_id, "Next")
    assert (turned.type, turned.message_id) == (7, answer.message_id)
    message = fake.interaction_message(answer.message_id)
    assert message["content"] == "**Recent items**\n\nPage 2/3"
    assert titles(message) == [f"Item {i}" for i in range(10, 20)]
    assert {k: b.get("disabled", False) for k, b in buttons(message).items()} == {
        "Previous": False, "Next": False}
    assert turned.data["allowed_mentions"] == {"parse": []}

    await press(fake, guild, ASKER, answer.message_id, "Next")
    message = fake.interaction_message(answer.message_id)
    assert message["content"] == "**Recent items**\n\nPage 3/3"
    assert titles(message) == ["Item 20", "Item 21", "Item 22"]
    assert buttons(message)["Next"]["disabled"] is True
    # A disabled button cannot be pressed, as in Discord's client.
    with pytest.raises(LookupError):
        await press(fake, guild, ASKER, answer.message_id, "Next")

    await press(fake, guild, ASKER, answer.message_id, "Previous")
    message = fake.interaction_message(answer.message_id)
    assert message["content"].endswith("Page 2/3")
    # Still one message: every page was an edit of it.
    assert [r.kind for r in fake.interaction_responses
            if r.interaction_id == answer.interaction_id] == ["callback"]


async def test_only_the_asker_may_turn_the_pages(
        fake: FakeDiscord, guild: FakeGuild, replies: Replies,
        start_bot: Callable[..., Any]) -> None:
    await start_bot()
    replies.replies["search"] = Reply((Heading("Search: gpu (23)"), *cards(23)))
    (answer,) = await run(fake, guild, ASKER, ["vigie", "search"], {"query": "gpu"})
    assert answer.message_id is not None
    refused = await press(fake, guild, OTHER, answer.message_id, "Next")
    assert (refused.type, refused.ephemeral) == (4, True)
    assert refused.data["content"] == ONLY_THE_ASKER
    # The message did not move.
    message = fake.interaction_message(answer.message_id)
    assert message["content"].endswith("Page 1/3")
    assert titles(message)[0] == "Item 0"
    # The asker still can.
    await press(fake, guild, ASKER, answer.message_id, "Next")
    assert fake.interaction_message(answer.message_id)["content"].endswith("Page 2/3")


async def test_the_buttons_are_disabled_after_the_timeout(
        fake: FakeDiscord, guild: FakeGuild, replies: Replies,
        start_bot: Callable[..., Any]) -> None:
    await start_bot(page_timeout=0.3)
    replies.replies["recent"] = Reply((Heading("Recent items"), *cards(12)))
    (answer,) = await run(fake, guild, ASKER, ["vigie", "recent"])
    assert answer.message_id is not None
    # Enabled as sent. (Not the message's state now: on a loaded machine the 0.3 s
    # may be over already.)
    assert buttons(answer.data)["Next"].get("disabled") in (None, False)

    def edits() -> list[InteractionRecord]:
        return [r for r in fake.interaction_responses
                if r.interaction_id == answer.interaction_id and r.kind == "edit"]

    async with asyncio.timeout(10):
        while not edits():
            await asyncio.sleep(0.05)
    (edit,) = edits()
    assert edit.message_id == answer.message_id
    message = fake.interaction_message(answer.message_id)
    assert all(b["disabled"] for b in buttons(message).values())
    # The page itself is left as it was.
    assert message["content"].endswith("Page 1/2") and len(message["embeds"]) == 10
    with pytest.raises(LookupError):
        await press(fake, guild, ASKER, answer.message_id, "Next")


async def test_a_deferred_answer_is_paged_too(
        fake: FakeDiscord, guild: FakeGuild, replies: Replies,
        start_bot: Callable[..., Any]) -> None:
    await start_bot()
    replies.delay = 0.8
    replies.replies["recent"] = Reply((Heading("Recent items"), *cards(15)))
    answers = await run(fake, guild, ASKER, ["vigie", "recent"])
    assert [(a.kind, a.type) for a in answers] == [("callback", 5), ("followup", None)]
    followup = answers[1]
    assert followup.message_id is not None
    assert len(followup.data["embeds"]) == 10
    replies.delay = 0
    turned = await press(fake, guild, ASKER, followup.message_id, "Next")
    assert turned.type == 7
    assert titles(fake.interaction_message(followup.message_id)) == [
        f"Item {i}" for i in range(10, 15)]


async def test_a_deferred_answer_loses_its_buttons_after_the_timeout(
        fake: FakeDiscord, guild: FakeGuild, replies: Replies,
        start_bot: Callable[..., Any]) -> None:
    await start_bot(page_timeout=0.3)
    replies.delay = 0.8
    replies.replies["recent"] = Reply((Heading("Recent items"), *cards(15)))
    answers = await run(fake, guild, ASKER, ["vigie", "recent"])
    followup = answers[-1]
    assert followup.kind == "followup" and followup.message_id is not None
    async with asyncio.timeout(10):
        while not all(b.get("disabled") for b in buttons(
                fake.interaction_message(followup.message_id)).values()):
            await asyncio.sleep(0.05)
    edit = fake.interaction_responses[-1]
    assert (edit.kind, edit.message_id) == ("edit", followup.message_id)


async def test_a_long_private_answer_pages_privately(
        fake: FakeDiscord, guild: FakeGuild, replies: Replies,
        start_bot: Callable[..., Any]) -> None:
    await start_bot()
    pairs = tuple((f"source-{i}", "https://example.org/feed " + "ok " * 60) for i in range(60))
    replies.replies["sources"] = Reply((Heading("Sources"), Fields(pairs)))
    admin = FakeMember(ASKER.user_id, "bob", permissions=ASKER.permissions | MANAGE_GUILD)
    (answer,) = await run(fake, guild, admin, ["vigie-admin", "sources", "list"])
    assert answer.ephemeral and answer.message_id is not None
    message = fake.interaction_message(answer.message_id)
    first = message["content"]
    total = int(first.rsplit("/", 1)[1])
    assert total > 1 and first.startswith("**Sources**") and len(first) <= 2000
    seen = [first]
    for _ in range(total - 1):
        await press(fake, guild, admin, answer.message_id, "Next")
        seen.append(fake.interaction_message(answer.message_id)["content"])
    assert [c.rsplit("\n", 1)[1] for c in seen] == [f"Page {i}/{total}"
                                                    for i in range(1, total + 1)]
    shown = "\n".join(seen)
    assert all(f"**source-{i}**" in shown for i in range(60))
    assert all(len(c) <= 2000 for c in seen)


async def test_a_short_answer_has_no_buttons(
        fake: FakeDiscord, guild: FakeGuild, replies: Replies,
        start_bot: Callable[..., Any]) -> None:
    await start_bot()
    replies.replies["recent"] = Reply((Heading("Recent items"), *cards(10)))
    (answer,) = await run(fake, guild, ASKER, ["vigie", "recent"])
    assert answer.message_id is not None
    message = fake.interaction_message(answer.message_id)
    assert message["components"] == [] and "components" not in answer.data
    assert message["content"] == "**Recent items**" and len(message["embeds"]) == 10
