"""Block Kit rendering of alerts and replies: structure, escaping, limits.

Every payload built here is checked with the fake Slack's validator, which runs
slack_sdk's block models plus the limits Slack enforces.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from typing import Any

from fakes.slack_server import block_problem, mentions, message_problem, message_problem_detail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack.markup import (
    HEADER_TEXT_LIMIT,
    MAX_BLOCKS,
    SECTION_TEXT_LIMIT,
    escape,
    mrkdwn,
    safe_url,
)
from adapters.slack.render import render_alert, render_digest, render_reply
from bot._outbox import make_digest
from bot.options import SubscriptionOptions
from bot.plugins import LISTED_IN_ROLLUP
from bot.replies import Code, Fields, Heading, ItemCard, Reply, Text
from bot.types import Alert, AlertDigest, DigestKind, Item

WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
FORMAT_CHARS = "*_~`"


def make_alert(
    *, title: str = "Nvidia unveils a new GPU", lead: str = "The GPU maker announced Blackwell.",
    url: str | None = "https://news.example/gpu?id=1&ref=rss", source: str = "Example News",
    image: str | None = None, topics: tuple[str, ...] = ("GPU",),
    lead_highlights: tuple[tuple[int, int], ...] = (), published: datetime | None = WHEN,
    matched_terms: tuple[str, ...] = ("gpu",),
) -> Alert:
    item = Item(
        source=source, key="k1", url=url, title=title, summary_text=lead, content_text="",
        lead=lead, published=published, language="en", image=image,
    )
    return Alert(
        item=item, subscription="newsroom", destination="slack:C0NEWS", topics=("gpu",),
        topic_names=topics, matched_terms=matched_terms, lead_highlights=lead_highlights,
    )


def assert_valid(payload: dict[str, Any]) -> None:
    code, detail = message_problem_detail(payload)
    assert code is None, detail


def section_text(payload: dict[str, Any], index: int = 0) -> str:
    return str(payload["blocks"][index]["text"]["text"])


def all_mrkdwn(payload: dict[str, Any]) -> list[str]:
    out = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [e["text"] for e in block.get("elements", []) if "text" in e]
    return out


# -- alerts ------------------------------------------------------------------------


def test_alert_layout() -> None:
    lead = "The GPU maker announced Blackwell."
    payload = render_alert(make_alert(
        lead=lead, lead_highlights=((4, 7),), image="https://img.example/gpu.png"))
    assert_valid(payload)
    section, context = payload["blocks"]
    text = section["text"]["text"]
    assert section["text"]["verbatim"] is True
    assert text.startswith(
        "*<https://news.example/gpu?id=1&amp;ref=rss|Nvidia unveils a new GPU>*\n")
    assert text.endswith("The *GPU* maker announced Blackwell.")
    assert section["accessory"] == {"type": "image", "image_url": "https://img.example/gpu.png",
                                    "alt_text": "Nvidia unveils a new GPU"}
    elements = [e["text"] for e in context["elements"]]
    assert elements[0] == "*Example News*"
    assert elements[1] == "<!date^1714566600^{date_short_pretty} {time}|2024-05-01 12:30 UTC>"
    assert elements[2] == "Topics: GPU"
    assert payload["text"] == "Nvidia unveils a new GPU — Example News"
    assert payload["unfurl_links"] is False and payload["unfurl_media"] is False


def test_unfurl_is_explicit_and_configurable() -> None:
    payload = render_alert(make_alert(), unfurl=True)
    assert payload["unfurl_links"] is True and payload["unfurl_media"] is True


def test_undated_item_without_url_or_topics() -> None:
    payload = render_alert(make_alert(url=None, published=None, topics=(), image=None))
    assert_valid(payload)
    assert section_text(payload).startswith("*Nvidia unveils a new GPU*\n")
    elements = [e["text"] for e in payload["blocks"][1]["elements"]]
    assert elements == ["*Example News*", "undated", "Matched: gpu"]
    assert "accessory" not in payload["blocks"][0]


def test_highlight_widens_to_the_whole_word() -> None:
    # Slack bolds only at word boundaries: "GPUs" is bolded whole.
    assert mrkdwn("Les GPUs de Nvidia", [(4, 7)]) == "Les *GPUs* de Nvidia"
    assert mrkdwn("GPU GPU", [(0, 3), (4, 7)]) == "*GPU* *GPU*"
    assert mrkdwn("a  GPU  b", [(1, 7)]) == "a  *GPU*  b"
    assert mrkdwn("one\ntwo", [(0, 7)]) == "*one*\n*two*"
    # Out-of-range and empty spans are ignored, not fatal.
    assert mrkdwn("GPU", [(2, 1), (5, 9), (-1, 2)]) == "GPU"


def test_emphasis_cannot_be_broken_by_feed_text() -> None:
    lead = "5*3 = 15, _so_ ~what~ `code` *GPU* boom"
    start = lead.index("GPU")
    text = mrkdwn(lead, [(start, start + 3)])
    # The only formatting characters left are the pair added around the term.
    assert [c for c in text if c in FORMAT_CHARS] == ["*", "*"]
    assert "*GPU*" in text
    payload = render_alert(make_alert(title="*bold* _it_ `x`", lead=lead,
                                      lead_highlights=((start, start + 3),)))
    body = section_text(payload)
    assert body.count("*") == 4  # title's bold pair + the term's pair
    assert not any(c in body for c in "_~`")


def test_escaping_of_feed_text() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    payload = render_alert(make_alert(title="AT&T <b>buys</b>", lead="x < y & z > w",
                                      source="R&D <News>", topics=("Q&A",)))
    assert_valid(payload)
    text = section_text(payload)
    assert "|AT&amp;T &lt;b&gt;buys&lt;/b&gt;>*" in text
    assert text.endswith("x &lt; y &amp; z &gt; w")
    assert payload["blocks"][1]["elements"][0]["text"] == "*R&amp;D &lt;News&gt;*"


HOSTILE = [
    "<!channel>", "<!here>", "<!everyone>", "<@U024BE7LH>", "<#C024BE91L>",
    "<!subteam^S012AB3CD|@team>", "&lt;!channel&gt;", "&lt;@U024BE7LH&gt;",
    "&amp;lt;!here&amp;gt;", "<!channel|x>", "@channel", "@here", "@everyone",
    "<<!channel>>", "<https://evil.example|click>", "<!date^1^{date}|x>", "\u202e<!here>",
]


def test_feed_text_never_notifies_anyone() -> None:
    for hostile in HOSTILE:
        alert = make_alert(title=f"t {hostile}", lead=f"l {hostile} GPU", source=f"s {hostile}",
                           topics=(f"topic {hostile}",), lead_highlights=((0, 40),))
        payload = render_alert(alert)
        assert_valid(payload)
        assert mentions(payload) == [], hostile
        for text in all_mrkdwn(payload):
            # Only Vigie's own link and date tokens may open an angle bracket.
            for token in re.findall(r"<[^>]*>", text):
                assert token.startswith(("<https://news.example/", "<!date^1714566600^")), token


def test_links_only_with_http_schemes() -> None:
    for url in ["javascript:alert(1)", "slack://open?team=T1", "data:text/html,x",
                "file:///etc/passwd", "//evil.example/x", "https://user:pw@evil.example/",
                "ftp://example.com/", "not a url", "https://"]:
        assert safe_url(url) is None, url
        payload = render_alert(make_alert(url=url, image=url))
        assert_valid(payload)
        assert section_text(payload).startswith("*Nvidia unveils a new GPU*")
        assert "accessory" not in payload["blocks"][0]


def test_url_cannot_close_the_link_early() -> None:
    url = "https://example.com/a b|c>d<e\"f?q=1&r=2#frag"
    safe = safe_url(url)
    assert safe == "https://example.com/a%20b%7Cc%3Ed%3Ce%22f?q=1&amp;r=2#frag"
    assert safe_url("https://bücher.example/ü") == "https://xn--bcher-kva.example/%C3%BC"
    assert safe_url("HTTPS://Example.com:8443/x") == "https://example.com:8443/x"
    assert safe_url("http://[::1]:8080/a") == "http://[::1]:8080/a"


def test_long_text_is_cut_at_a_word_boundary_within_limits() -> None:
    title = "Title & words " * 100
    lead = "A & b <c> " * 1000
    payload = render_alert(make_alert(title=title, lead=lead, topics=("T & t " * 200,),
                                      source="S&S " * 200, lead_highlights=((0, 1),)))
    assert_valid(payload)
    text = section_text(payload)
    assert len(text) <= SECTION_TEXT_LIMIT
    head, body = text.split("\n", 1)
    assert head.endswith("…>*")
    assert body.startswith("*A*")
    assert body.endswith("…")
    # The cut never splits an escape sequence or a word.
    assert re.search(r"&(?!amp;|lt;|gt;)", text) is None
    assert body[:-1].rstrip().endswith(("b", "&lt;c&gt;", "&amp;", "A"))
    for element in payload["blocks"][1]["elements"]:
        assert len(element["text"]) <= 320


def test_control_characters_are_removed() -> None:
    payload = render_alert(make_alert(title="a\x1b[31mred\u202e b", lead="x\x00y"))
    assert_valid(payload)
    assert "\x1b" not in section_text(payload) and "\u202e" not in section_text(payload)
    assert section_text(payload).endswith("xy")


# -- property: any alert gives a payload Slack accepts ---------------------------------

_texts = st.text(
    alphabet=st.one_of(st.sampled_from(list("<>&|*_~`@!#^: \n\t")), st.characters()),
    max_size=400,
)
_urls = st.one_of(
    st.none(), _texts,
    st.builds(lambda s: "https://example.com/" + s, _texts),
    st.builds(lambda s: "http://xn--e1a.example/?" + s, _texts),
    st.sampled_from(["javascript:x", "slack://x", "https://"]),
)
_spans = st.lists(st.tuples(st.integers(-5, 500), st.integers(-5, 500)), max_size=6).map(tuple)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.one_of(_texts, st.text(min_size=2000, max_size=5000)), lead=_texts,
    source=_texts, url=_urls, image=_urls, topics=st.lists(_texts, max_size=12).map(tuple),
    spans=_spans, published=st.one_of(st.none(), st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))),
    unfurl=st.booleans(), long_lead=st.booleans(),
)
def test_any_alert_renders_to_an_accepted_payload(
    title: str, lead: str, source: str, url: str | None, image: str | None,
    topics: tuple[str, ...], spans: tuple[tuple[int, int], ...], published: datetime | None,
    unfurl: bool, long_lead: bool,
) -> None:
    if long_lead:
        lead = (lead + " & ") * 40
    alert = make_alert(title=title, lead=lead, url=url, source=source, image=image,
                       topics=topics, lead_highlights=spans, published=published)
    payload = render_alert(alert, unfurl=unfurl)
    assert message_problem(payload) is None, message_problem_detail(payload)
    assert mentions(payload) == []
    assert payload["unfurl_links"] is unfurl


# -- replies ---------------------------------------------------------------------------


def test_reply_blocks() -> None:
    card = ItemCard.from_alert(make_alert(lead_highlights=((4, 7),)))
    reply = Reply((
        Heading("Recent items for #news " + "x" * 200),
        Text("Found 2 items <!channel>", emphasis=((6, 7),)),
        Fields(tuple((f"key {i}", f"value & {i}") for i in range(12))),
        Code("topic = \"gpu\"\nquery = '```<!here>```'"),
        card,
    ))
    payload = render_reply(reply)
    assert_valid(payload)
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "section", "section", "section", "section", "section", "context"]
    header = payload["blocks"][0]["text"]
    assert header["type"] == "plain_text" and len(header["text"]) <= 150
    assert header["text"].endswith("…")
    assert payload["blocks"][1]["text"]["text"] == "Found *2* items &lt;!channel&gt;"
    fields = [payload["blocks"][2]["fields"], payload["blocks"][3]["fields"]]
    assert [len(f) for f in fields] == [10, 2]
    assert fields[0][0]["text"] == "*key 0*\nvalue &amp; 0"
    code = payload["blocks"][4]["text"]["text"]
    assert code.startswith("```\n") and code.endswith("\n```")
    assert "```" not in code[4:-4] and "&lt;!here&gt;" in code
    assert "*GPU*" in payload["blocks"][5]["text"]["text"]
    assert mentions(payload) == []
    assert "Found 2 items &lt;!channel&gt;" in payload["text"]


def test_reply_code_spans_become_inline_code() -> None:
    # The command layer writes `subscribe gpu`; on Slack that is inline code.
    text = "only admins can use `subscribe`: try `list <!here> *x*` or `help`, GPU"
    start = text.index("GPU")
    payload = render_reply(Reply((
        Text(text, emphasis=((start, start + 3), (text.index("list"), text.index("list") + 4))),
        Fields((("sources", "`test` shows what a feed would match"),)),
    )))
    assert_valid(payload)
    assert mentions(payload) == []
    assert section_text(payload) == (
        "only admins can use `subscribe`: try `list &lt;!here&gt; *x*` or `help`, *GPU*")
    assert payload["blocks"][1]["fields"][0]["text"] == (
        "*sources*\n`test` shows what a feed would match")
    # An unpaired backtick stays inert; feed text (alerts) never gets code.
    assert section_text(render_reply(Reply((Text("a ` b"),)))) == "a \u02cb b"
    assert "`" not in section_text(render_alert(make_alert(lead="run `rm -rf` now")))


def test_long_reply_text_is_split_not_lost() -> None:
    words = [f"w{i}&" for i in range(2000)]
    text = " ".join(words)
    payload = render_reply(Reply((Text(text, emphasis=((0, 2), (len(text) - 5, len(text)))),)))
    assert_valid(payload)
    sections = [b["text"]["text"] for b in payload["blocks"]]
    assert len(sections) > 1 and all(len(s) <= SECTION_TEXT_LIMIT for s in sections)
    joined = " ".join(sections).replace("*", "").replace("&amp;", "&")
    assert joined.split() == words
    assert sections[0].startswith("*w0*&amp; w1") and sections[-1].endswith("*w1999&amp;*")


def test_long_code_is_split_in_fenced_blocks() -> None:
    lines = [f"line {i} <&>" for i in range(800)]
    payload = render_reply(Reply((Code("\n".join(lines)),)))
    assert_valid(payload)
    bodies = [b["text"]["text"] for b in payload["blocks"]]
    assert len(bodies) > 1
    assert all(b.startswith("```\n") and b.endswith("\n```") for b in bodies)
    got = "\n".join(b[4:-4] for b in bodies).replace("&lt;", "<").replace("&gt;", ">")
    assert got.replace("&amp;", "&").split("\n") == lines


def test_too_many_blocks_are_cut_with_a_notice() -> None:
    cards = tuple(ItemCard.from_alert(make_alert(title=f"item {i}")) for i in range(40))
    payload = render_reply(Reply(cards))
    assert_valid(payload)
    assert len(payload["blocks"]) == MAX_BLOCKS
    assert "cut to fit" in payload["blocks"][-1]["elements"][0]["text"]
    # The text fallback still lists everything.
    assert "item 39" in payload["text"]


def test_empty_blocks_are_skipped() -> None:
    payload = render_reply(Reply((Heading("  "), Text(""), Code("\n"), Fields((("", " "),)))))
    assert payload["blocks"] == []
    assert message_problem({**payload, "text": payload["text"] or " "}) is None


_blocks = st.one_of(
    st.builds(Heading, _texts),
    st.builds(Text, st.one_of(_texts, st.text(min_size=3000, max_size=7000)), _spans),
    st.builds(Code, st.one_of(_texts, st.text(min_size=3000, max_size=7000))),
    st.builds(Fields, st.lists(st.tuples(_texts, _texts), max_size=25).map(tuple)),
    st.builds(lambda t, s, u: ItemCard(title=t, url=u, source=s, published=WHEN, summary=t),
              _texts, _texts, _urls),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks=st.lists(_blocks, max_size=60).map(tuple), ephemeral=st.booleans())
def test_any_reply_renders_to_an_accepted_payload(blocks: tuple[Any, ...], ephemeral: bool) -> None:
    payload = render_reply(Reply(blocks, ephemeral=ephemeral))
    if not payload["blocks"] and not payload["text"].strip():
        return
    assert message_problem(payload) is None, message_problem_detail(payload)
    assert mentions(payload) == []
    for block in payload["blocks"]:
        assert block_problem(block) is None


def test_spans_survive_control_characters() -> None:
    lead = "\x00 a\x1b GPU b"
    start = lead.index("GPU")
    payload = render_alert(make_alert(lead=lead, lead_highlights=((start, start + 3),)))
    assert section_text(payload).endswith("\na *GPU* b")
    reply = render_reply(Reply((Text("\x07x GPU", emphasis=((3, 6),)),)))
    assert reply["blocks"][0]["text"]["text"] == "x *GPU*"


# -- digests ---------------------------------------------------------------------------


def digest_alert(
    i: int, *, topic: str = "GPU", source: str = "Example News", title: str | None = None,
    url: str | None = "", published: datetime | None = WHEN,
) -> Alert:
    """The ``i``-th alert of a digest (its own key, URL and minute)."""
    base = make_alert(title=f"Item {i}" if title is None else title, source=source,
                      topics=(topic,) if topic else (),
                      url=f"https://news.example/{i}?a=1&b=2" if url == "" else url,
                      published=published and published.replace(minute=i % 60))
    return dataclasses.replace(base, item=dataclasses.replace(base.item, key=f"k{i}"))


def digest_of(alerts: list[Alert], kind: DigestKind = "digest",
              options: dict[str, str] | None = None) -> AlertDigest:
    """A digest as the outbox makes it (its real title)."""
    return make_digest(kind, "newsroom", "slack:C0NEWS", alerts, SubscriptionOptions.parse(
        options if options is not None else {"digest": "daily@08:30"}))


def listed_lines(payload: dict[str, Any]) -> list[str]:
    """The item lines of a digest's sections ("• …")."""
    return [line for b in payload["blocks"] if b["type"] == "section"
            for line in b["text"]["text"].split("\n") if line.startswith("• ")]


