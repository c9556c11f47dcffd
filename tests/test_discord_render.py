"""Rendering alerts and replies as Discord messages: limits, escaping, mentions.

Payloads are checked with the local Discord's own validator
(``fakes.discord_server.validate_message``), the code that answers 400 to
discord.py in the end-to-end tests.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fakes.discord_server import embed_size, pinged, validate_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord.markup import (
    AUTHOR_LIMIT,
    CONTENT_LIMIT,
    DEFAULT_PALETTE,
    DESCRIPTION_LIMIT,
    EMBEDS_PER_MESSAGE,
    TITLE_LIMIT,
    emphasise,
    escape,
    fit,
    parse_color,
    role_id,
    safe_url,
    topic_color,
)
from adapters.discord.render import (
    card_embed,
    digest_line,
    render_alert,
    render_digest,
    render_reply,
    render_reply_pages,
)
from adapters.discord.settings import settings_problems
from bot.options import SubscriptionOptions
from bot.replies import Code, Fields, Heading, ItemCard, Reply, Text
from bot.types import Alert, AlertDigest, DigestKind, Item

ROLE = "412345678901234567"


def make_alert(*, title: str = "Nvidia unveils the H100 GPU", lead: str = "The GPU is fast.",
               url: str | None = "https://example.org/h100", image: str | None = None,
               source: str = "numerama", topics: tuple[str, ...] = ("gpu",),
               names: tuple[str, ...] = ("GPUs",), terms: tuple[str, ...] = ("GPU",),
               lead_spans: tuple[tuple[int, int], ...] = (),
               options: dict[str, str] | None = None,
               published: datetime | None = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)) -> Alert:
    item = Item(source=source, key="guid-1", url=url, title=title, summary_text=lead,
                content_text="", lead=lead, published=published, language="en", image=image)
    return Alert(item=item, subscription="gpu-news", destination="discord:1", topics=topics,
                 topic_names=names, matched_terms=terms, lead_highlights=lead_spans,
                 options=SubscriptionOptions(**(options or {})))


# -- the embed ---------------------------------------------------------------------


def test_alert_embed_has_every_part() -> None:
    lead = "The GPU is fast."
    msg = render_alert(make_alert(lead=lead, lead_spans=((4, 7),),
                                   image="https://img.example.org/x.png"))
    assert msg.content is None
    assert msg.allowed_mentions == {"parse": []}
    (embed,) = msg.embeds
    assert embed["title"] == "Nvidia unveils the H100 GPU"
    assert embed["url"] == "https://example.org/h100"
    assert embed["description"] == "The **GPU** is fast."
    assert embed["author"] == {"name": "numerama"}
    assert embed["fields"] == [{"name": "Topic", "value": "GPUs", "inline": True}]
    assert embed["footer"] == {"text": "Matched: GPU"}
    assert embed["timestamp"] == "2025-03-01T09:30:00+00:00"
    assert embed["thumbnail"] == {"url": "https://img.example.org/x.png"}
    assert embed["color"] in DEFAULT_PALETTE
    assert validate_message(msg.payload()) is None


def test_several_topics_are_listed() -> None:
    msg = render_alert(make_alert(topics=("gpu", "ai"), names=("GPUs", "AI")))
    assert msg.embeds[0]["fields"][0] == {"name": "Topics", "value": "GPUs, AI", "inline": True}


def test_optional_parts_are_left_out() -> None:
    msg = render_alert(make_alert(url=None, lead="", published=None, terms=(), topics=(),
                                   names=()))
    embed = msg.embeds[0]
    for key in ("url", "description", "timestamp", "footer", "fields", "thumbnail"):
        assert key not in embed
    assert validate_message(msg.payload()) is None


def test_unsafe_urls_are_dropped() -> None:
    for bad in ("javascript:alert(1)", "ftp://example.org/x", "https://exa mple.org",
                "data:image/png;base64,AAAA", "https://" + "a" * 2100, "//example.org/x"):
        embed = render_alert(make_alert(url=bad, image=bad)).embeds[0]
        assert "url" not in embed and "thumbnail" not in embed, bad


def test_empty_title_gets_a_placeholder() -> None:
    assert render_alert(make_alert(title="  \n ")).embeds[0]["title"] == "(no title)"


def test_topic_colours_are_configurable_and_stable() -> None:
    colors = {"gpu": 0x76B900}
    assert render_alert(make_alert(), colors=colors).embeds[0]["color"] == 0x76B900
    # The second topic's colour is used when the first has none.
    assert topic_color(("ai", "gpu"), colors) == 0x76B900
    # Unconfigured: the same topic always gets the same palette colour.
    assert topic_color(("ai",), {}) == topic_color(("ai",), {})
    assert topic_color(("ai",), {}) in DEFAULT_PALETTE
    assert topic_color((), {}, "sub") in DEFAULT_PALETTE


def test_parse_color() -> None:
    assert parse_color("#76b900") == 0x76B900
    assert parse_color("76B900") == 0x76B900
    assert parse_color(0x123456) == 0x123456
    for bad in ("green", "#12345", 0x1000000, -1, True, 1.5):
        try:
            parse_color(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} accepted")


# -- limits --------------------------------------------------------------------------


def test_every_limit_is_respected_by_cutting_at_words() -> None:
    words = "lorem ipsum dolor sit amet " * 400
    msg = render_alert(make_alert(title=words, lead=words, source=words, names=(words,) * 3,
                                   terms=tuple(f"term{i}" for i in range(500))))
    embed = msg.embeds[0]
    assert len(embed["title"]) <= TITLE_LIMIT and embed["title"].endswith("…")
    assert len(embed["description"]) <= DESCRIPTION_LIMIT
    assert embed["description"].endswith("…")
    # Cut after a whole word, not inside one.
    assert embed["description"][:-1].split()[-1] in {"lorem", "ipsum", "dolor", "sit", "amet"}
    assert len(embed["author"]["name"]) <= AUTHOR_LIMIT
    assert embed_size(embed) <= 6000
    assert validate_message(msg.payload()) is None


def test_escaping_counts_toward_the_limit() -> None:
    # Every character needs a backslash: the escaped text must still fit.
    msg = render_alert(make_alert(lead="*_" * 5000, title="|" * 1000))
    embed = msg.embeds[0]
    assert len(embed["description"]) <= DESCRIPTION_LIMIT
    assert len(embed["title"]) <= TITLE_LIMIT
    assert validate_message(msg.payload()) is None


def test_fit_never_splits_an_escape_or_leaves_bold_open() -> None:
    text = "GPU " * 3000
    spans = tuple((i * 4, i * 4 + 3) for i in range(3000))
    out = fit(text, 100, spans)
    assert len(out) <= 100
    assert out.endswith("…")
    assert out[:-1].count("**") % 2 == 0


# -- escaping and mentions ------------------------------------------------------------


def test_markdown_in_feed_text_is_escaped() -> None:
    assert escape("**bold** _it_ ~~s~~ ||spoiler|| `code`") == \
        "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\|\\|spoiler\\|\\| \\`code\\`"
    # A masked link loses its brackets, so it shows as text.
    assert escape("[click me](https://evil.example)") == \
        "\\[click me\\](https://evil.example)"
    # Headings, subtext, quotes and lists only at the start of a line.
    assert escape("# Title\n-# small\n> quote\n- item\n1. first\nC# and a-b > c") == \
        "\\# Title\n\\-# small\n\\> quote\n\\- item\n1\\. first\nC# and a-b > c"
    assert escape("a backslash \\ stays visible") == "a backslash \\\\ stays visible"


def test_bare_urls_stay_clickable() -> None:
    url = "https://example.org/a_b*c"
    assert escape(f"see {url} now") == f"see {url} now"


def test_mentions_in_feed_text_are_neutralised() -> None:
    text = "@everyone @here <@123456789012345678> <@!123456789012345678> " \
           "<@&123456789012345678> <#123456789012345678> </vigie:1> <t:1700000000>"
    out = escape(text)
    assert "@everyone" not in out and "@here" not in out
    assert "@\u200beveryone" in out and "@\u200bhere" in out
    # Every '<' that could open a mention, channel, command or timestamp is escaped.
    assert re.search(r"(?<!\\)<", out) is None


def test_feed_text_never_pings() -> None:
    evil = "@everyone <@&412345678901234567> <@123456789012345678> @here"
    msg = render_alert(make_alert(title=evil, lead=evil, source=evil, names=(evil,),
                                   terms=(evil,)))
    assert msg.content is None
    assert msg.allowed_mentions == {"parse": []}
    assert pinged(msg.payload()) == (False, [], [])


def test_the_subscription_role_is_the_only_ping() -> None:
    evil = "@everyone <@&999999999999999999>"
    msg = render_alert(make_alert(lead=evil, options={"mention": ROLE}))
    assert msg.content == f"<@&{ROLE}>"
    assert msg.allowed_mentions == {"parse": [], "roles": [ROLE]}
    assert pinged(msg.payload()) == (False, [ROLE], [])
    assert validate_message(msg.payload()) is None


def test_role_mention_option_forms() -> None:
    assert role_id(ROLE) == ROLE
    assert role_id(f"<@&{ROLE}>") == ROLE
    for bad in ("", None, "@everyone", "everyone", "<@123456789012345678>", "12", "abc"):
        assert role_id(bad) is None
    # A bad option pings nobody rather than failing.
    msg = render_alert(make_alert(options={"mention": "@everyone"}))
    assert msg.content is None and msg.allowed_mentions == {"parse": []}


def test_control_and_bidi_characters_are_removed() -> None:
    msg = render_alert(make_alert(title="a\u202eb\x00c\x1b[31m", lead="x\u2066y"))
    assert msg.embeds[0]["title"] == "abc\\[31m"
    assert msg.embeds[0]["description"] == "xy"


def test_emphasis_ignores_bad_spans_and_merges_overlaps() -> None:
    assert emphasise("abc def", ((0, 3), (2, 5), (9, 12), (4, 2))) == "**abc d**ef"
    assert emphasise("abc def", ((3, 4),)) == "abc def"  # only a space: nothing to bold
    assert emphasise("a b", ((0, 3),)) == "**a b**"


def test_safe_url() -> None:
    assert safe_url("https://example.org/x?y=1") == "https://example.org/x?y=1"
    assert safe_url("HTTP://EXAMPLE.ORG") == "HTTP://EXAMPLE.ORG"
    assert safe_url("https://[::1") is None
    assert safe_url(None) is None


# -- replies ---------------------------------------------------------------------------


def card(i: int, **kw: object) -> ItemCard:
    base: dict[str, object] = dict(title=f"Item {i}", url=f"https://example.org/{i}",
                                   source="src", published=datetime(2025, 1, 1, tzinfo=UTC),
                                   topics=("GPUs",), summary=f"Summary {i}")
    base.update(kw)
    return ItemCard(**base)  # type: ignore[arg-type]


def test_reply_text_blocks_become_content() -> None:
    reply = Reply((Heading("Subscriptions"), Text("gpu *here*", emphasis=((0, 3),)),
                   Fields((("topic", "gpu"), ("limit", "10/h"))), Code("a = 1\n```x")))
    (page,) = render_reply(reply)
    assert page.embeds == ()
    assert page.content is not None
    assert page.content.startswith("**Subscriptions**\n\n**gpu** \\*here\\*")
    assert "**topic**: gpu\n**limit**: 10/h" in page.content
    assert page.content.endswith("```\na = 1\n``\u200b`x\n```")
    assert validate_message(page.payload()) is None


def test_reply_cards_become_embeds_ten_per_message() -> None:
    reply = Reply((Heading("Recent"), *[card(i) for i in range(23)]))
    pages = render_reply(reply)
    assert [len(p.embeds) for p in pages] == [10, 10, 3]
    assert pages[0].content == "**Recent**"
    assert pages[1].content is None
    assert [e["title"] for p in pages for e in p.embeds] == [f"Item {i}" for i in range(23)]
    for p in pages:
        assert validate_message(p.payload()) is None


def test_reply_pages_respect_6000_characters() -> None:
    long = "word " * 2000
    pages = render_reply(Reply(tuple(card(i, summary=long) for i in range(5))))
    assert len(pages) >= 3
    for p in pages:
        assert sum(embed_size(e) for e in p.embeds) <= 6000
        assert validate_message(p.payload()) is None


def test_text_after_cards_starts_a_new_message() -> None:
    pages = render_reply(Reply((card(1), Text("more"))))
    assert [(p.content, len(p.embeds)) for p in pages] == [(None, 1), ("more", 0)]


def test_long_text_is_split_into_messages() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(200))
    pages = render_reply(Reply.text(text))
    assert len(pages) > 1
    for p in pages:
        assert p.content is not None and len(p.content) <= CONTENT_LIMIT
    joined = "\n".join(p.content or "" for p in pages)
    assert "line 0 " in joined and "line 199 " in joined


def test_empty_reply_is_still_a_valid_message() -> None:
    (page,) = render_reply(Reply(()))
    assert validate_message(page.payload()) is None


def test_card_embed_from_search_hit_is_valid() -> None:
    embed = card_embed(card(1, title_highlights=((0, 4),), summary_highlights=((0, 7),),
                            matched_terms=("item",)), color=1)
    assert embed["description"] == "**Summary** 1"
    assert embed["footer"] == {"text": "Matched: item"}


# -- pages -----------------------------------------------------------------------------


def test_a_reply_that_fits_is_one_page_without_counter() -> None:
    reply = Reply((Heading("Recent"), *[card(i) for i in range(10)]))
    assert render_reply_pages(reply) == render_reply(reply)
    (page,) = render_reply_pages(reply)
    assert page.content == "**Recent**"


def test_pages_carry_a_counter_and_the_heading() -> None:
    pages = render_reply_pages(Reply((Heading("Recent"), *[card(i) for i in range(23)])))
    assert [p.content for p in pages] == [f"**Recent**\n\nPage {i}/3" for i in (1, 2, 3)]
    assert [len(p.embeds) for p in pages] == [10, 10, 3]
    assert [e["title"] for p in pages for e in p.embeds] == [f"Item {i}" for i in range(23)]


def test_pages_hold_fewer_cards_when_the_6000_require() -> None:
    long = "word " * 2000
    pages = render_reply_pages(Reply((Heading("Search"),
                                      *(card(i, summary=long) for i in range(5)))))
    assert len(pages) >= 3 and all(len(p.embeds) < EMBEDS_PER_MESSAGE for p in pages)
    assert sum(len(p.embeds) for p in pages) == 5
    for number, p in enumerate(pages, start=1):
        assert sum(embed_size(e) for e in p.embeds) <= 6000
        assert p.content == f"**Search**\n\nPage {number}/{len(pages)}"
        assert validate_message(p.payload()) is None


def test_pages_without_a_heading_show_the_counter_alone() -> None:
    pages = render_reply_pages(Reply(tuple(card(i) for i in range(11))))
    assert [p.content for p in pages] == ["Page 1/2", "Page 2/2"]


def test_text_pages_keep_room_for_the_counter() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(200))
    pages = render_reply_pages(Reply((Heading("Audit log"), Text(text))))
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert page.content is not None and len(page.content) <= CONTENT_LIMIT
        assert page.content.endswith(f"\n\nPage {number}/{len(pages)}")
        assert validate_message(page.payload()) is None
    assert pages[0].content is not None and pages[0].content.startswith("**Audit log**")


# -- digests -----------------------------------------------------------------------------


def digest_alert_n(i: int, *, topic: str = "gpu", name: str = "GPUs", title: str | None = None,
                   url: str = "", source: str = "numerama",
                   title_spans: tuple[tuple[int, int], ...] = ()) -> Alert:
    item = Item(source=source, key=f"k{i}", url=url or f"https://example.org/{i}",
                title=f"Item {i}" if title is None else title, summary_text="",
                content_text="", lead="", published=None, language="en")
    return Alert(item=item, subscription="gpu-news", destination="discord:1", topics=(topic,),
                 topic_names=(name,), matched_terms=("GPU",), title_highlights=title_spans)


def make_digest_of(alerts: list[Alert], *, kind: DigestKind = "digest",
                   title: str = "Hourly digest: items matched GPUs",
                   options: dict[str, str] | None = None) -> AlertDigest:
    return AlertDigest(kind=kind, subscription="gpu-news", destination="discord:1",
                       title=title, alerts=tuple(alerts),
                       options=SubscriptionOptions(**(options or {})))


def test_digest_lists_linked_titles_by_topic() -> None:
    alerts = [digest_alert_n(1), digest_alert_n(2, topic="ai", name="AI"), digest_alert_n(3)]
    msg = render_digest(make_digest_of(alerts), colors={"ai": 0x00FF00})
    assert msg.content == "**Hourly digest: items matched GPUs**"
    assert msg.allowed_mentions == {"parse": []}
    gpus, ai = msg.embeds
    assert gpus["title"] == "GPUs (2)" and ai["title"] == "AI (1)"
    assert gpus["description"] == ("• [Item 1](https://example.org/1) · numerama\n"
                                   "• [Item 3](https://example.org/3) · numerama")
    assert ai["color"] == 0x00FF00 and gpus["color"] in DEFAULT_PALETTE
    assert validate_message(msg.payload()) is None


def test_digest_line_escapes_and_keeps_links_whole() -> None:
    alert = digest_alert_n(1, title="**GPU** [x](https://e.org) @everyone",
                           url="https://example.org/a_(b)<c>?q=@here", source="src_*1*",
                           title_spans=((2, 5),))
    line = digest_line(alert)
    assert line == ("• [\\*\\***GPU**\\*\\* \\[x\\](https://e.org) @\u200beveryone]"
                    "(https://example.org/a_%28b%29%3Cc%3E?q=%40here) · src\\_\\*1\\*")
    assert digest_line(digest_alert_n(2, url="javascript:alert(1)", title="")) \
        == "• (no title) · numerama"
    assert digest_line(digest_alert_n(3, url="https://e.org/" + "a" * 700)) \
        == "• Item 3 · numerama"


def test_a_rollup_lists_its_first_few() -> None:
    alerts = [digest_alert_n(i) for i in range(8)]
    msg = render_digest(make_digest_of(alerts, kind="overflow",
                                        title="8 more items matched GPUs in the last hour"))
    (embed,) = msg.embeds
    lines = embed["description"].split("\n")
    assert lines == [f"• [Item {i}](https://example.org/{i}) · numerama" for i in range(5)] \
        + ["… and 3 more"]
    assert msg.content == "**8 more items matched GPUs in the last hour**"


def test_a_digest_of_many_topics_keeps_to_ten_embeds() -> None:
    alerts = [digest_alert_n(i, topic=f"t{i}", name=f"Topic {i}") for i in range(15)]
    msg = render_digest(make_digest_of(alerts))
    assert len(msg.embeds) == EMBEDS_PER_MESSAGE
    assert msg.embeds[-1]["description"].endswith("\n… and 5 more")
    assert validate_message(msg.payload()) is None


def test_a_digest_role_is_its_only_ping() -> None:
    alerts = [digest_alert_n(1, title="@everyone <@&999999999999999999>")]
    msg = render_digest(make_digest_of(alerts, title="@here digest",
                                        options={"mention": f"<@&{ROLE}>"}))
    assert msg.content == f"<@&{ROLE}> **@\u200bhere digest**"
    assert pinged(msg.payload()) == (False, [ROLE], [])


# -- settings --------------------------------------------------------------------------


def test_settings_problems_accepts_a_full_table() -> None:
    table = {"token": "abc.def.ghi", "guilds": ["123456789012345678", 223456789012345678],
             "admin_roles": ["323456789012345678"], "admin_users": [],
             "api_base": "http://127.0.0.1:1/api/v10", "gateway_url": "ws://127.0.0.1:1/",
             "colors": {"gpu": "#76b900", "ai": 0x00FF00}, "webhook_username": "Vigie",
             "webhook_avatar_url": "https://example.org/a.png", "sync_commands": False}
    assert settings_problems(table) == []


def test_settings_problems_reports_every_problem_without_the_token() -> None:
    secret = "Bot SECRET-TOKEN-VALUE"
    table = {"token": secret, "guilds": ["general"], "admin_roles": "123",
             "api_base": "ftp://x", "gateway_url": "https://gateway", "colors": {"gpu": "green"},
             "webhook_username": "Discord bot", "webhook_avatar_url": 3,
             "sync_commands": "yes", "tokn": "x"}
    problems = dict(settings_problems(table))
    assert set(problems) == {"token", "guilds[0]", "admin_roles", "api_base", "gateway_url",
                             "colors.gpu", "webhook_username", "webhook_avatar_url",
                             "sync_commands", "tokn"}
    assert problems["tokn"] == "unknown key"
    assert all("SECRET" not in m for m in problems.values())


# -- fuzzing: any alert gives a message Discord accepts ---------------------------------

_ALPHABET = st.characters(exclude_categories=["Cs"])
_NASTY = st.sampled_from(["@everyone", "@here", "<@&412345678901234567>", "<@1234567890123456>",
                          "**", "__", "`", "```", "[x](https://e.org)", "\n# ", "\n> ", "\\",
                          "https://example.org/a_b", "\u202e", "\x00", "é", "💥", " ", "\n"])
_TEXT = st.lists(st.one_of(st.text(_ALPHABET, max_size=40), _NASTY), max_size=60).map("".join)
_LONG = st.one_of(_TEXT, st.builds(lambda s, n: s * n, _TEXT, st.integers(1, 400)))
_SPANS = st.lists(st.tuples(st.integers(-5, 9000), st.integers(-5, 9000)), max_size=8).map(tuple)
_URL = st.one_of(st.none(), st.just("https://example.org/x"), st.text(max_size=30))


@st.composite
def alerts(draw: st.DrawFn) -> Alert:
    n_topics = draw(st.integers(0, 4))
    return make_alert(
        title=draw(_LONG), lead=draw(_LONG), url=draw(_URL), image=draw(_URL),
        source=draw(_TEXT), topics=tuple(draw(st.lists(_TEXT, min_size=n_topics,
                                                        max_size=n_topics))),
        names=tuple(draw(st.lists(_LONG, min_size=n_topics, max_size=n_topics))),
        terms=tuple(draw(st.lists(_LONG, max_size=30))), lead_spans=draw(_SPANS),
        options=draw(st.sampled_from([{}, {"mention": ROLE}, {"mention": "@everyone"}])),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts())
def test_any_alert_renders_to_a_message_discord_accepts(alert: Alert) -> None:
    payload = render_alert(alert).payload()
    assert validate_message(payload) is None, validate_message(payload)
    everyone, roles, users = pinged(payload)
    assert not everyone and not users
    assert roles == ([ROLE] if alert.options.mention == ROLE else [])
    for embed in payload["embeds"]:
        for text in (embed.get("title", ""), embed.get("description", "")):
            assert "@everyone" not in text and "@here" not in text
            assert re.search(r"(?<!\\)<[@#]", text) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(
    st.builds(Heading, _LONG), st.builds(Text, _LONG, _SPANS), st.builds(Code, _LONG),
    st.builds(Fields, st.lists(st.tuples(_TEXT, _LONG), max_size=30).map(tuple)),
    st.builds(lambda t, s: card(0, title=t, summary=s), _LONG, _LONG),
), max_size=25))
def test_any_reply_renders_to_messages_discord_accepts(blocks: list[object]) -> None:
    reply = Reply(tuple(blocks))  # type: ignore[arg-type]
    pages = render_reply(reply)
    assert pages
    for page in pages:
        payload = page.payload()
        assert validate_message(payload) is None, validate_message(payload)
        assert len(page.embeds) <= EMBEDS_PER_MESSAGE
        assert pinged(payload) == (False, [], [])
    paged = render_reply_pages(reply)
    if len(pages) == 1:
        assert paged == pages
    for number, page in enumerate(paged, start=1):
        payload = page.payload()
        assert validate_message(payload) is None, validate_message(payload)
        assert pinged(payload) == (False, [], [])
        if len(paged) > 1:
            assert page.content is not None
            assert page.content.endswith(f"Page {number}/{len(paged)}")
        else:
            assert "Page 1/1" not in (page.content or "")


@st.composite
def digests(draw: st.DrawFn) -> AlertDigest:
    names = draw(st.lists(_TEXT, min_size=1, max_size=14))
    alerts = [digest_alert_n(i, topic=f"t{names.index(name)}", name=name, title=draw(_LONG),
                             url=draw(_URL) or "", source=draw(_TEXT),
                             title_spans=draw(_SPANS))
              for i, name in enumerate(draw(st.lists(st.sampled_from(names), min_size=1,
                                                     max_size=40)))]
    return make_digest_of(alerts, kind=draw(st.sampled_from(["digest", "quiet", "overflow"])),
                          title=draw(_LONG), options=draw(st.sampled_from([
                              {}, {"mention": ROLE}, {"mention": "@everyone"}])))


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(digests())
def test_any_digest_renders_to_a_message_discord_accepts(digest: AlertDigest) -> None:
    message = render_digest(digest)
    payload = message.payload()
    assert validate_message(payload) is None, validate_message(payload)
    assert pinged(payload) == (False, [ROLE] if digest.options.mention == ROLE else [],
                               [])
    # Every item is either listed or counted in the closing line.
    lines = [line for e in message.embeds for line in e["description"].split("\n")]
    listed = [line for line in lines if line.startswith("• ")]
    rest = len(digest.alerts) - len(listed)
    assert listed and lines == [*listed, *([f"… and {rest} more"] if rest else [])]
    if digest.kind == "overflow":
        assert len(listed) <= 5
    for embed in message.embeds:
        for text in (embed.get("title", ""), embed["description"]):
            assert "@everyone" not in text and "@here" not in text
            assert re.search(r"(?<!\\)<[@#]", text) is None
