"""What story recognition reads in an item: numbers, names and words, across languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot._stories import Quantity, quantities, same_quantity, story_features
from bot.types import Item

NOW = datetime(2026, 3, 9, 12, tzinfo=UTC)


def item(title: str, lead: str = "", language: str = "en") -> Item:
    return Item("outlet", "k", None, title, lead, "", lead, NOW, language)


def one(text: str, language: str | None = None) -> Quantity:
    found = quantities(text, language=language)
    assert len(found) == 1, found
    return found[0]


# -- numbers -----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "100,000 GPUs", "100 000 GPU", "100\u202f000 processeurs graphiques", "100\u00a0000 GPU",
    "100k GPUs", "100K GPUs", "100.000 cartes graphiques", "about 100,000 Nvidia GPUs",
])
def test_one_hundred_thousand_gpus_in_every_format(text: str) -> None:
    q = one(text)
    assert (q.kind, q.value, q.unit, q.label) == ("count", 100_000, "gpu", "100000 GPU")


@pytest.mark.parametrize(("text", "language"), [
    ("€1.2 billion", "en"), ("1.2 billion euros", "en"), ("EUR 1.2bn", "en"),
    ("1,2 milliard d’euros", "fr"), ("1,2 Md€", "fr"), ("1 200 millions d'euros", "fr"),
])
def test_one_point_two_billion_euros_in_both_languages(text: str, language: str) -> None:
    q = one(text, language)
    assert (q.kind, q.value, q.label) == ("money:EUR", 1.2e9, "EUR 1200000000")


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("4%", "pct", 4), ("4 %", "pct", 4), ("4\u00a0%", "pct", 4), ("4 per cent", "pct", 4),
    ("4,5 %", "pct", 4.5), ("40 pour cent", "pct", 40),
    ("25 basis points", "pp", 0.25), ("0,25 point", "pp", 0.25), ("a quarter point", "pp", 0.25),
    ("un quart de point", "pp", 0.25), ("half a point", "pp", 0.5),
    ("Q3", "quarter", 3), ("third-quarter", "quarter", 3), ("troisième trimestre", "quarter", 3),
    ("3e trimestre", "quarter", 3), ("in 2026", "year", 2026), ("$6bn", "money:USD", 6e9),
    ("600 M€", "money:EUR", 6e8), ("£1.5bn", "money:GBP", 1.5e9),
    ("6.6 trillion won", "money:KRW", 6.6e12),
    ("6\u202f600 milliards de wons", "money:KRW", 6.6e12),
    ("2 million cars", "count", 2e6), ("deux millions de voitures", "count", 2e6),
    ("1,234.5 tonnes", "count", 1234.5), ("1.234,5 tonnes", "count", 1234.5),
    ("46C", "temp:C", 46), ("46 °C", "temp:C", 46), ("a magnitude 7.5 quake", "count", 7.5),
])
def test_kinds_and_values(text: str, kind: str, value: float) -> None:
    q = one(text, "fr" if "é" in text or "de " in text else "en")
    assert (q.kind, q.value) == (kind, value)


def test_billion_is_a_thousand_times_more_in_french() -> None:
    assert one("1 billion", "en").value == 1e9
    assert one("1 billion", "fr").value == 1e12


@pytest.mark.parametrize("text", [
    "GPT-5.5", "A320neo", "H100", "Galaxy S26", "version 1.2.3", "at 10:30", "on 12/03/2026",
    "the 1er trimestre", "COVID-19",
])
def test_names_dates_and_times_are_not_quantities(text: str) -> None:
    assert [q for q in quantities(text) if q.kind != "quarter"] == []


def test_units_are_read_after_the_number_and_its_names() -> None:
    assert one("500 Airbus jets").unit == "plane"
    assert one("200 000 véhicules").unit == "vehicle"
    assert one("15,000 jobs").unit == "job"
    assert one("3 people").unit is None


@pytest.mark.parametrize(("a", "b"), [
    ("2,031,220 vehicles", "2 million vehicles"), ("$68.7 billion", "$69bn"),
    ("2.89 trillion won", "2 900 milliards de wons"), ("€1.84bn", "€1.8 billion"),
    ("199,575 cars", "200,000 cars"), ("100k", "100,000"),
])
def test_a_rounded_number_is_the_same_number(a: str, b: str) -> None:
    assert same_quantity(one(a, "en"), one(b, "fr" if "milliards" in b else "en"))


@pytest.mark.parametrize(("a", "b"), [
    ("2 million vehicles", "200,000 vehicles"), ("210,000 cars", "200,000 cars"),
    ("2.4 million", "2 million"), ("€1.2 billion", "€390 million"), ("7.4", "7.5"),
    ("€1.2 billion", "$1.2 billion"), ("4%", "4 points"),
])
def test_different_numbers_stay_different(a: str, b: str) -> None:
    assert not same_quantity(one(a), one(b))


# -- names -------------------------------------------------------------------


def entity_keys(title: str, lead: str = "", language: str = "en") -> set[str]:
    return {e.key for e in story_features(item(title, lead, language)).entities}


def test_capitalised_names_runs_acronyms_and_mixed_case() -> None:
    keys = entity_keys("Elon Musk buys 100,000 GPUs for Twitter's generative AI push",
                       "According to Business Insider, the NHTSA and OpenAI were not involved; "
                       "the iPhone maker and xAI declined to comment.")
    assert {"elon musk", "twitter", "business insider", "nhtsa", "openai", "iphone",
            "xai"} <= keys
    # Vocabulary in capitals is no name: GPU, AI.
    assert not keys & {"gpu", "gpus", "ai", "according"}


def test_aliases_are_one_entity_in_both_languages() -> None:
    english = entity_keys("EU fines Apple over music streaming",
                          "The European Commission said the United States was consulted.")
    french = entity_keys("L’Union européenne inflige une amende à Apple",
                         "Bruxelles a consulté les États-Unis, selon la BCE.", "fr")
    assert {"eu", "apple", "us"} <= english
    assert {"eu", "apple", "us", "ecb"} <= french
    # Tickers are their companies.
    assert {"tesla", "apple"} <= entity_keys("$TSLA jumps after delivery numbers",
                                             "Shares of AAPL (Nasdaq: AAPL) fell.")
    # "us" the pronoun and "eu" the French participle are not entities.
    assert "us" not in entity_keys("Let us see what the bank has eu", "Tell us more.")


def test_title_case_headlines_do_not_make_every_word_a_name() -> None:
    features = story_features(item(
        "Elon Musk Reportedly Bought Around 100,000 GPUs for Twitter's Generative AI Push",
        "Elon Musk is reportedly building a generative AI project at Twitter."))
    strong = {e.key for e in features.entities if e.strong}
    assert {"elon", "musk", "twitter"} <= {e.key for e in features.entities}
    assert not {e.key for e in features.entities} & {"reportedly", "bought", "around",
                                                      "generative", "push"}
    assert "twitter" in strong  # the lead writes it as a name too


def test_sentence_starts_and_weekdays_are_not_names() -> None:
    keys = entity_keys("Record profit for the chipmaker",
                       "Revenue rose on Monday. Shares fell on Tuesday, Reuters said.")
    assert keys == {"reuters"}


def test_a_french_headline_label_is_no_entity_when_it_is_vocabulary() -> None:
    assert "greve" not in entity_keys("Grève à la SNCF : 40 % des TGV annulés jeudi", "",
                                      "fr")
    assert {"sncf", "tgv"} <= entity_keys("Grève à la SNCF : 40 % des TGV annulés jeudi", "",
                                          "fr")


# -- words and events ---------------------------------------------------------


def test_bilingual_vocabulary_makes_french_and_english_words_one_term() -> None:
    en = story_features(item("Elon Musk buys 100,000 graphics cards for Twitter's generative AI"))
    fr = story_features(item("Elon Musk achète 100 000 cartes graphiques pour l’IA générative "
                             "de Twitter", language="fr"))
    for concept in ("c:buy", "c:gpu", "c:ai", "c:generative"):
        assert concept in en.title_terms and concept in fr.title_terms
    assert en.title_events == fr.title_events == {"buy"}


def test_the_lead_is_read_and_the_summary_stands_in_for_a_missing_one() -> None:
    with_lead = story_features(item("A headline", "Samsung Electronics said so."))
    assert "samsung electronics" in {e.key for e in with_lead.entities}
    summary_only = story_features(Item("o", "k", None, "A headline", "Samsung Electronics said.",
                                       "", "", NOW, "en"))
    assert "samsung electronics" in {e.key for e in summary_only.entities}


@pytest.mark.parametrize("text", ["", "   ", "!!!", "\u200b\u200b", "é" * 5000, "A" * 3000,
                                  "1" * 500, "$" * 50 + "€", "1,2,3,4,5,6,7 " * 100])
def test_odd_text_never_raises(text: str) -> None:
    features = story_features(item(text, text))
    assert features.title == text
    assert all(isinstance(key, str) for key in features.index_keys)


def test_a_run_of_digits_beyond_any_count_is_no_quantity() -> None:
    assert quantities("1" * 400) == [] and quantities("1" * 19 + " GPUs") == []
