"""The command layer against a real store (SQLite, and PostgreSQL when configured).

Commands run through :class:`CommandLayer` with plain :class:`Caller` values,
exactly as adapters call it; the feed is served by a real local server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from feedserver import FeedServer

from bot.app import Vigie, make_command_layer, make_vigie
from bot.chat import Caller
from bot.commands import (
    COMMANDS,
    MAX_HOURS,
    Choice,
    CommandLayer,
    CommandTable,
    Flag,
    Int,
    Query,
    RoleId,
    Text,
    tokenize,
)
from bot.commands._grammar import check_arguments, parse_arguments
from bot.config import validate
from bot.exceptions import CommandDeclarationError, CommandError
from bot.replies import Fields, ItemCard, Reply

NOW = format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=True)


def rss(*items: tuple[str, str, str]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>https://news.example/{guid}</link><guid>{guid}</guid>"
        f"<pubDate>{NOW}</pubDate><description>{d}</description></item>"
        for guid, t, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
            f"<link>https://news.example/</link><language>fr</language>{body}</channel></rss>")


FOUNDING = ("a1", "Elon Musk achète 100 000 GPU pour l’IA générative de Twitter",
            "Le patron de Twitter investit dans l’intelligence artificielle générative.")
MUSKRAT = ("a2", "Le rat musqué prolifère", "Les muskrats envahissent les canaux.")
QUANTUM = ("a3", "IBM dévoile un ordinateur quantique", "Un processeur quantique de 1000 qubits.")


def caller(workspace: str = "G1", channel: str = "C1", *, admin: bool = True,
           user: str = "U1", platform: str = "discord", roles: tuple[str, ...] = ()) -> Caller:
    return Caller(platform, workspace, channel, user, f"user-{user}", admin, roles,
                  f"{platform}:{channel}")


def config_for(store_url: str, feed_url: str) -> dict[str, object]:
    return {
        "storage": {"url": store_url},
        "fetch": {"allow_private_addresses": False},
        "poll": {"first_poll_alerts": True},
        "sources": [{"name": "news", "url": feed_url}],
        "topics": {
            "gpu": {"name": "GPU", "keywords": ["GPU"], "editable": True},
            "musk": {"name": "Musk", "keywords": ["Musk"]},
        },
        "subscriptions": [{"name": "file-sub", "topics": ["gpu"], "destination": "console"}],
        "discord": {"token": "x", "admin_roles": ["222222222222222222"],
                    "admin_users": ["111111111111111111"]},
    }


@pytest.fixture
async def env(store_url: str) -> AsyncIterator[tuple[Vigie, CommandLayer, FeedServer]]:
    async with FeedServer() as srv:
        srv.add("/feed.xml", rss(FOUNDING, MUSKRAT))
        from bot._destinations import section_validators

        config = validate(config_for(store_url, srv.url("/feed.xml")), env={},
                          section_validators=section_validators())
        # The feed server is on 127.0.0.1: fetching it needs private addresses
        # allowed, but `sources add` must still refuse them, so only the fetch
        # settings are relaxed here.
        import dataclasses

        fetch_config = config.fetch
        vigie = make_vigie(dataclasses.replace(
            config, fetch=dataclasses.replace(fetch_config, allow_private_addresses=True)))
        # `sources add` reads the policy from the file config: keep it strict.
        vigie.file_config = dataclasses.replace(vigie.file_config, fetch=fetch_config)
        async with vigie:
            yield vigie, make_command_layer(vigie), srv


def text(reply: Reply) -> str:
    return reply.plain_text()


async def run(layer: CommandLayer, line: str, who: Caller | None = None) -> Reply:
    return await layer.handle(who or caller(), line)


# -- grammar ------------------------------------------------------------------


def test_tokenize_quotes_and_raw() -> None:
    toks = tokenize('subscribe "IA générative" OR «GPU Nvidia» --limit 10/h')
    assert [t.value for t in toks] == ["subscribe", "IA générative", "OR", "GPU Nvidia",
                                       "--limit", "10/h"]
    assert toks[1].raw == '"IA générative"'
    with pytest.raises(CommandError, match="unterminated quote at position 11"):
        tokenize('subscribe "IA')


def probe_table() -> CommandTable:
    """A table with one command using every kind of parameter."""
    table = CommandTable()

    @table.command("probe", summary="A probe", params=(
        Choice("mode", "How", choices=("fast", "slow")),
        Query("what", "Words", required=False),
        Int("hours", "Hours", option=True, default=24, minimum=1, maximum=100, metavar="N"),
        Text("tz", "Zone", option=True, metavar="Zone"),
        Flag("all", "Everything"),
        RoleId("mention", "A role", option=True),
    ))
    async def probe(call: object, *, mode: str, what: str | None, hours: int, tz: str | None,
                    all: bool, mention: str | None) -> Reply:
        return Reply.text("probed")

    return table


def test_arguments_come_from_the_declarations() -> None:
    (probe,) = probe_table()
    assert probe.usage == ("probe <mode> [what] [--hours N] [--tz Zone] [--all] "
                           "[--mention <mention>]")

    def parse(line: str) -> dict[str, object]:
        return parse_arguments(probe, tokenize(line))

    assert parse('FAST gpu "IA  générative" --hours 12 --tz Europe/Paris --all') == {
        "mode": "fast", "what": 'gpu "IA générative"', "hours": 12, "tz": "Europe/Paris",
        "all": True, "mention": None}
    assert parse("slow --mention <@&123>") == {
        "mode": "slow", "what": None, "hours": 24, "tz": None, "all": False, "mention": "123"}
    for bad, message in [("fast --hours 0", "--hours takes a whole number from 1 to 100"),
                         ("fast --hours x", "whole number"),
                         ("fast --hours ²", "whole number"),  # a digit to isdigit(), not to int()
                         ("fast --hours " + "9" * 40, "whole number"),
                         ("fast --nope 1", "unknown option --nope"),
                         ("fast --hours", "--hours needs a value"),
                         ("medium", "<mode> takes one of: fast, slow"),
                         ("", "`probe` needs <mode>"),
                         ("fast --mention @@", "--mention takes a role id")]:
        with pytest.raises(CommandError, match=message):
            parse(bad)
    # Typed arguments get the same checks, and the same messages.
    assert check_arguments(probe, {"mode": "Slow", "hours": 3, "all": None}) == {
        "mode": "slow", "what": None, "hours": 3, "tz": None, "all": False, "mention": None}
    for typed, message in [({"mode": "fast", "hours": True}, "whole number from 1 to 100"),
                           ({"mode": "fast", "hours": 10**30}, "whole number from 1 to 100"),
                           ({"mode": "fast", "hours": "12"}, "whole number from 1 to 100"),
                           ({"mode": "fast", "all": "yes"}, "--all is a flag"),
                           ({"mode": 3}, "<mode> takes text"),
                           ({"mode": "fast", "what": "a\x00b"}, "control character"),
                           ({"mode": "fast", "what": "x" * 2001}, "longer than 2,000"),
                           ({"mode": "fast", "nope": 1}, "has no parameter 'nope'"),
                           ({"what": "gpu"}, "needs <mode>")]:
        with pytest.raises(CommandError, match=message):
            check_arguments(probe, typed)


def test_a_declaration_disagreeing_with_its_handler_fails_at_once() -> None:
    table = CommandTable()

    async def wrong_type(call: object, *, hours: str) -> Reply:
        return Reply.text("")

    async def missing(call: object) -> Reply:
        return Reply.text("")

    hours = Int("hours", "Hours", option=True, default=1, minimum=1, maximum=2)
    with pytest.raises(CommandDeclarationError, match="hours is typed"):
        table.command("a", summary="A", params=(hours,))(wrong_type)
    with pytest.raises(CommandDeclarationError, match="keyword-only parameters must be exactly"):
        table.command("b", summary="B", params=(hours,))(missing)
    with pytest.raises(CommandDeclarationError, match="declare the group"):
        table.command("c d", summary="C")(missing)
    with pytest.raises(CommandDeclarationError, match="put it last"):
        table.command("e", summary="E", params=(Query("q", "Q"), Text("t", "T")))(missing)
    with pytest.raises(CommandDeclarationError, match="1 to 100 characters"):
        table.command("f", summary="F" * 101)(missing)
    assert len(table) == 0


def test_the_declared_commands() -> None:
    assert set(COMMANDS.names) == {
        "help", "topics", "list", "recent", "search", "status", "subscribe", "unsubscribe",
        "digest", "quiet", "limit", "resume", "topic", "keywords", "exclude", "sources", "audit"}
    recent = COMMANDS.get(("recent",))
    assert recent is not None and recent.usage == \
        "recent [topic-id | query] [--hours N] [--limit N]"
    hours = recent.param("hours")
    assert isinstance(hours, Int) and hours.maximum == MAX_HOURS == 24 * 365
    admin_listed_generally = {c.name for c in COMMANDS if c.admin and c.listing == "general"}
    assert admin_listed_generally == {"subscribe", "unsubscribe"}
    assert {c.name for c in COMMANDS if not c.admin} == {
        "help", "topics", "list", "recent", "search", "status"}


# -- commands -----------------------------------------------------------------


async def test_help_topics_and_unknown_command(env: tuple[Vigie, CommandLayer, FeedServer]
                                               ) -> None:
    _, layer, _ = env
    assert "subscribe (admin)" in text(await run(layer, "help"))
    assert "subscribe musk --digest" in text(await run(layer, "help subscribe"))
    topics = text(await run(layer, "topics", caller(admin=False)))
    assert "gpu (GPU)" in topics and "Musk" in topics
    reply = await run(layer, "frobnicate")
    assert reply.is_error and reply.ephemeral and "unknown command 'frobnicate'" in text(reply)


async def test_non_admin_is_refused_and_nothing_changes(
    env: tuple[Vigie, CommandLayer, FeedServer]
) -> None:
    vigie, layer, _ = env
    member = caller(admin=False)
    for line in ("subscribe gpu", "keywords add gpu H100", "topic create q Q",
                 "sources add https://example.org/feed", "audit", "limit #1 10/h"):
        reply = await run(layer, line, member)
        assert reply.is_error and "only admins" in text(reply), line
    assert vigie.chat is not None
    state = await vigie.chat.load()
    assert state.subscriptions == () and state.topics == () and state.version == 0
    assert "No changes" in text(await run(layer, "audit"))
    # Configured admin users and roles are admins without the platform flag.
    assert not (await run(layer, "audit", caller(admin=False, user="111111111111111111"))).is_error
    role_admin = caller(admin=False, roles=("222222222222222222",))
    assert not (await run(layer, "audit", role_admin)).is_error


async def test_subscribe_poll_recent_search_edit_audit(
    env: tuple[Vigie, CommandLayer, FeedServer]
) -> None:
    vigie, layer, srv = env
    reply = await run(layer, "subscribe musk --limit 10/h")
    assert not reply.is_error and reply.ephemeral, text(reply)
    assert "Subscribed this channel to topic Musk (#1) · limit 10/h" in text(reply)
    assert "already has that subscription" in text(await run(layer, "subscribe musk"))
    assert "#1" in text(await run(layer, "list"))
    everything = await run(layer, "list --all")
    assert "#1 in C1" in text(everything) and everything.ephemeral
    assert "only admins" in text(await run(layer, "list --all", caller(admin=False)))
    assert "#1" not in text(await run(layer, "list --all", caller("G2")))

    results = await vigie.poll_all()
    assert [len(r.matches) for r in results] == [1]
    # The file's own subscription (gpu → console) matches too.
    assert {a.destination for m in results[0].matches for a in m.alerts} == {"discord:C1",
                                                                             "console"}

    recent = await run(layer, "recent")
    cards = [b for b in recent.blocks if isinstance(b, ItemCard)]
    assert [c.title for c in cards] == [FOUNDING[1]]
    assert cards[0].topics == ("GPU", "Musk")  # every topic the item matched
    assert cards[0].title[slice(*cards[0].title_highlights[0])] == "Musk"

    search = await run(layer, "search générative", caller(admin=False))
    cards = [b for b in search.blocks if isinstance(b, ItemCard)]
    assert [c.title for c in cards] == [FOUNDING[1]]
    assert not search.ephemeral
    assert "No stored item" in text(await run(layer, "search muskrat -rat"))
    bad = await run(layer, "search (GPU")
    assert bad.is_error and "position" in text(bad)

    # An admin edit changes what the next poll matches, without a restart.
    topic = await run(layer, 'topic create quantum "Informatique quantique"')
    assert "Created topic quantum" in text(topic)
    assert "Now: qubit" in text(await run(layer, "keywords add quantum qubit"))
    assert not (await run(layer, "subscribe quantum")).is_error
    srv.add("/feed.xml", rss(FOUNDING, MUSKRAT, QUANTUM))
    results = await vigie.poll_all()
    titles = {m.item.title: m for m in results[0].matches}
    assert set(titles) == {QUANTUM[1]}
    assert titles[QUANTUM[1]].topics == ("discord:G1/quantum",)
    assert titles[QUANTUM[1]].subscriptions == ("chat-2",)

    audit = text(await run(layer, "audit"))
    assert "user-U1 · keywords add quantum: [] → [\"qubit\"]" in audit
    assert "subscribe #1" in audit and "topic create quantum" in audit


async def test_tenant_isolation(env: tuple[Vigie, CommandLayer, FeedServer]) -> None:
    _, layer, _ = env
    a, b = caller("GA", "CA"), caller("GB", "CB")
    assert not (await run(layer, "topic create secret Secret", a)).is_error
    assert not (await run(layer, "keywords add secret Musk", a)).is_error
    assert not (await run(layer, "subscribe secret", a)).is_error
    # B sees neither A's topic nor A's subscription nor A's audit log ...
    assert "secret" not in text(await run(layer, "topics", b))
    # (a word that is no visible topic is a query: B gets a query, not A's topic)
    assert "to query secret (#2)" in text(await run(layer, "subscribe secret", b))
    assert "no subscription '#1'" in text(await run(layer, "unsubscribe #1", b))
    assert "no subscription" in text(await run(layer, "limit #1 5/h", b))
    audit_b = text(await run(layer, "audit", b))
    assert "subscribe #2" in audit_b
    assert "topic create" not in audit_b and "keywords add" not in audit_b
    assert "no topic" in text(await run(layer, "keywords add secret x", b))
    assert "created in this workspace" in text(await run(layer, "topic delete secret", b))
    # ... and may create its own topic with the same id.
    assert not (await run(layer, "topic create secret Other", b)).is_error
    assert "Secret" in text(await run(layer, "topics", a))
    assert "Other" in text(await run(layer, "topics", b))
    # Completions are per tenant too.
    assert await layer.complete(a, "subscription", "#") == ["#1"]
    assert await layer.complete(b, "subscription", "") == ["#2"]


async def test_validation_of_bad_input(env: tuple[Vigie, CommandLayer, FeedServer]) -> None:
    vigie, layer, _ = env
    cases = {
        "keywords add nope x": "no topic 'nope'",
        "keywords add musk x": "read-only from chat",
        "keywords add gpu " + "x" * 300: "longer than 200",
        "keywords add gpu ***": "no letters or digits",
        "keywords add gpu GPU": "already has 'GPU'",
        "exclude remove gpu mining": "has no exclude",
        "topic create bad/id": "topic ids use",
        "topic create gpu": "already exists",
        "subscribe (GPU": "bad query: ",
        "subscribe gpu --limit lots": "--limit:",
        "subscribe gpu --tz Mars/Olympus": "not an IANA time zone",
        "sources add ftp://example.org/feed": "refused",
        "sources add http://127.0.0.1/feed": "refused",
        "sources add http://169.254.169.254/latest": "refused",
        "sources add http://[::1]/feed": "refused",
        "sources add http://localhost/feed": "refused",
        "sources add https://example.org/feed --interval 5s": "at least 10s and at most 30d",
        "sources add https://example.org/feed --interval 3000000d": "at most 30d",
        "recent --hours 0": "from 1 to",
        "search": "search what?",
        "x" * 3000: "limit is 2000",
        "unsubscribe #99": "no subscription",
        "digest #1": "usage",
    }
    for line, message in cases.items():
        reply = await run(layer, line)
        assert reply.is_error, line
        assert message in text(reply), (line, text(reply))
    assert vigie.chat is not None
    assert (await vigie.chat.load()).version == 0  # nothing was written


async def test_markup_and_sql_characters_are_data(env: tuple[Vigie, CommandLayer, FeedServer]
                                                  ) -> None:
    vigie, layer, _ = env
    evil = "'; DROP TABLE items; -- <@everyone> __bold__ `code` &amp;"
    reply = await run(layer, f'keywords add gpu "{evil}"')
    assert not reply.is_error, text(reply)
    assert evil in (vigie.config.topic("gpu") or pytest.fail()).keywords
    assert not (await run(layer, f'search "{evil}"')).is_error
    assert await vigie.store.count_items() >= 0  # the table is still there


async def test_editable_config_topic_and_options(env: tuple[Vigie, CommandLayer, FeedServer]
                                                 ) -> None:
    vigie, layer, _ = env
    assert not (await run(layer, "keywords add gpu H100")).is_error
    assert (vigie.config.topic("gpu") or pytest.fail()).keywords == ("GPU", "H100")
    assert not (await run(layer, "subscribe gpu")).is_error
    r = await run(layer, "digest #1 daily@08:30 --tz Europe/Paris")
    assert "#1: digest daily@08:30 (Europe/Paris)" in text(r)
    assert "not a digest" in text(await run(layer, "digest #1 weekly"))
    assert "#1: quiet 22:00-07:00" in text(await run(layer, "quiet #1 22:00-07:00"))
    assert "limit off" in text(await run(layer, "limit #1 off"))
    listing = next(b for b in (await run(layer, "list")).blocks if isinstance(b, Fields))
    described = dict(listing.pairs)["#1"]
    assert "digest daily@08:30" in described and "timezone Europe/Paris" in described
    sub = next(s for s in vigie.config.subscriptions if s.name == "chat-1")
    assert sub.options.as_strings() == {"digest": "daily@08:30", "quiet": "22:00-07:00",
                                        "timezone": "Europe/Paris"}
    assert "Unsubscribed: #1" in text(await run(layer, "unsubscribe gpu"))
    console = Caller("console", "console", "console", "me", is_platform_admin=True,
                     destination="console")
    assert "from the configuration file" in text(await run(layer, "unsubscribe file-sub",
                                                           console))


async def test_sources_commands(env: tuple[Vigie, CommandLayer, FeedServer]) -> None:
    _, layer, _ = env
    listing = text(await run(layer, "sources list"))
    assert "news" in listing and "not polled yet" in listing
    tested = text(await run(layer, "sources test news"))
    assert "2 items, 1 would match now" in tested and "Musk" in tested
    assert "from the configuration file" in text(await run(layer, "sources remove news"))


async def test_status_counts(env: tuple[Vigie, CommandLayer, FeedServer]) -> None:
    vigie, layer, _ = env
    await vigie.poll_all()
    status = text(await run(layer, "status", caller(admin=False)))
    assert "1 healthy, 0 failing" in status
    assert "Items today: 2" in status