def more_count(payload: dict[str, Any]) -> int:
    last = payload["blocks"][-1]
    if last["type"] != "context":
        return 0
    m = re.fullmatch(r"… and (\d+) more", last["elements"][0]["text"])
    return int(m.group(1)) if m else 0


def test_digest_layout() -> None:
    alerts = [digest_alert(1), digest_alert(2, topic="IA", source="Le Monde"),
              digest_alert(3, source="Other & Co")]
    payload = render_digest(digest_of(alerts))
    assert_valid(payload)
    assert [b["type"] for b in payload["blocks"]] == [
        "header", "section", "context", "section", "context"]
    header = payload["blocks"][0]["text"]
    assert header == {"type": "plain_text", "text": "Daily digest: 3 items matched GPU or IA",
                      "emoji": True}
    gpu, ia = payload["blocks"][1]["text"], payload["blocks"][3]["text"]
    assert gpu["verbatim"] is True
    # Two sources in the topic: each line names its own.
    assert gpu["text"] == (
        "*GPU*\n"
        "• <https://news.example/1?a=1&amp;b=2|Item 1> — Example News\n"
        "• <https://news.example/3?a=1&amp;b=2|Item 3> — Other &amp; Co")
    # One source: named once, in the context line.
    assert ia["text"] == "*IA*\n• <https://news.example/2?a=1&amp;b=2|Item 2>"
    gpu_context = [e["text"] for e in payload["blocks"][2]["elements"]]
    assert gpu_context == [
        "2 items from 2 sources",
        "<!date^1714564860^{date_short_pretty} {time}|2024-05-01 12:01 UTC> – "
        "<!date^1714564980^{date_short_pretty} {time}|2024-05-01 12:03 UTC>"]
    ia_context = [e["text"] for e in payload["blocks"][4]["elements"]]
    assert ia_context == [
        "1 item from *Le Monde*",
        "<!date^1714564920^{date_short_pretty} {time}|2024-05-01 12:02 UTC>"]
    assert payload["text"] == (
        "Daily digest: 3 items matched GPU or IA\n• Item 1 (Example News)\n"
        "• Item 2 (Le Monde)\n• Item 3 (Other &amp; Co)")
    assert payload["unfurl_links"] is False and payload["unfurl_media"] is False
    assert render_digest(digest_of(alerts), unfurl=True)["unfurl_media"] is True


