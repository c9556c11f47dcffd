"""Tests of bot._lang: stopword language detection and tag cleanup."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot._lang import SUPPORTED_LANGUAGES, detect_language, feed_language, normalize_language_tag


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Elon Musk a acheté 100 000 GPU pour l’IA générative de Twitter", "fr"),
        ("Le gouvernement a présenté mercredi un projet de loi sur l'intelligence "
         "artificielle, qui sera examiné par les députés dès la semaine prochaine.", "fr"),
        ("The company said on Tuesday that it would cut prices of its chips, "
         "which are used to train the largest models.", "en"),
        ("Die Bundesregierung hat am Mittwoch einen Gesetzentwurf vorgelegt, der "
         "den Einsatz von künstlicher Intelligenz regeln soll.", "de"),
        ("El gobierno presentó el miércoles un proyecto de ley sobre la inteligencia "
         "artificial, que será debatido por los diputados.", "es"),
        ("Il governo ha presentato mercoledì un disegno di legge sull'intelligenza "
         "artificiale, che sarà esaminato dai deputati nella prossima settimana.", "it"),
        ("De regering heeft woensdag een wetsvoorstel ingediend over kunstmatige "
         "intelligentie, dat volgende week door de Kamer wordt besproken.", "nl"),
        ("O governo apresentou na quarta-feira um projeto de lei sobre a inteligência "
         "artificial, que será analisado pelos deputados na próxima semana.", "pt"),
    ],
)
def test_detects_languages(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "text",
    ["", "Musk's xAI buys 100,000 GPUs", "Nvidia GPU H100", "la", "12345 !!! ???", "de la"],
)
def test_too_short_or_ambiguous_is_unknown(text: str) -> None:
    assert detect_language(text) is None


def test_reads_only_the_beginning_of_long_texts() -> None:
    text = "The chips are in the data centre and the models are trained. " * 70
    assert detect_language(text + " Le la les des du de et est un une pour dans." * 2000) == "en"


@given(st.text(max_size=200))
def test_never_raises_and_answers_a_supported_language(text: str) -> None:
    assert detect_language(text) in (*SUPPORTED_LANGUAGES, None)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("fr", "fr"),
        ("fr-FR", "fr"),
        ("FR_fr", "fr"),
        ("en-us", "en"),
        (" EN-GB ", "en"),
        ("zh-Hant-TW", "zh"),
        ("fra", "fr"),
        ("ger", "de"),
        ("haw", "haw"),
        (None, None),
        ("", None),
        ("und", None),
        ("x-klingon", None),
        ("english", None),
        ("12", None),
        ("é", None),
        ("-fr", None),
    ],
)
def test_normalize_language_tag(tag: str | None, expected: str | None) -> None:
    assert normalize_language_tag(tag) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("fr-FR", "fr"),
        ("en_us", "en"),
        ("fre", "fr"),
        ("English", "en"),
        (" Français ", "fr"),
        ("deutsch", "de"),
        ("und", None),
        ("UND", None),
        ("und-Latn", None),
        ("mul", None),
        ("klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_feed_language_reads_tags_and_names_and_und_is_unknown(
    written: str | None, expected: str | None
) -> None:
    # One reading of language tags for feeds and config: "und" is unknown.
    assert feed_language(written) == expected
    if written and expected is None:
        assert normalize_language_tag(written) is None
