"""Hostile chat input never breaks the command layer, and a member never changes anything.

Random and adversarial command lines (every kind of quote, unterminated ones,
``--`` options with odd values, huge numbers, unicode, control characters,
very long lines, injection-looking text) and random typed invocations (what
Discord's options could carry, and worse) go to the real command layer on a
real store (SQLite, and PostgreSQL when configured), as an admin and as a
member. The answer is always a :class:`Reply`, never an exception; a member's
command leaves the chat state, the audit log and the paused subscriptions as
they were. ``make fuzz`` runs these for long (tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from feedserver import FeedServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot._destinations import section_validators
from bot.app import Vigie, make_command_layer, make_vigie
from bot.chat import Caller
from bot.commands import COMMANDS, Choice, Command, CommandLayer, Flag, Int, Param
from bot.config import validate
from bot.replies import Reply

NOW = format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=True)
FEED = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://news.example/</link><item><title>Nvidia GPU pour l’IA générative"
        f"</title><link>https://news.example/1</link><guid>1</guid><pubDate>{NOW}</pubDate>"
        f"<description>Musk et les GPU.</description></item></channel></rss>")

ADMIN = Caller("discord", "G1", "C1", "U1", "ada", is_platform_admin=True,
               destination="discord:C1")
MEMBER = Caller("discord", "G1", "C1", "U2", "bob", destination="discord:C1")

# Fuzz tests take their number of examples from the profile (tests/conftest.py).
FUZZ = settings(deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])

_COMMAND_NAMES = [c.name for c in COMMANDS]
_WORDS = sorted({w for c in COMMANDS for w in c.path} | {f"--{p.name}" for c in COMMANDS
                                                         for p in c.params if p.option})
_VALUES = [
    "gpu", "musk", "q", "news", "#1", "#2", "chat-1", "#999999999", "#0", "file-sub", "off",
    "none", "OR", "(", ")", "-crypto", "gpu*", "*", "***", "-", "--", "---", "--=", "10/h",
    "0/h", "99999/d", "3/10m", "hourly", "daily@08:30", "daily@25:99", "22:00-07:00",
    "07:00-07:00", "Europe/Paris", "Europe", "../../etc/passwd", "posixrules", "a" * 300,
    "0", "-1", "1", "25", "26", "8760", "8761", "9" * 19, "9" * 400, "1e9", "²", "١٢", "0x10",
    "<@&123>", "<@&>", "@everyone", "@here", "<#1>", "'; DROP TABLE items; --",
    "\" OR 1=1 --", "${HOME}", "%s%n%x", "{0}{1}", "`code`", "**bold**", "<script>x</script>",
    "http://127.0.0.1/feed", "http://localhost/feed", "http://169.254.169.254/latest",
    "http://[::1]/", "ftp://example.org/feed", "javascript:alert(1)", "file:///etc/passwd",
    "\u202egpu", "g\u200bpu", "\ufeff", "𝕘𝕡𝕦", "ǅ", "ﷺ", "e\u0301", "\ud7ff", "\x00",
    "\x1b[31m", "\r\n", "\t", "\x7f", "\x85", "\u2028",
]
_QUOTES = [('"', '"'), ("“", "”"), ("”", "”"), ("«", "»"), ("„", "“"), ("'", "'"),
           ('"', ""), ("«", ""), ("", "»"), ("“", '"')]

token = st.one_of(
    st.sampled_from(_WORDS), st.sampled_from(_VALUES),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.integers().map(str),
)
quoted = st.tuples(st.sampled_from(_QUOTES), st.lists(token, max_size=3)).map(
    lambda q: q[0][0] + " ".join(q[1]) + q[0][1])
spaces = st.sampled_from([" ", "  ", "\t", "\n", " \u3000 "])
#: Whole numbers around every declared bound, and far beyond.
numbers = st.one_of(st.integers(-2, 30), st.integers(8750, 8770), st.integers(),
                    st.integers(min_value=-2**70, max_value=2**70))
#: Numbers as text, the way they go wrong: digits that int() refuses, signs, exponents.
number_words = numbers.map(str) | st.sampled_from(
    ["²", "١٢", "٣", "0x10", "1e9", "-0", "+5", "5.0", "0" * 30 + "1", "9" * 400, "∞", "NaN"])
#: Typed values of no declared type.
odd_values = st.one_of(st.none(), st.floats(), st.binary(max_size=5),
                       st.lists(st.integers(), max_size=2), st.just(True))


#: Values each parameter accepts, so that a command gets past its first checks
#: and the fuzzing reaches the handlers' own checks and the store.
VALID: dict[str, list[str]] = {
    "target": ["gpu", "musk", "q", "#1", '"IA générative" -crypto', "Musk xAI"],
    "topic": ["gpu", "q"], "topic_id": ["q", "new", "gpu"],
    "subscription": ["#1", "#2", "#3"],
    "schedule": ["hourly", "daily@08:30", "off"], "window": ["22:00-07:00", "off"],
    "rate": ["10/h", "3/10m", "off"], "limit": ["10/h", "off"], "digest": ["hourly", "off"],
    "quiet": ["22:00-07:00", "none"], "tz": ["Europe/Paris", "UTC"],
    "mention": ["123456789012345678", "<@&123>"],
    "source": ["news", "http://localhost/feed", "http://127.0.0.1/feed", "hackernews", "reddit"],
    "what": ["GPU", "r/nvidia", "extra"], "lang": ["fr", "en"], "points": ["10"],
    "name": ["extra", "Informatique quantique"], "interval": ["10m", "1h"],
    "phrase": ["H100", "carte graphique", "gpu*", "qubit"],
    "query": ["gpu", '"IA générative" -crypto', "musk*"], "command": ["subscribe", "keywords"],
}
#: Values that look right but are not, by parameter.
WRONG: dict[str, list[str]] = {
    "tz": ["Europe", "posixrules", "Mars/Olympus", "a" * 300, "__pycache__", "Europe/"],
    "schedule": ["daily@25:99", "weekly", "daily@", "hourly@8"],
    "window": ["07:00-07:00", "25:00-01:00", "22:00"], "rate": ["0/h", "99999/d", "5"],
    "interval": ["1s", "3000000d", "x", "1e400", "-5m"],
    "source": ["ftp://e.org/f", "http://[::1]/", "http://169.254.169.254/",
               "https://" + "a" * 2000, "http://0x7f.1/", "http://user@127.0.0.1:99999/",
               "gopher", "x"],
    "what": ["r/", "@", "#"], "lang": ["klingon", "x" * 30],
    "phrase": ["***", "x" * 250, "GPU", "**"], "topic_id": ["bad/id", "x" * 70, "-x"],
    "name": ["bad/name", "x" * 120], "query": ["(GPU", "OR", "-gpu", '"', "a" * 600],
    "subscription": ["file-sub", "#999999999", "chat-1", "#0"],
}
hostile_text = st.one_of(st.sampled_from(_VALUES), token, quoted, st.text(max_size=40))


def _wrong(param: Param) -> st.SearchStrategy[str]:
    return st.sampled_from(WRONG[param.name]) | hostile_text if param.name in WRONG \
        else hostile_text


def _in_bounds(param: Int) -> st.SearchStrategy[int]:
    return st.integers(param.minimum, param.maximum)


def _as_words(text: str, param: Param, quote: tuple[str, str]) -> str:
    """How a user types ``text`` for ``param``: a phrase in quotes when it has spaces."""
    if param.takes_rest or " " not in text:
        return text
    return quote[0] + text + quote[1]


@st.composite
def _arguments(draw: st.DrawFn, command: Command, typed: bool) -> dict[str, object]:
    """Valid values for most parameters, hostile ones for a few."""
    names = [p.name for p in command.params]
    # (sampled_from rather than integers: hypothesis favours small integers)
    hostile = {draw(st.sampled_from(names)) for _ in range(draw(st.sampled_from([1, 2, 0])))} \
        if names else set()
    arguments: dict[str, object] = {}
    for param in command.params:
        if not param.required and draw(st.booleans()):
            continue
        if param.name in hostile:
            if isinstance(param, Int):
                value: object = draw(number_words | hostile_text) if not typed \
                    else draw(numbers | odd_values | number_words)
            elif isinstance(param, Flag):
                value = True if not typed else draw(odd_values | numbers | hostile_text)
            else:
                value = draw(_wrong(param)) if not typed else draw(
                    _wrong(param) | odd_values | numbers)
        elif isinstance(param, Int):
            value = draw(_in_bounds(param))
        elif isinstance(param, Flag):
            value = True
        elif isinstance(param, Choice):
            value = draw(st.sampled_from(list(param.choices)))
        else:
            value = draw(st.sampled_from(VALID.get(param.name, ["x"])))
        arguments[param.name] = value
    return arguments


@st.composite
def command_lines(draw: st.DrawFn) -> str:
    """Lines: random text, lines around the length limit, and declared commands
    with mostly valid and a few hostile arguments, and noise."""
    kind = draw(st.integers(0, 9))  # small numbers come first: the declared commands
    if kind == 9:
        return draw(st.text(max_size=200))
    if kind == 8:  # around the length limit
        head = draw(st.sampled_from(["search ", "keywords add gpu ", "subscribe ", ""]))
        return head + draw(st.sampled_from(["x", "é", '"', "a b "])) * draw(
            st.integers(1900, 2100))
    if kind == 7:
        noise = draw(st.lists(st.one_of(token, quoted), max_size=8))
        words = [draw(st.sampled_from(_WORDS)), *noise]
    else:
        command = draw(st.sampled_from(list(COMMANDS)))
        arguments = draw(_arguments(command, typed=False))
        quote = draw(st.sampled_from(_QUOTES[:5]))
        words = [w.upper() if draw(st.booleans()) else w for w in command.path]
        for param in command.params:
            if param.name not in arguments:
                continue
            text = str(arguments[param.name])
            if isinstance(param, Flag):
                words.append(f"--{param.name}")
            elif param.option:
                words += [f"--{param.name}", _as_words(text, param, quote)]
            else:
                words.append(_as_words(text, param, quote))
        if draw(st.integers(0, 4)) == 4:
            words.insert(draw(st.integers(0, len(words))), draw(st.one_of(token, quoted)))
    return "".join(w + draw(spaces) for w in words)


@st.composite
def invocations(draw: st.DrawFn) -> tuple[tuple[str, ...], dict[str, object]]:
    """Declared commands with typed arguments, mostly valid and a few hostile
    (any type), unknown ones; and paths that name no command."""
    if draw(st.integers(0, 9)) == 9:
        path = tuple(draw(st.lists(st.sampled_from([*_WORDS, "", "nope", "HELP"]),
                                   max_size=3)))
        return path, draw(st.dictionaries(st.text(max_size=5), odd_values, max_size=3))
    command = draw(st.sampled_from(list(COMMANDS)))
    arguments = draw(_arguments(command, typed=True))
    if draw(st.integers(0, 9)) == 9:
        arguments[draw(st.sampled_from(["nope", "", "__class__", "call"]))] = draw(odd_values)
    return command.path, arguments


@pytest.fixture
async def env(store_url: str) -> AsyncIterator[tuple[Vigie, CommandLayer]]:
    async with FeedServer() as srv:
        srv.add("/feed.xml", FEED)
        config = validate({
            "storage": {"url": store_url},
            "poll": {"first_poll_alerts": True},
            "sources": [{"name": "news", "url": srv.url("/feed.xml")}],
            "topics": {"gpu": {"name": "GPU", "keywords": ["GPU"], "editable": True},
                       "musk": {"name": "Musk", "keywords": ["Musk"]}},
            "subscriptions": [{"name": "file-sub", "topics": ["gpu"],
                               "destination": "discord:C1"}],
            "discord": {"token": "x", "admin_users": ["111111111111111111"]},
        }, env={}, section_validators=section_validators())
        # Fetch the local feed, but keep `sources add` refusing private addresses.
        relaxed = dataclasses.replace(config, fetch=dataclasses.replace(
            config.fetch, allow_private_addresses=True))
        async with make_vigie(relaxed) as vigie:
            vigie.file_config = config
            layer = make_command_layer(vigie)
            for line in ("topic create q Quantique", "keywords add q qubit", "subscribe gpu",
                         'subscribe "IA générative" -crypto --limit 10/h'):
                assert not (await layer.handle(ADMIN, line)).is_error, line
            await vigie.poll_all()
            await vigie.store.pause_subscription("chat-1", "Missing Access")
            yield vigie, layer


async def snapshot(vigie: Vigie) -> tuple[object, ...]:
    """What a command could change: chat edits, the audit log, paused subscriptions."""
    assert vigie.chat is not None
    return (await vigie.chat.load(), await vigie.chat.audit_log("discord:G1", 10_000),
            await vigie.store.paused_subscriptions())


def check(reply: object) -> None:
    assert isinstance(reply, Reply)
    assert isinstance(reply.plain_text(), str)


@pytest.mark.fuzz
@FUZZ
@given(line=command_lines(), admin=st.booleans())
async def test_any_line_gets_a_reply_and_members_change_nothing(
        env: tuple[Vigie, CommandLayer], line: str, admin: bool) -> None:
    vigie, layer = env
    if admin:
        check(await layer.handle(ADMIN, line))
        return
    before = await snapshot(vigie)
    check(await layer.handle(MEMBER, line))
    assert await snapshot(vigie) == before, line


@pytest.mark.fuzz
@FUZZ
@given(invocation=invocations(), admin=st.booleans())
async def test_any_typed_invocation_gets_a_reply_and_members_change_nothing(
        env: tuple[Vigie, CommandLayer], invocation: tuple[tuple[str, ...], dict[str, object]],
        admin: bool) -> None:
    vigie, layer = env
    path, arguments = invocation
    if admin:
        check(await layer.run(ADMIN, path, arguments))
        return
    before = await snapshot(vigie)
    reply = await layer.run(MEMBER, path, arguments)
    check(reply)
    command = COMMANDS.get(path)
    if command is not None and command.admin:
        assert reply.is_error and "only admins" in reply.plain_text()
    assert await snapshot(vigie) == before, invocation


#: Every parameter of every command gets each of these, the others being valid.
EDGE_VALUES: list[object] = [
    "", " ", "\x00", "x\ud800", "²", "9" * 400, "-1", "a" * 2100, '"', "--hours", "<@&>",
    "Europe", "#0", "ǅ\u202e*", None, True, 1.5, 10**30, b"x", ["x"],
]


def _valid(command: Command) -> dict[str, object]:
    return {p.name: (p.minimum if isinstance(p, Int) else
                     next(iter(p.choices)) if isinstance(p, Choice) else
                     VALID.get(p.name, ["x"])[0])
            for p in command.params if p.required}


async def test_every_parameter_takes_every_edge_value(env: tuple[Vigie, CommandLayer]) -> None:
    """The deterministic complement of the fuzzing: each parameter of each
    command, as a line and typed, gets every edge value while the others are
    valid; the answer is always a reply, and a member's changes nothing."""
    vigie, layer = env
    before = await snapshot(vigie)
    for command in COMMANDS:
        for param in command.params:
            for edge in EDGE_VALUES:
                arguments = {**_valid(command), param.name: edge}
                check(await layer.run(MEMBER, command.path, arguments))
    assert await snapshot(vigie) == before
    for command in COMMANDS:
        for param in command.params:
            for edge in EDGE_VALUES:
                arguments = {**_valid(command), param.name: edge}
                check(await layer.run(ADMIN, command.path, arguments))
                if isinstance(edge, str):
                    words = [*command.path]
                    for name, value in arguments.items():
                        p = command.param(name)
                        assert p is not None
                        words += [f"--{name}", str(value)] if p.option else [str(value)]
                    check(await layer.handle(ADMIN, " ".join(words)))