def test_digest_titles_of_each_kind_are_the_header() -> None:
    alerts = [digest_alert(i) for i in range(14)]
    cases: list[tuple[DigestKind, dict[str, str], str]] = [
        ("digest", {"digest": "daily@08:30"}, "Daily digest: 14 items matched GPU"),
        ("quiet", {"quiet": "22:00-07:00"}, "14 items matched GPU during quiet hours"),
        ("overflow", {"limit": "10/h"}, "14 more items matched GPU in the last hour"),
    ]
    for kind, options, title in cases:
        payload = render_digest(digest_of(alerts, kind, options))
        assert_valid(payload)
        assert payload["blocks"][0]["text"]["text"] == title
        assert payload["text"].startswith(title + "\n• Item 0 (Example News)")
    # Any title, whatever its length or content, makes a valid header.
    long = dataclasses.replace(digest_of(alerts), title="While you were away " * 20)
    header = render_digest(long)["blocks"][0]["text"]["text"]
    assert len(header) <= HEADER_TEXT_LIMIT and header.endswith("…")
    assert header[:-1].split()[-1] in ("While", "you", "were", "away")  # cut between words
    blank = dataclasses.replace(digest_of(alerts), title=" \n\x00")
    assert render_digest(blank)["blocks"][0]["text"]["text"] == "Vigie digest"


