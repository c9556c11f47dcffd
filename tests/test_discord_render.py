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

from adapters.discord.render import (
    AUTHOR_LIMIT,
    CONTENT_LIMIT,
    DEFAULT_PALETTE,
    DESCRIPTION_LIMIT,
    EMBEDS_PER_MESSAGE,
    TITLE_LIMIT,
    alert_message,
    card_embed,
    emphasise,
    escape,
    fit,
    parse_color,
    reply_messages,
    role_id,
    safe_url,
    topic_color,
)
from adapters.discord.settings import validate_settings
from bot.replies import Code, Fields, Heading, ItemCard, Reply, Text
from bot.types import Alert, Item

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
                 options=options or {})


# -- the embed ---------------------------------------------------------------------


def test_alert_embed_has_every_part() -> None:
    lead = "The GPU is fast."
    msg = alert_message(make_alert(lead=lead, lead_spans=((4, 7),),
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
    msg = alert_message(make_alert(topics=("gpu", "ai"), names=("GPUs", "AI")))
    assert msg.embeds[0]["fields"][0] == {"name": "Topics", "value": "GPUs, AI", "inline": True}


def test_optional_parts_are_left_out() -> None:
    msg = alert_message(make_alert(url=None, lead="", published=None, terms=(), topics=(),
                                   names=()))
    embed = msg.embeds[0]
    for key in ("url", "description", "timestamp", "footer", "fields", "thumbnail"):
        assert key not in embed
    assert validate_message(msg.payload()) is None


def test_unsafe_urls_are_dropped() -> None:
    for bad in ("javascript:alert(1)", "ftp://example.org/x", "https://exa mple.org",
                "data:image/png;base64,AAAA", "https://" + "a" * 2100, "//example.org/x"):
        embed = alert_message(make_alert(url=bad, image=bad)).embeds[0]
        assert "url" not in embed and "thumbnail" not in embed, bad


def test_empty_title_gets_a_placeholder() -> None:
    assert alert_message(make_alert(title="  \n ")).embeds[0]["title"] == "(no title)"


def test_topic_colours_are_configurable_and_stable() -> None:
    colors = {"gpu": 0x76B900}
    assert alert_message(make_alert(), colors=colors).embeds[0]["color"] == 0x76B900
    # The second topic's colour is used when the first has none.
    assert topic_color(("ai", "gpu"), colors) == 0x76B900
    # Unconfigured: the same topic always gets the same palette colour.
    assert topic_color(("ai",), {}) == topic_color(("ai",), {})
    assert topic_color(("ai",), {}) in DEFAULT_PALETTE
    assert topic_color((), {}, "sub") in DEFAULT_PALETTE
    # A subscription's own colour option wins.
    msg = alert_message(make_alert(options={"color": "#ff0000"}), colors=colors)
    assert msg.embeds[0]["color"] == 0xFF0000


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
    msg = alert_message(make_alert(title=words, lead=words, source=words, names=(words,) * 3,
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
    msg = alert_message(make_alert(lead="*_" * 5000, title="|" * 1000))
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
    msg = alert_message(make_alert(title=evil, lead=evil, source=evil, names=(evil,),
                                   terms=(evil,)))
    assert msg.content is None
    assert msg.allowed_mentions == {"parse": []}
    assert pinged(msg.payload()) == (False, [], [])


def test_the_subscription_role_is_the_only_ping() -> None:
    evil = "@everyone <@&999999999999999999>"
    msg = alert_message(make_alert(lead=evil, options={"mention": ROLE}))
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
    msg = alert_message(make_alert(options={"mention": "@everyone"}))
    assert msg.content is None and msg.allowed_mentions == {"parse": []}


def test_control_and_bidi_characters_are_removed() -> None:
    msg = alert_message(make_alert(title="a\u202eb\x00c\x1b[31m", lead="x\u2066y"))
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
    (page,) = reply_messages(reply)
    assert page.embeds == ()
    assert page.content is not None
    assert page.content.startswith("**Subscriptions**\n\n**gpu** \\*here\\*")
    assert "**topic**: gpu\n**limit**: 10/h" in page.content
    assert page.content.endswith("```\na = 1\n``\u200b`x\n```")
    assert validate_message(page.payload()) is None


def test_reply_cards_become_embeds_ten_per_message() -> None:
    reply = Reply((Heading("Recent"), *[card(i) for i in range(23)]))
    pages = reply_messages(reply)
    assert [len(p.embeds) for p in pages] == [10, 10, 3]
    assert pages[0].content == "**Recent**"
    assert pages[1].content is None
    assert [e["title"] for p in pages for e in p.embeds] == [f"Item {i}" for i in range(23)]
    for p in pages:
        assert validate_message(p.payload()) is None


def test_reply_pages_respect_6000_characters() -> None:
    long = "word " * 2000
    pages = reply_messages(Reply(tuple(card(i, summary=long) for i in range(5))))
    assert len(pages) >= 3
    for p in pages:
        assert sum(embed_size(e) for e in p.embeds) <= 6000
        assert validate_message(p.payload()) is None


def test_text_after_cards_starts_a_new_message() -> None:
    pages = reply_messages(Reply((card(1), Text("more"))))
    assert [(p.content, len(p.embeds)) for p in pages] == [(None, 1), ("more", 0)]


def test_long_text_is_split_into_messages() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(200))
    pages = reply_messages(Reply.text(text))
    assert len(pages) > 1
    for p in pages:
        assert p.content is not None and len(p.content) <= CONTENT_LIMIT
    joined = "\n".join(p.content or "" for p in pages)
    assert "line 0 " in joined and "line 199 " in joined


def test_empty_reply_is_still_a_valid_message() -> None:
    (page,) = reply_messages(Reply(()))
    assert validate_message(page.payload()) is None


def test_card_embed_from_search_hit_is_valid() -> None:
    embed = card_embed(card(1, title_highlights=((0, 4),), summary_highlights=((0, 7),),
                            matched_terms=("item",)), color=1)
    assert embed["description"] == "**Summary** 1"
    assert embed["footer"] == {"text": "Matched: item"}


# -- settings --------------------------------------------------------------------------


def test_validate_settings_accepts_a_full_table() -> None:
    table = {"token": "abc.def.ghi", "guilds": ["123456789012345678", 223456789012345678],
             "admin_roles": ["323456789012345678"], "admin_users": [],
             "api_base": "http://127.0.0.1:1/api/v10", "gateway_url": "ws://127.0.0.1:1/",
             "colors": {"gpu": "#76b900", "ai": 0x00FF00}, "webhook_username": "Vigie",
             "webhook_avatar_url": "https://example.org/a.png", "sync_commands": False}
    assert validate_settings(table) == []


def test_validate_settings_reports_every_problem_without_the_token() -> None:
    secret = "Bot SECRET-TOKEN-VALUE"
    table = {"token": secret, "guilds": ["general"], "admin_roles": "123",
             "api_base": "ftp://x", "gateway_url": "https://gateway", "colors": {"gpu": "green"},
             "webhook_username": "Discord bot", "webhook_avatar_url": 3,
             "sync_commands": "yes", "tokn": "x"}
    problems = dict(validate_settings(table))
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
        options=draw(st.sampled_from([{}, {"mention": ROLE}, {"mention": "@everyone"},
                                      {"color": "nope"}, {"color": "#010203"}])),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts())
def test_any_alert_renders_to_a_message_discord_accepts(alert: Alert) -> None:
    payload = alert_message(alert).payload()
    assert validate_message(payload) is None, validate_message(payload)
    everyone, roles, users = pinged(payload)
    assert not everyone and not users
    assert roles == ([ROLE] if alert.options.get("mention") == ROLE else [])
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
    pages = reply_messages(Reply(tuple(blocks)))  # type: ignore[arg-type]
    assert pages
    for page in pages:
        payload = page.payload()
        assert validate_message(payload) is None, validate_message(payload)
        assert len(page.embeds) <= EMBEDS_PER_MESSAGE
        assert pinged(payload) == (False, [], [])
