"""One story from several outlets: near-duplicate titles across sources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot._pipeline import decide
from bot._stories import StoryIndex, similarity, story_words
from bot.types import Item

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WIRE = "Elon Musk buys 100,000 Nvidia GPUs to power Twitter's generative AI push"


def item(source: str, key: str, title: str) -> Item:
    return Item(source, key, f"https://{source}.example/{key}", title, "", "", "", NOW, "en")


def test_words_ignore_case_accents_and_stop_words() -> None:
    assert story_words("L’IA générative de Twitter") == {"ia", "generative", "twitter"}
    assert story_words("The GPU") == {"gpu"}


def test_syndicated_title_from_another_source_is_one_story() -> None:
    index = StoryIndex()
    index.add(WIRE, "reuters", NOW)
    rewrite = "Musk buys 100,000 Nvidia GPUs to power Twitter generative AI push"
    assert index.find(rewrite, "yahoo", NOW + timedelta(hours=1)) is not None
    # The same source is never "another outlet"; different stories are not merged.
    assert index.find(rewrite, "reuters", NOW) is None
    assert index.find("Nvidia unveils Blackwell GPUs for generative AI data centres",
                      "verge", NOW) is None
    # Short titles are not compared, and stories are forgotten after the window.
    assert index.find("Musk GPUs", "yahoo", NOW) is None
    assert index.find(rewrite, "yahoo", NOW + timedelta(hours=49)) is None
    assert len(index) == 0


def test_similarity_bounds() -> None:
    a = story_words(WIRE)
    assert similarity(a, a) == 1.0
    assert similarity(a, frozenset()) == 0.0


def test_decide_holds_back_the_repeat_and_remembers_the_first() -> None:
    index = StoryIndex()
    first = decide([item("reuters", "r1", WIRE)], seen_keys=set(), seen_urls=set(),
                   initialised=True, first_poll_alerts=False, max_age=None, now=NOW,
                   stories=index)
    assert first.alertable == {"r1"}
    second = decide([item("yahoo", "y1", WIRE), item("yahoo", "y2", "Apple ships a new "
                                                      "iPhone with a periscope camera lens")],
                    seen_keys=set(), seen_urls=set(), initialised=True, first_poll_alerts=False,
                    max_age=None, now=NOW, stories=index)
    assert second.alertable == {"y2"}
    assert second.held_back["y1"] == f"same story as “{WIRE}” from reuters"