def test_digest_lists_every_item_by_topic_in_order() -> None:
    alerts = [digest_alert(i, topic=("GPU", "IA", "Cloud")[i % 3]) for i in range(14)]
    payload = render_digest(digest_of(alerts))
    assert_valid(payload)
    headings = [b["text"]["text"].split("\n")[0] for b in payload["blocks"]
                if b["type"] == "section"]
    assert headings == ["*GPU*", "*IA*", "*Cloud*"]
    order = [int(re.search(r"\|Item (\d+)>", line).group(1))  # type: ignore[union-attr]
             for line in listed_lines(payload)]
    assert order == [0, 3, 6, 9, 12, 1, 4, 7, 10, 13, 2, 5, 8, 11]
    assert more_count(payload) == 0


def test_rollup_lists_its_first_links_and_counts_the_rest() -> None:
    alerts = [digest_alert(i, topic="GPU" if i % 2 else "IA") for i in range(14)]
    payload = render_digest(digest_of(alerts, "overflow", {"limit": "10/h"}))
    assert_valid(payload)
    lines = listed_lines(payload)
    assert len(lines) == LISTED_IN_ROLLUP
    assert {f"Item {i}>" for i in range(LISTED_IN_ROLLUP)} == {
        line.rsplit("|", 1)[1] for line in lines}
    assert more_count(payload) == 14 - LISTED_IN_ROLLUP
    assert payload["text"].endswith(f"• Item 4 (Example News)\n… and {14 - LISTED_IN_ROLLUP} more")


