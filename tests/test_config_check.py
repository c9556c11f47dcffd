"""What ``vigie check`` refuses, and ``vigie run`` with it.

- Hostile configurations (issue 16): a file nested thousands deep, a
  duration no scheduler can hold, a file with nothing to do.
- Destinations lacking what they need (issue 9): a ``webhook:`` without the
  ``[webhook] secret``, a ``discord:`` or ``slack:`` channel without its
  platform's token. Each adapter says what its destinations need through its
  entry point (``config_problems``); the core imports none of them.

The command-line cases run the real ``vigie`` process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from vigieproc import vigie

from bot._destinations import (
    chat_platforms,
    destination_checks,
    installed_chat_platforms,
    installed_schemes,
    section_validators,
)
from bot.config import Config, idle_problems, validate
from bot.exceptions import ConfigError

PLUGINS: dict[str, Any] = {
    "destination_schemes": installed_schemes(),
    "section_validators": section_validators(),
    "destination_checks": destination_checks(),
}
WATCH = """
[[sources]]
name = "a"
url = "https://example.org/feed"

[topics.gpu]
keywords = ["GPU"]
"""
SECRET = "0123456789abcdef0123456789abcdef"
DISCORD_WEBHOOK = ("https://discord.com/api/webhooks/123456789012345678/"
                   "abcdefghijklmnopqrstuvwxyz0123")


def subscription(destination: str) -> str:
    return f'\n[[subscriptions]]\nname = "s"\ntopics = ["gpu"]\ndestination = "{destination}"\n'


def load(data: dict[str, Any]) -> Config:
    return validate(data, path="f.toml", env={}, **PLUGINS)


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        load(data)
    return info.value.problems


def with_destination(destination: str, **tables: dict[str, Any]) -> dict[str, Any]:
    return {
        "sources": [{"name": "a", "url": "https://example.org/feed"}],
        "topics": {"gpu": {"keywords": ["GPU"]}},
        "subscriptions": [{"name": "s", "topics": ["gpu"], "destination": destination}],
        **tables,
    }


# -- issue 16, case 2: nesting -----------------------------------------------------------


async def test_a_file_nested_5000_deep_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "deep.toml"
    config.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    code, out, err = await vigie("check", "--config", str(config))
    assert code == 2, err
    assert "Traceback" not in out + err
    assert out == f"{config}: <toml>: nested too deeply to read\n"


def test_nesting_is_bounded_even_where_the_toml_reader_copes() -> None:
    # Dotted keys nest without recursion in the reader: the loader stops them.
    data: dict[str, Any] = {"b": 1}
    for _ in range(5000):
        data = {"a": data}
    [(key, message)] = problems(data)
    assert key == ".".join(["a"] * 10)
    assert message == "is nested too deeply (at most 10 levels of tables and lists)"


# -- issue 16, case 3: bounds -------------------------------------------------------------


async def test_an_interval_of_3000000_days_is_refused_by_check_and_run(tmp_path: Path) -> None:
    watch = WATCH.replace('url = "https://example.org/feed"',
                          'url = "https://example.org/feed"\ninterval = "3000000d"')
    config = write_config(tmp_path / "vigie.toml", watch + subscription("console")
                          + f'\n[storage]\nurl = "sqlite:///{tmp_path / "vigie.db"}"\n')
    code, out, err = await vigie("check", "--config", str(config))
    assert code == 2, (out, err)
    assert out == f"{config}: sources[0].interval: must be at least 10s and at most 30d\n"
    code, out, err = await vigie("run", "--config", str(config), timeout=30)
    assert code == 2, err
    assert "Traceback" not in err
    assert "sources[0].interval: must be at least 10s and at most 30d" in err


@pytest.mark.parametrize(("table", "key", "huge", "message"), [
    ("fetch", "timeout", "3000000d", "must be at least 1s and at most 1h"),
    ("fetch", "max_body", "99999999GB", "must be at least 1KiB and at most 1GiB"),
    ("fetch", "per_host", 2**62, "must be at least 1 and at most 100"),
    ("poll", "max_age", "3000000d", "must be positive and at most 3650d"),
    ("poll", "concurrency", 2**62, "must be at least 1 and at most 100"),
    ("delivery", "interval", "3000000d", "must be at least 0.1s and at most 1h"),
    ("delivery", "lease", "3000000d", "must be at least 1s and at most 1d"),
    ("delivery", "retry_min", "3000000d", "must be at least 0.1s and at most 1d"),
    ("delivery", "retry_max", "3000000d", "must be at least 0.1s and at most 30d"),
    ("delivery", "batch", 2**62, "must be at least 1 and at most 10000"),
    ("delivery", "concurrency", 2**62, "must be at least 1 and at most 100"),
    ("delivery", "max_attempts", 2**62, "must be at least 1 and at most 1000"),
    ("webhook", "timeout", "3000000d", "must be positive and at most 3650d"),
])
def test_every_duration_size_and_count_is_bounded(
    table: str, key: str, huge: object, message: str
) -> None:
    data = with_destination("console", **{table: {key: huge}})
    assert problems(data) == [(f"{table}.{key}", message)]
    data[table][key] = float("nan")
    assert problems(data)[0][0] == f"{table}.{key}"


def test_a_number_beyond_64_bits_is_refused() -> None:
    data = with_destination("console", poll={"concurrency": 10**30})
    assert ("poll.concurrency", "is out of range (TOML integers are 64-bit)") in problems(data)


# -- issue 16, case 4: nothing to do -------------------------------------------------------


async def test_an_empty_file_says_what_is_missing_and_run_refuses_to_idle(
    tmp_path: Path
) -> None:
    config = tmp_path / "empty.toml"
    config.write_text("")
    code, out, err = await vigie("check", "--config", str(config))
    assert code == 2, (out, err)
    lines = out.splitlines()
    assert [line.split(": ")[1] for line in lines] == ["sources", "subscriptions"], out
    assert "add a [[sources]] table" in lines[0]
    assert "add a [[subscriptions]] table" in lines[1]
    assert "[discord] or [slack]" in lines[0]
    code, out, err = await vigie("run", "--config", str(config), timeout=30)
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("vigie: not starting, the bot would be idle: ")


async def test_a_chat_platform_with_nothing_yet_is_not_idle(tmp_path: Path) -> None:
    """Chat users may add sources and subscribe: a bot on Discord starts empty."""
    config = write_config(tmp_path / "vigie.toml", """
        [discord]
        token = "${DISCORD_TOKEN}"
    """)
    code, out, err = await vigie("check", "--config", str(config),
                                 env={"DISCORD_TOKEN": "MTIz.abc.def"})
    assert code == 0, (out, err)
    assert out == f"{config}: ok (0 sources, 0 topics, 0 subscriptions)\n"


def test_what_idle_means() -> None:
    def idle(data: dict[str, Any]) -> list[str]:
        config = load(data)
        return [key for key, _ in idle_problems(config, chat_platforms(config),
                                                installed_chat_platforms())]

    watch = {k: v for k, v in with_destination("console").items() if k != "subscriptions"}
    assert idle(with_destination("console")) == []
    assert idle(watch) == ["subscriptions"]
    assert idle({**with_destination("console"), "sources": [
        {"name": "a", "url": "https://example.org/feed", "enabled": False}]}) == ["sources"]
    # A Discord bot (token) or a Slack app (bot token) takes chat commands.
    assert idle({"discord": {"token": "MTIz.abc.def"}}) == []
    assert idle({"slack": {"bot_token": "xoxb-1", "app_token": "xapp-1"}}) == []
    # Tables that serve webhooks only do not.
    assert idle({"discord": {"webhook_username": "Vigie"}}) == ["sources", "subscriptions"]
    assert idle({"slack": {"unfurl": True}}) == ["sources", "subscriptions"]


# -- issue 9: what a destination needs ---------------------------------------------------


async def test_check_catches_a_webhook_without_its_secret(tmp_path: Path) -> None:
    config = write_config(tmp_path / "vigie.toml",
                          WATCH + subscription("webhook:https://hooks.example.org/in"))
    code, out, err = await vigie("check", "--config", str(config))
    assert code == 2, (out, err)
    assert out == (f"{config}: subscriptions[0].destination: webhook destinations sign every "
                   "request: set secret in the [webhook] table\n")
    config.write_text(config.read_text() + f'\n[webhook]\nsecret = "{SECRET}"\n')
    code, out, err = await vigie("check", "--config", str(config))
    assert (code, out) == (0, f"{config}: ok (1 sources, 1 topics, 1 subscriptions)\n"), err


@pytest.mark.parametrize(("destination", "tables", "expected"), [
    ("webhook:https://hooks.example.org/in", {},
     ["webhook destinations sign every request: set secret in the [webhook] table"]),
    ("webhook:https://hooks.example.org/in", {"webhook": {"per_second": 2}},
     ["webhook destinations sign every request: set secret in the [webhook] table"]),
    ("webhook:https://hooks.example.org/in", {"webhook": {"secret": SECRET}}, []),
    ("webhook:http://127.0.0.1/in", {"webhook": {"secret": SECRET}},
     ["webhook:http://127.0.0.1/… cannot be used: refusing to fetch a non-public address "
      "(127.0.0.1)"]),
    ("discord:123456789012345678", {},
     ["discord: channels need the bot token: set token in the [discord] table"]),
    ("discord:123456789012345678", {"discord": {"webhook_username": "Vigie"}},
     ["discord: channels need the bot token: set token in the [discord] table"]),
    ("discord:123456789012345678", {"discord": {"token": "MTIz.abc.def"}}, []),
    ("discord:general", {"discord": {"token": "MTIz.abc.def"}},
     ["discord destinations take a channel id (digits), not 'general'; in Discord, "
      "right-click the channel and choose Copy Channel ID"]),
    ("slack:C024BE91L", {}, ["slack: destinations need [slack] bot_token"]),
    ("slack:C024BE91L", {"slack": {"unfurl": True}},
     ["slack: destinations need [slack] bot_token"]),
    ("slack:C024BE91L", {"slack": {"bot_token": "xoxb-1", "app_token": "xapp-1"}}, []),
    # Webhook variants need no token, only a URL of theirs.
    (f"discord-webhook:{DISCORD_WEBHOOK}", {}, []),
    ("discord-webhook:https://evil.example/api/webhooks/1/x", {},
     ["discord-webhook: not a Discord webhook URL (https://discord.com/api/webhooks/…)"]),
    ("slack-webhook:https://hooks.slack.com/services/T1/B1/xyz", {}, []),
    ("slack-webhook:https://evil.example/services/T1/B1/xyz", {},
     ["slack-webhook:evil.example/services/T1/B1/… is not a Slack incoming-webhook URL "
      "(https://hooks.slack.com/services/…)"]),
    ("console", {}, []),
    ("console:general", {}, ["the console destination takes no target"]),
])
def test_each_destination_is_checked_by_its_adapter(
    destination: str, tables: dict[str, Any], expected: list[str]
) -> None:
    data = with_destination(destination, **tables)
    if not expected:
        assert load(data).subscriptions[0].destination == destination
        return
    assert problems(data) == [("subscriptions[0].destination", m) for m in expected]


def test_destination_problems_never_quote_a_webhook_token() -> None:
    token = "TOPSECRETtoken0123456789"
    for destination in (f"discord-webhook:https://evil.example/api/webhooks/1/{token}",
                        f"slack-webhook:https://evil.example/services/T1/B1/{token}",
                        f"webhook:http://10.0.0.1/{token}"):
        found = problems(with_destination(destination, webhook={"secret": SECRET}))
        assert found and token not in str(found), found
