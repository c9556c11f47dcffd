"""Fuzzing the configuration loader: random TOML and hostile values.

Whatever the document, loading it gives a :class:`Config` whose every number
is in range, or a :class:`ConfigError` whose problems are ``(key path,
message)`` pairs of the documented form (one line each, a key path such as
``subscriptions[0].destination`` or ``topics."a b".keywords[1]``, no secret
quoted): never another exception. The installed adapters' validators and
destination checks (discord, slack, webhook, console) take part, through
their entry points as in ``vigie check``.

The examples here run in every ``make test``; ``make fuzz`` runs many more.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vigieproc import vigie

from bot._destinations import (
    chat_platforms,
    destination_checks,
    installed_chat_platforms,
    installed_schemes,
    section_validators,
)
from bot.config import (
    MAX_DURATION,
    MAX_INTERVAL,
    MIN_INTERVAL,
    Config,
    FetchConfig,
    idle_problems,
    load_config,
    validate,
)
from bot.exceptions import ConfigError

pytestmark = pytest.mark.fuzz

PLUGINS: dict[str, Any] = {
    "destination_schemes": installed_schemes(),
    "section_validators": section_validators(),
    "destination_checks": destination_checks(),
}
#: Planted only in secret keys: no problem message may quote them.
SECRETS = ("xoxb-SEKRET0token", "SEKRET1-discord.token", "SEKRET2-webhook-secret-0123456789")
ENV = {"X": "10m", "EVIL": "${X}", "NL": "a\nb", "EMPTY": "", "BIG": "9" * 500,
       "SECRET": SECRETS[2]}

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
#: The documented key paths: ``<file>``, ``<toml>``, ``<root>``, or keys
#: (bare or quoted) joined by dots, with list indexes.
KEY_PATH = re.compile(rf"^(?:<(?:file|toml|root)>|(?:{_BARE}|{_QUOTED})"
                      rf"(?:\.(?:{_BARE}|{_QUOTED})|\[\d+\])*)$")

# -- hostile values -----------------------------------------------------------------

_text = st.text(max_size=30)
_weird_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_nasty_strings = st.sampled_from([
    "", " ", "\n", "\x00", "\x1b[31m", "\u202e", "\u2028", "é", "💥", "x" * 5000,
    "${X}", "${", "${UNSET}", "$${X}", "${NL}", "${BIG}", "${EVIL}", "${EMPTY}",
    "10s", "0s", "-1s", "0.0001ms", "3000000d", "9" * 400 + "s", "1e400", "nan", "inf",
    "10MB", "99999999999999GB", "9" * 400, "0x10", "none", "off", "10/h", "0/h",
    "daily@25:99", "22:00-22:00", "Europe/Paris", "../../etc/passwd", "Etc/GMT+99",
    "https://", "http://127.0.0.1/x", "http://[::1", "ftp://x", "(((((", "a OR", '"',
    "*", "a**", "-x", "console", "console:", "telex:1", "webhook:", "discord:abc",
])
_numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, -1, 1, 2**63 - 1, -(2**63), 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
)
_dates = st.one_of(st.dates(), st.times(), st.datetimes(timezones=st.just(UTC)))
hostile_scalar = st.one_of(_numbers, st.booleans(), _text, _weird_text, _nasty_strings, _dates)
_keys = st.one_of(st.sampled_from(["name", "url", "x", "a b", "a.b", "", "é", "\n"]), _text)
hostile = st.recursive(
    hostile_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=8,
)


def value(*plausible: object) -> st.SearchStrategy[Any]:
    """A plausible value for a key, or a hostile one."""
    return st.one_of(st.sampled_from(plausible), hostile) if plausible else hostile


DURATION = value("10s", "10m", "1h", "2d", 30, 0.5, "0.1s", "none")
PHRASES = value(["GPU"], ["IA générative", "Musk*"], [], ["*"], ["x" * 300])
DESTINATIONS = value(
    "console", "console:x", "webhook:https://hooks.example.org/x", "webhook:http://10.0.0.1/",
    "discord:123456789012345678", "discord:abc", "slack:C024BE91L", "slack:nope",
    "discord-webhook:https://discord.com/api/webhooks/123456789012345678/"
    "abcdefghijklmnopqrstuvwxyz", "discord-webhook:https://evil.example/x",
    "slack-webhook:https://hooks.slack.com/services/T1/B1/xyz", "slack-webhook:http://10.0.0.1/",
    "telex:1")
_SCHEMES = st.sampled_from(["console", "webhook", "discord", "discord-webhook", "slack",
                            "slack-webhook", "telex", ""])
_URLISH = st.one_of(_text, _weird_text, st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https", "ftp", "HTTPS", ""]),
    st.sampled_from(["hooks.slack.com", "discord.com", "10.0.0.1", "[::1]", "[::1", "xn--",
                     "a@b", "\u0000", "évil.example", "127.0.0.1:99999", "example.org:0"]),
    st.sampled_from(["services/T/B/x", "api/webhooks/123456789012345678/" + "a" * 30,
                     "api/webhooks/123456789012345678/" + "a" * 30 + "?thread_id=x", ""])))
DESTINATIONS = st.one_of(DESTINATIONS, st.builds(lambda scheme, target: f"{scheme}:{target}",
                                                 _SCHEMES, _URLISH))
SNOWFLAKES = value(["123456789012345678"], [123456789012345678], ["x"], "123")


def table(keys: Mapping[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A table with some of ``keys`` and maybe an unknown key."""
    known = st.fixed_dictionaries({}, optional=dict(keys))
    extra = st.dictionaries(_keys, hostile, max_size=1)
    return st.builds(lambda k, e: {**e, **k}, known, extra)