def test_digest_feed_text_never_notifies_anyone() -> None:
    alerts = [digest_alert(i, title=f"t {h}", source=f"s {h}", topic=f"topic {h}",
                           url=f"https://news.example/{i}?q={h}")
              for i, h in enumerate(HOSTILE)]
    alerts.append(digest_alert(99, title="*bold* _it_ ~s~ `code`", topic="*GPU*_"))
    payload = render_digest(dataclasses.replace(
        digest_of(alerts), title="<!channel> @here digest"))
    assert_valid(payload)
    assert mentions(payload) == []
    assert more_count(payload) == 0 and len(listed_lines(payload)) == len(alerts)
    # plain_text is never parsed for mentions: the header shows the title as written.
    header = payload["blocks"][0]
    assert header["text"]["type"] == "plain_text"
    assert header["text"]["text"] == "<!channel> @here digest"
    assert payload["text"].startswith("&lt;!channel&gt; @\u2060here digest\n")
    for text in all_mrkdwn({**payload, "blocks": payload["blocks"][1:]}):
        # Only Vigie's own link and date tokens may open an angle bracket.
        for token in re.findall(r"<[^>]*>", text):
            assert token.startswith(("<https://news.example/", "<!date^")), token
    # The only formatting characters are Vigie's own bold pairs (topic headings, sources).
    last = payload["blocks"][-2]["text"]["text"]
    assert last == "*∗GPU∗ˍ*\n• <https://news.example/99?a=1&amp;b=2|∗bold∗ ˍitˍ ∼s∼ ˋcodeˋ>"


