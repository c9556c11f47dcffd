"""The plugin interface: every installed entry point keeps its contract, and
what adapters share (control characters, Retry-After) is written once in
bot.plugins."""

from __future__ import annotations

import asyncio
import inspect
import io
from importlib.metadata import entry_points

import pytest

from bot._destinations import chat_platforms, make_adapter
from bot.config import Config, ConsoleConfig
from bot.exceptions import UnknownDestinationError
from bot.plugins import (
    CHAT_GROUP,
    DESTINATIONS_GROUP,
    ReplyRenderer,
    strip_control,
)
from bot.replies import Reply


def test_every_destination_entry_point_makes_an_adapter_with_callable_hooks() -> None:
    schemes = {ep.name: ep for ep in entry_points(group=DESTINATIONS_GROUP)}
    assert {"console", "discord", "discord-webhook", "slack", "slack-webhook",
            "webhook"} <= set(schemes)
    for name, ep in schemes.items():
        factory = ep.load()
        for hook in ("settings_problems", "config_problems", "chat_configured"):
            assert callable(getattr(factory, hook, lambda: None)), (name, hook)
        adapter = factory(Config(path="t"))
        assert callable(adapter.destination) and inspect.iscoroutinefunction(adapter.close)
        asyncio.run(adapter.close())


def test_every_chat_entry_point_is_a_chat_runner() -> None:
    runners = {ep.name: ep.load() for ep in entry_points(group=CHAT_GROUP)}
    assert {"discord", "slack"} <= set(runners)
    for name, run_chat in runners.items():
        assert inspect.iscoroutinefunction(run_chat), name
        parameters = inspect.signature(run_chat).parameters
        assert list(parameters) == ["config", "handler", "stop", "http"]
        assert parameters["http"].kind is inspect.Parameter.KEYWORD_ONLY
        # Its destination adapter, of the same name, owns its table.
        assert name in {ep.name for ep in entry_points(group=DESTINATIONS_GROUP)}
    assert chat_platforms(Config(path="t")) == frozenset()


def test_the_console_is_found_like_any_adapter_and_renders_replies() -> None:
    console = make_adapter("console", Config(path="t", console=ConsoleConfig(color="never")))
    assert isinstance(console, ReplyRenderer)
    assert console.render_reply(Reply.error("no \x1b[31mred")) == "✘ no [31mred\n"
    with pytest.raises(UnknownDestinationError, match="no adapter installed for 'nope'"):
        make_adapter("nope", Config(path="t"))


async def test_the_console_writes_where_its_table_says(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    for output, stream in (("stdout", out), ("stderr", err)):
        adapter = make_adapter("console", Config(path="t", console=ConsoleConfig(
            color="never", output=output)))
        assert getattr(adapter, "stream", None) is stream


def test_strip_control_keeps_text_lines_and_tabs() -> None:
    assert strip_control("a\x00b\x1b[2Jc\u202eD\td\ne\x85") == "ab[2JcD\td\ne"