SOURCE = table({"name": value("lemonde", "a", "bad name", "x" * 70),
                "url": value("https://example.org/feed", "ftp://x"), "interval": DURATION,
                "enabled": value(True, False), "language": value("fr", "en-GB", "???")})
TOPIC = table({"name": value("GPU"), "keywords": PHRASES, "exclude": PHRASES,
               "fields": value(["title"], ["body"], []), "languages": value(["fr"], ["??"]),
               "editable": value(True)})
SUBSCRIPTION = table({
    "name": value("s", "t"), "topics": value(["gpu"], ["nope"], []),
    "query": value("GPU OR Musk", "(GPU", "-x", "(" * 50 + "a" + ")" * 50),
    "destination": DESTINATIONS, "limit": value("10/h", "0/h"),
    "digest": value("hourly", "daily@08:30", "weekly"), "quiet": value("22:00-07:00", "x"),
    "timezone": value("Europe/Paris", "Mars/Olympus"), "mention": value("123", 123, "@here"),
})
WEBHOOK = table({"secret": value(SECRETS[2], "${SECRET}", "short"),
                 "per_second": value(1.0, 0, 1e9), "timeout": DURATION})
DISCORD = table({
    "token": value(SECRETS[1], "Bot " + SECRETS[1], " ", "${UNSET}"),
    "guilds": SNOWFLAKES, "admin_roles": SNOWFLAKES, "admin_users": SNOWFLAKES,
    "api_base": value("http://127.0.0.1:1/api/v10", "nope", "http://[::1"),
    "gateway_url": value("ws://127.0.0.1:1/", "http://x"),
    "colors": value({"gpu": "#76b900"}, {"gpu": 2**40}, {"a b": "red"}, "red"),
    "webhook_username": value("Vigie", "Clyde", ""),
    "webhook_avatar_url": value("https://example.org/a.png"), "sync_commands": value(False)})
SLACK = table({
    "bot_token": value(SECRETS[0], "xoxp-" + SECRETS[0]), "app_token": value("xapp-1"),
    "signing_secret": value("0123456789abcdef0123", "zz" + SECRETS[0]),
    "mode": value("socket", "http", "carrier-pigeon"), "http_port": value(3000, 0, 70000),
    "admin_users": value(["U024BE7LH"], ["x"]),
    "api_base": value("http://127.0.0.1:1/api/", "http://[::1"),
    "unfurl": value(True), "app_home": value(True)})
#: The tables adapters own, each as written or any table at all.
PLATFORM_TABLES = st.fixed_dictionaries({}, optional={
    "webhook": WEBHOOK | st.dictionaries(_keys, hostile, max_size=3),
    "discord": DISCORD | st.dictionaries(_keys, hostile, max_size=3),
    "slack": SLACK | st.dictionaries(_keys, hostile, max_size=3)})