def test_digest_links_only_with_http_schemes() -> None:
    bad = ["javascript:alert(1)", "slack://open?team=T1", "data:text/html,x",
           "https://user:pw@evil.example/", "not a url", None]
    alerts = [digest_alert(i, url=url, title=f"Item {i}") for i, url in enumerate(bad)]
    payload = render_digest(digest_of(alerts))
    assert_valid(payload)
    assert listed_lines(payload) == [f"• Item {i}" for i in range(len(bad))]
    # Nor does the notification text carry a URL Slack could auto-link.
    assert "javascript" not in payload["text"] and "slack://" not in payload["text"]


def test_undated_and_untitled_items() -> None:
    alerts = [digest_alert(1, title=" ", published=None, source=""),
              digest_alert(2, published=None, topic="")]
    payload = render_digest(digest_of(alerts))
    assert_valid(payload)
    # No topic name: grouped under the subscription's name.
    assert [b["text"]["text"].split("\n")[0] for b in payload["blocks"]
            if b["type"] == "section"] == ["*GPU*", "*newsroom*"]
    assert [e["text"] for e in payload["blocks"][2]["elements"]] == ["1 item"]
    assert listed_lines(payload)[0] == "• <https://news.example/1?a=1&amp;b=2|(no title)>"


def test_a_big_digest_fits_slack_and_counts_what_it_cannot_show() -> None:
    # 200 items (the outbox's most) in 80 topics: far more than 50 blocks' worth.
    alerts = [digest_alert(i, topic=f"topic {i % 80}") for i in range(200)]
    payload = render_digest(digest_of(alerts))
    assert_valid(payload)
    assert len(payload["blocks"]) <= MAX_BLOCKS
    assert len(listed_lines(payload)) + more_count(payload) == 200
    assert more_count(payload) > 0
    assert len(payload["text"]) <= 3000 and payload["text"].endswith("…")


