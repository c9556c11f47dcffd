"""One story from several outlets: the story index and its use by the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot._pipeline import decide
from bot._stories import StoryIndex, explain_story
from bot.types import Item

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WIRE = "Elon Musk buys 100,000 Nvidia GPUs to power Twitter's generative AI push"
WIRE_LEAD = ("Twitter has bought roughly 100,000 Nvidia graphics processors for a generative "
             "AI project, Business Insider reports, weeks after Elon Musk called for a pause.")


def item(source: str, key: str, title: str, lead: str = "", *, language: str = "en",
         published: datetime = NOW) -> Item:
    return Item(source, key, f"https://{source}.example/{key}", title, lead, "", lead,
                published, language)


def test_a_copy_from_another_outlet_joins_the_story() -> None:
    index = StoryIndex()
    index.add(item("reuters", "r1", WIRE, WIRE_LEAD), NOW)
    rewrite = item("yahoo", "y1", "Musk buys 100,000 Nvidia GPUs to power Twitter generative "
                   "AI push", WIRE_LEAD)
    verdict = index.find(rewrite, NOW + timedelta(hours=1))
    assert verdict is not None and verdict.same
    assert (verdict.first_source, verdict.first_key) == ("reuters", "r1")
    assert "Twitter" in verdict.shared_entities and "100000 GPU" in verdict.shared_numbers
    # The same outlet is never "another outlet".
    assert index.find(item("reuters", "r2", rewrite.title, WIRE_LEAD), NOW) is None
    # Another story sharing words is not merged.
    assert index.find(item("verge", "v1", "Nvidia unveils Blackwell GPUs for generative AI "
                                          "data centres"), NOW) is None


def test_a_french_copy_joins_the_english_story() -> None:
    index = StoryIndex()
    index.add(item("engadget", "e1", WIRE, WIRE_LEAD), NOW)
    french = item(
        "numerama", "n1", "Elon Musk a acheté 100 000 GPU Nvidia pour l’IA générative de Twitter",
        "D’après Business Insider, Twitter a acquis près de 100 000 processeurs graphiques "
        "Nvidia pour un projet d’intelligence artificielle générative.", language="fr")
    verdict = index.find(french, NOW + timedelta(hours=2))
    assert verdict is not None, explain_story(index.judge(french, NOW))


def test_copies_join_the_first_story_and_outlets_are_remembered() -> None:
    index = StoryIndex()
    index.add(item("reuters", "r1", WIRE, WIRE_LEAD), NOW)
    copy = item("yahoo", "y1", WIRE, WIRE_LEAD)
    verdict = index.find(copy, NOW)
    assert verdict is not None
    index.add(copy, NOW, joins=verdict)
    # A third outlet matching the copy joins the first story.
    third = index.find(item("bing", "b1", WIRE, WIRE_LEAD), NOW)
    assert third is not None and (third.first_source, third.first_key) == ("reuters", "r1")
    # Yahoo is now one of the story's outlets: its next item is never a copy of it.
    assert index.find(item("yahoo", "y2", WIRE, WIRE_LEAD), NOW) is None
    assert len(index) == 2


def test_stories_are_forgotten_after_the_window_and_beyond_the_bound() -> None:
    index = StoryIndex(window=timedelta(hours=48), max_items=3)
    index.add(item("reuters", "r1", WIRE, WIRE_LEAD), NOW)
    assert index.find(item("yahoo", "y1", WIRE, WIRE_LEAD), NOW + timedelta(hours=47))
    assert index.find(item("yahoo", "y1", WIRE, WIRE_LEAD), NOW + timedelta(hours=49)) is None
    assert len(index) == 0
    for n in range(5):
        index.add(item(f"s{n}", f"k{n}", f"Story number {n} about the Acme{n} company",
                       published=NOW + timedelta(hours=49)), NOW + timedelta(hours=49))
    assert len(index) == 3


def test_a_date_near_year_one_does_not_break_the_index() -> None:
    index = StoryIndex()
    ancient = datetime(1, 1, 1, 12, tzinfo=UTC)
    index.add(item("a", "1", WIRE, WIRE_LEAD, published=ancient), ancient)
    assert index.judge(item("b", "1", WIRE, WIRE_LEAD, published=ancient), ancient).same


def test_an_item_with_no_candidate_says_so() -> None:
    verdict = StoryIndex().judge(item("a", "1", WIRE), NOW)
    assert not verdict.same and verdict.story_title is None
    assert explain_story(verdict) == "no earlier story shares its names, numbers or rare words"


def test_decide_holds_back_the_repeat_with_its_reason_and_remembers_the_first() -> None:
    index = StoryIndex()
    first = decide([item("reuters", "r1", WIRE, WIRE_LEAD)], seen_keys=set(), seen_urls=set(),
                   initialised=True, first_poll_alerts=False, max_age=None, now=NOW,
                   stories=index)
    assert first.alertable == {"r1"}
    other = item("yahoo", "y2", "Apple ships a new iPhone with a periscope camera lens",
                 "Apple’s iPhone 18 Pro gains a 5x periscope lens.")
    second = decide([item("yahoo", "y1", WIRE, WIRE_LEAD), other],
                    seen_keys=set(), seen_urls=set(), initialised=True, first_poll_alerts=False,
                    max_age=None, now=NOW, stories=index)
    assert second.alertable == {"y2"}
    assert second.suppressed == {"y1": "same-story"}
    reason = second.held_back["y1"]
    assert reason.startswith(f"same story as “{WIRE}” from reuters: same entities ")
    assert "100000 GPU" in reason and "title overlap 1.00" in reason
    # The held-back copy joined the story: a third outlet's copy is recognised too.
    assert len(index) == 3


def test_a_name_in_many_current_stories_anchors_nothing() -> None:
    index = StoryIndex()
    wire = "Iran and US hold nuclear talks in Geneva"
    index.add(item("ap", "a1", wire, "Negotiators met in Geneva on Tuesday."), NOW)
    copy = item("cbs", "c1", wire, "Negotiators met in Geneva on Tuesday, officials said.")
    assert index.find(copy, NOW) is not None  # the same headline, anchored by Geneva
    for n in range(3):  # Geneva is now in four stories: it tells nothing about one
        index.add(item(f"s{n}", f"k{n}", f"Geneva motor show number {n} opens",
                       f"Carmakers gather in Geneva for show {n}."), NOW)
    verdict = index.judge(copy, NOW)
    assert not verdict.same and verdict.common_entities == ("Geneva",)


# Fragments of news text, joined at random: numbers, currencies, names, aliases.
_NEWSY = st.lists(st.sampled_from([
    *"0123456789 ,.%€$£:-’'«»", "100", "000", "Musk", "EU", "UE", "billion", "milliard", "GPU",
    "Q1", "M€", "°C", "k", "de", "the", "\u202f", "\u00a0", "Union européenne", "IS", "A320",
    "1" * 40]), max_size=30).map("".join)


@given(st.lists(st.tuples(st.one_of(st.text(max_size=80), _NEWSY),
                          st.one_of(st.text(max_size=120), _NEWSY)), max_size=6))
def test_any_text_is_judged_and_remembered_without_error(texts: list[tuple[str, str]]) -> None:
    index = StoryIndex()
    for n, (title, lead) in enumerate(texts):
        news = item(f"s{n % 3}", f"k{n}", title, lead)
        verdict = index.judge(news, NOW)
        assert isinstance(explain_story(verdict), str)
        index.add(news, NOW, joins=verdict if verdict.same else None)
    assert len(index) == len(texts)
