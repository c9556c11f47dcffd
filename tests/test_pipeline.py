"""The pipeline's pure decisions: identity, new-or-not, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot._matching import Matcher
from bot._pipeline import build_item, decide, item_key, match_item, rules_from_config
from bot.config import validate
from bot.types import Entry, Item, ParsedFeed

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FEED = ParsedFeed("rss", "Feed", "https://example.org/", "fr", ())

CONFIG = validate({
    "sources": [{"name": "a", "url": "https://example.org/feed"}],
    "topics": {
        "gpu": {"name": "GPU", "keywords": ["GPU"], "exclude": ["GPU mining"]},
        "iagen": {"name": "IA générative", "keywords": ["IA générative"]},
        "musk": {"name": "Musk", "keywords": ["Musk"], "fields": ["title"]},
    },
    "subscriptions": [
        {"name": "newsroom", "topics": ["gpu", "iagen", "musk"], "destination": "console"},
        {"name": "same-channel", "topics": ["musk"], "destination": "console"},
        {"name": "query-only", "query": "Twitter -crypto", "destination": "discord:42"},
        {"name": "elsewhere", "topics": ["iagen"], "destination": "slack:C1"},
    ],
}, env={})


def entry(title: str, link: str | None = None, *, id: str | None = None,
          summary: str = "", published: datetime | None = None) -> Entry:
    return Entry(id=id, title=title, link=link, summary_html=summary, published=published)


def item(key: str, url: str | None = None, published: datetime | None = None) -> Item:
    return Item("a", key, url, key, "", "", "", published, "en")


def test_item_key_prefers_guid_then_link_then_hash() -> None:
    assert item_key(entry("t", "https://x/1", id=" g1 "), "https://x/1") == "id:g1"
    assert item_key(entry("t", "https://x/1"), "https://x/1") == "url:https://x/1"
    h1 = item_key(entry("t", published=NOW), None)
    assert h1.startswith("hash:")
    assert h1 == item_key(entry("t", published=NOW), None)
    assert h1 != item_key(entry("t", published=NOW + timedelta(seconds=1)), None)


def test_build_item_canonicalises_and_reduces_html() -> None:
    e = entry("Elon Musk &amp; les GPU", "https://Example.org/a?utm_source=x&id=3#top",
              summary="<p>Elon Musk a acheté <b>100&nbsp;000 GPU</b>.</p><p>Suite.</p>")
    it = build_item("a", e, FEED)
    assert it.url == "https://example.org/a?id=3"
    assert it.key == "url:https://example.org/a?id=3"
    assert "<b>" not in it.summary_text and "100" in it.summary_text
    assert it.language == "fr"  # from the feed
    assert it.lead.startswith("Elon Musk a acheté")


def test_source_language_overrides_feed_and_item_language_wins() -> None:
    e = entry("Hello", "https://x/1")
    assert build_item("a", e, FEED, source_language="en").language == "en"
    e2 = Entry(id=None, title="Hello", link="https://x/2", language="de-DE")
    assert build_item("a", e2, FEED, source_language="en").language == "de"


def test_decide_new_items_and_dedup() -> None:
    items = [item("k1", "https://x/1"), item("k2", "https://x/2"), item("k1", "https://x/1"),
             item("k3", "https://x/2"), item("k4", "https://x/seen"), item("k5", "https://x/1"),
             item("k6")]
    # k2 is stored, so its URL is too: the store reports both.
    d = decide(items, seen_keys={"k2"}, seen_urls={"https://x/seen", "https://x/2"},
               initialised=True, first_poll_alerts=False, max_age=None, now=NOW)
    assert [i.key for i in d.new] == ["k1", "k3", "k4", "k5", "k6"]
    assert d.alertable == {"k1", "k6"}
    for key in ("k3", "k4", "k5"):  # same URL as a stored item or an earlier one in the batch
        assert d.held_back[key] == "already seen at the same URL"
    assert d.suppressed == {"k3": "duplicate", "k4": "duplicate", "k5": "duplicate"}


def test_first_poll_records_without_alerting_unless_configured_or_backfill() -> None:
    items = [item("k1"), item("k2")]
    first = decide(items, seen_keys=set(), seen_urls=set(), initialised=False,
                   first_poll_alerts=False, max_age=None, now=NOW)
    assert len(first.new) == 2 and not first.alertable
    assert first.suppressed == {"k1": "first-poll", "k2": "first-poll"}
    assert decide(items, seen_keys=set(), seen_urls=set(), initialised=False,
                  first_poll_alerts=True, max_age=None, now=NOW).alertable == {"k1", "k2"}
    assert decide(items, seen_keys=set(), seen_urls=set(), initialised=False,
                  first_poll_alerts=False, max_age=None, now=NOW,
                  backfill=True).alertable == {"k1", "k2"}


def test_age_limit() -> None:
    old = item("old", published=NOW - timedelta(days=30))
    fresh = item("fresh", published=NOW - timedelta(hours=1))
    undated = item("undated")
    d = decide([old, fresh, undated], seen_keys=set(), seen_urls=set(), initialised=True,
               first_poll_alerts=False, max_age=7 * 86400, now=NOW)
    assert d.alertable == {"fresh", "undated"}
    assert "age limit" in d.held_back["old"]
    assert d.suppressed == {"old": "too-old"}
    assert decide([old], seen_keys=set(), seen_urls=set(), initialised=True,
                  first_poll_alerts=False, max_age=7 * 86400, now=NOW,
                  backfill=True).alertable == {"old"}


def test_founding_article_alerts_each_destination_once() -> None:
    matcher = Matcher.compile(rules_from_config(CONFIG))
    e = entry("Elon Musk achète 100 000 GPUs pour l’IA générative de Twitter",
              "https://www.numerama.com/tech/musk-gpu.html",
              summary="<p>Musk's xAI a besoin de GPU.</p>")
    it = build_item("a", e, FEED)
    m = match_item(it, matcher.match(it.document), CONFIG)
    assert set(m.topics) == {"gpu", "iagen", "musk"}
    assert set(m.subscriptions) == {"newsroom", "same-channel", "query-only", "elsewhere"}
    by_dest = {a.destination: a for a in m.alerts}
    assert set(by_dest) == {"console", "discord:42", "slack:C1"}
    console = by_dest["console"]
    assert console.subscription == "newsroom"
    assert console.topics == ("gpu", "iagen", "musk")
    assert console.topic_names == ("GPU", "IA générative", "Musk")
    assert set(console.matched_terms) == {"GPU", "IA générative", "Musk"}
    assert by_dest["slack:C1"].topics == ("iagen",)
    assert by_dest["discord:42"].topics == ()
    assert by_dest["discord:42"].matched_terms == ("Twitter",)
    highlighted = {it.title[s:e] for s, e in console.title_highlights}
    assert {"Musk", "GPUs", "IA générative"} <= highlighted


def test_field_restriction_and_exclusion() -> None:
    matcher = Matcher.compile(rules_from_config(CONFIG))
    body_only = build_item("a", entry("Nouvelles du jour", "https://x/1",
                                      summary="Elon Musk parle."), FEED)
    m = match_item(body_only, matcher.match(body_only.document), CONFIG)
    assert "musk" not in m.topics  # musk looks at titles only
    mining = build_item("a", entry("GPU mining is back", "https://x/2"), FEED)
    assert "gpu" not in match_item(mining, matcher.match(mining.document), CONFIG).topics


def test_muskrat_never_matches() -> None:
    matcher = Matcher.compile(rules_from_config(CONFIG))
    for title in ("Muskrat invasion in the canals", "Le rat musqué envahit les canaux",
                  "Muskogee County news"):
        it = build_item("a", entry(title, "https://x/r"), FEED)
        assert match_item(it, matcher.match(it.document), CONFIG).topics == ()