def test_a_long_topic_spans_several_sections_within_limits() -> None:
    title = "A very long & winding <title> about GPUs " * 20
    alerts = [digest_alert(i, title=title, url=f"https://news.example/{'x' * 1500}/{i}")
              for i in range(60)]
    payload = render_digest(digest_of(alerts))
    assert_valid(payload)
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert len(sections) > 2 and all(len(s) <= SECTION_TEXT_LIMIT for s in sections)
    assert sections[0].startswith("*GPU*\n") and not sections[1].startswith("*")
    lines = listed_lines(payload)
    assert len(lines) + more_count(payload) == 60
    for line in lines:
        label = line.rsplit("|", 1)[1]
        # Cut at a word boundary, never inside an escape sequence.
        assert label.endswith("…>") and len(label) <= 320
        assert re.search(r"&(?!amp;|lt;|gt;)", label) is None
        assert label[:-2].rstrip().endswith(("GPUs", "about", "&lt;title&gt;", "winding",
                                             "&amp;", "long", "very", "A"))
    # One context line for the topic, after its last section.
    assert [b["type"] for b in payload["blocks"]][-2:] in (
        ["section", "context"], ["context", "context"])


# -- property: any digest gives a payload Slack accepts ---------------------------------

_digest_alerts = st.builds(
    lambda i, title, source, url, topic, published: digest_alert(
        i, title=title, source=source, url=url, topic=topic, published=published),
    st.integers(0, 10_000), st.one_of(_texts, st.text(min_size=500, max_size=3000)),
    _texts, _urls, st.one_of(st.sampled_from(["GPU", "IA", ""]), _texts),
    st.one_of(st.none(), st.datetimes(min_value=datetime(1971, 1, 1),
                                      max_value=datetime(2100, 1, 1), timezones=st.just(UTC))),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts=st.lists(_digest_alerts, min_size=1, max_size=30),
       kind=st.sampled_from(["digest", "quiet", "overflow"]),
       title=st.one_of(st.none(), _texts), unfurl=st.booleans(),
       copies=st.sampled_from([1, 2, 8, 40]), spread=st.sampled_from([0, 1, 3, 40]))
def test_any_digest_renders_to_an_accepted_payload(
    alerts: list[Alert], kind: DigestKind, title: str | None, unfurl: bool, copies: int,
    spread: int,
) -> None:
    many = alerts * copies
    if spread:  # up to 1,200 items over up to 40 topics: past Slack's 50 blocks
        many = [dataclasses.replace(a, topic_names=(f"topic {i % spread}",))
                for i, a in enumerate(many)]
    # Built directly: make_digest's key hashes the sources, which come from the
    # configuration (TOML cannot hold the lone surrogates generated here).
    digest = AlertDigest(kind=kind, subscription="newsroom", destination="slack:C0NEWS",
                         title="14 more items matched GPU" if title is None else title,
                         alerts=tuple(many))
    payload = render_digest(digest, unfurl=unfurl)
    assert message_problem(payload) is None, message_problem_detail(payload)
    assert mentions(payload) == []
    assert payload["unfurl_links"] is unfurl and payload["unfurl_media"] is unfurl
    assert payload["blocks"][0]["type"] == "header"
    # Every item is either listed or counted.
    listed = len(listed_lines(payload))
    assert listed + more_count(payload) == len(digest.alerts)
    if kind == "overflow":
        assert listed == min(LISTED_IN_ROLLUP, len(digest.alerts))