DOCUMENT = table({
    "storage": table({"url": value("sqlite:///x.db", "mysql://x", "${UNSET}")}),
    "fetch": table({"user_agent": value("Vigie", "a\r\nX-Evil: 1"), "timeout": DURATION,
                    "max_body": value("10MB", 1000, "99999999999999GB", 2**62),
                    "per_host": value(2, 0, 10**9), "allow_private_addresses": value(True)}),
    "poll": table({"first_poll_alerts": value(True), "max_age": DURATION,
                   "concurrency": value(8, 0, 10**9), "same_story": value(False)}),
    "sources": st.lists(SOURCE, max_size=3) | hostile,
    "topics": st.dictionaries(st.sampled_from(["gpu", "musk", "a b", "x" * 70]) | _text, TOPIC,
                              max_size=2) | hostile,
    "subscriptions": st.lists(SUBSCRIPTION, max_size=3) | hostile,
    "console": table({"color": value("auto", "never", "rainbow")}),
    "delivery": table({k: DURATION for k in ("interval", "lease", "retry_min", "retry_max")}
                      | {k: value(1, 100, 0, 10**12) for k in
                         ("batch", "concurrency", "max_attempts")}),
    "webhook": WEBHOOK, "discord": DISCORD, "slack": SLACK,
})


# -- the properties -----------------------------------------------------------------


def assert_documented(error: ConfigError) -> None:
    """Every problem is a (key path, message) pair of the documented form."""
    assert error.problems, "a ConfigError without problems"
    for key, message in error.problems:
        assert isinstance(key, str) and isinstance(message, str), (key, message)
        assert KEY_PATH.match(key), f"not a key path: {key!r}"
        assert message and message.isprintable(), f"not one printable line: {message!r}"
        for secret in SECRETS:
            assert secret not in message, f"{key}: the message quotes a secret: {message!r}"


def assert_sane(config: Config) -> None:
    """What a valid configuration promises the scheduler, the fetcher and the outbox."""
    for source in config.sources:
        assert MIN_INTERVAL <= source.interval <= MAX_INTERVAL
        assert source.name.isprintable() and source.url.isprintable(), source
    for topic in config.topics:
        assert topic.id.isprintable(), topic
    fetch, poll, delivery = config.fetch, config.poll, config.delivery
    seconds = [fetch.total_timeout, fetch.connect_timeout, fetch.read_timeout, delivery.interval,
               delivery.lease, delivery.retry_min, delivery.retry_max]
    if poll.max_age is not None:
        seconds.append(poll.max_age)
    for value_ in seconds:
        assert math.isfinite(value_) and 0 < value_ <= MAX_DURATION, config
    for count in (fetch.max_body_bytes, fetch.per_host_limit, poll.concurrency, delivery.batch,
                  delivery.concurrency, delivery.max_attempts):
        assert 1 <= count < 2**40, config
    assert delivery.retry_min <= delivery.retry_max


def check_document(data: Mapping[str, Any]) -> None:
    try:
        config = validate(data, path="f.toml", env=ENV, **PLUGINS)
    except ConfigError as e:
        assert_documented(e)
        return
    assert_sane(config)
    for key, message in idle_problems(config, chat_platforms(config), installed_chat_platforms()):
        assert KEY_PATH.match(key) and message.isprintable()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_any_document_gives_a_config_or_documented_problems(data: dict[str, Any]) -> None:
    check_document(data)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, hostile, max_size=6))
def test_any_tree_of_values_gives_a_config_or_documented_problems(data: dict[str, Any]) -> None:
    check_document(data)


@settings(deadline=None)
@given(PLATFORM_TABLES, _SCHEMES, _URLISH | _nasty_strings, st.booleans())
def test_adapters_judge_any_table_and_destination(
    tables: dict[str, Any], scheme: str, target: str, allow_private: bool
) -> None:
    """The adapters' hooks, called with tables that may have failed their
    own validation (the check reports every problem at once)."""
    for name, check in PLUGINS["section_validators"].items():
        if name in tables:
            for key, message in check(tables[name]):
                assert isinstance(key, str) and isinstance(message, str)
                assert not any(secret in message for secret in SECRETS), message
    config = Config(path="f.toml", adapters=tables,
                    fetch=FetchConfig(allow_private_addresses=allow_private))
    for check_scheme, destination_check in PLUGINS["destination_checks"].items():
        messages = destination_check(config, target)
        assert all(isinstance(m, str) and m for m in messages), messages
        valid_tables = not any(PLUGINS["section_validators"][name](table)
                               for name, table in tables.items())
        if check_scheme == scheme and not messages and valid_tables:
            assert_adapter_takes(config, scheme, target)
    assert chat_platforms(config) <= installed_chat_platforms()


def assert_adapter_takes(config: Config, scheme: str, target: str) -> None:
    """What the check lets through, the adapter takes when it delivers."""
    from adapters.discord.settings import configure_endpoints, current_endpoints

    [entry_point] = entry_points(group="vigie.destinations", name=scheme)
    saved = current_endpoints()  # the Discord adapters set them for the process
    try:
        entry_point.load()(config).destination(target)
    finally:
        configure_endpoints(*saved)


# -- as TOML text ---------------------------------------------------------------------


def toml_value(v: Any) -> str:
    """``v`` as a TOML value: strings escaped, tables inline (one line)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) \
            else repr(v)
    if isinstance(v, str):
        return '"' + "".join(
            "\\\\" if c == "\\" else '\\"' if c == '"' else
            f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in v) + '"'
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    assert isinstance(v, dict)
    return "{" + ", ".join(f"{toml_value(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_document(data: Mapping[str, Any]) -> str:
    return "".join(f"{toml_value(k)} = {toml_value(v)}\n" for k, v in data.items())


def load_text(text: str | bytes) -> None:
    """Load ``text`` as a configuration file; asserts the outcome."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.toml"
        path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str)
                         else text)
        try:
            config = load_config(path, env=ENV, **PLUGINS)
        except ConfigError as e:
            assert_documented(e)
        else:
            assert_sane(config)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT, st.integers(min_value=0, max_value=200), st.text(max_size=5))
def test_any_file_gives_a_config_or_documented_problems(
    data: dict[str, Any], cut: int, garbage: str
) -> None:
    text = toml_document(data)
    load_text(text)
    # The same file cut short, or with bytes spliced in: mostly TOML errors.
    load_text(text[:cut] + garbage + text[cut:])


@settings(deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_any_bytes_give_a_config_or_documented_problems(text: str | bytes) -> None:
    load_text(text)


@pytest.mark.parametrize("text", [
    "a = " + "[" * 5000 + "]" * 5000,
    "a = " + "{b=" * 5000 + "1" + "}" * 5000,
    "[" + ".".join(["a"] * 5000) + "]\nb = 1",
    "a." * 3000 + "b = 1",
    "a = " + "[" * 300 + "]" * 300,
    "sources = " + "9" * 5000,
    "sources = 0x" + "f" * 5000,
    "[fetch]\ntimeout = 1e400\n",
    "[fetch]\ntimeout = nan\nmax_body = -inf\n",
    '[[sources]]\nname = "a"\nurl = "https://e.org/"\ninterval = "3000000d"\n',
    '[[sources]]\nname = "a"\nurl = "https://e.org/"\ninterval = ' + str(2**63 - 1) + "\n",
    '["\\u0000\\n\\u202e"]\n"\\n" = 1\n',
    "\ufeff[storage]\nurl = 1\n",
    b"\xff\xfe[storage]",
    "",
])
def test_hostile_files(text: str | bytes) -> None:
    load_text(text)


# -- through `vigie check` -------------------------------------------------------------


@pytest.mark.parametrize(("text", "keys"), [
    ("a = " + "[" * 5000 + "]" * 5000, ["<toml>"]),
    ("[" + ".".join(["a"] * 5000) + "]\nb = 1", ["a.a.a.a.a.a.a.a.a.a"]),
    ("sources = " + "9" * 5000, ["<toml>"]),
    (b"\xff\xfe\x00garbage", ["<file>"]),
    # Many hostile values at once: each is a problem of its own, none a traceback.
    ('[[sources]]\nname = "a"\nurl = "https://e.org/"\ninterval = "3000000d"\n'
     "[fetch]\ntimeout = nan\nmax_body = -inf\nper_host = 9223372036854775807\n"
     '[topics."\\u0000\\n\\u202e"]\nkeywords = ["${UNSET}"]\n'
     "[discord]\nguilds = [" + "1" * 30 + "]\ncolors = 5\n[webhook]\ntimeout = [1]\n",
     ["sources[0].interval", "fetch.timeout", "fetch.max_body", "fetch.per_host",
      'topics."\\u0000\\u000a\\u202e".keywords[0]', "discord.guilds[0]", "discord.colors",
      "webhook.timeout"]),
])
async def test_vigie_check_answers_hostile_files_with_exit_2(
    tmp_path: Path, text: str | bytes, keys: list[str]
) -> None:
    path = tmp_path / "vigie.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, out, err = await vigie("check", "--config", str(path))
    assert code == 2, (out, err)
    assert "Traceback" not in out + err, err
    lines = out.splitlines()
    assert lines and all(line.startswith(f"{path}: ") for line in lines), out
    for key in keys:
        assert any(line.startswith(f"{path}: {key}") for line in lines), (key, out)
