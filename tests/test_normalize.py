"""Tests of bot._normalize: folding, word splitting and token offsets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot._normalize import Token, fold_char, normalize, tokenize

# Text that looks like feed text: Latin letters with accents, digits, spaces,
# punctuation, apostrophes and dashes, plus some awkward characters.
_REALISTIC = st.text(
    alphabet=st.sampled_from(
        list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        + list("éèêëàâäîïôöùûüçÉÈÀÇœŒæÆßøØłŁđĐþÞıİñÑ")
        + list(" \t\n\u00a0\u202f,.;:!?()[]\"«»“”'’ʼ‘`-‐‑‒–—―−/&@#%*")
        + ["ﬁ", "ﬂ", "Ｆ", "²", "½", "⑴", "\u0301", "\u0308"]
    ),
    max_size=60,
)
_INVISIBLE = st.sampled_from(["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])


# -- examples ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Elon Musk a acheté 100 000 GPU pour l’IA générative de Twitter",
         "elon musk a achete 100 000 gpu pour l ia generative de twitter"),
        ("Musk's xAI buys 100,000 GPUs", "musk s xai buys 100 000 gpus"),
        ("100\u202f000 et 100.000", "100 000 et 100 000"),
        ("Œuvre, cœur, Æther, Straße, Øresund, Łódź, Đorđe, Þór, ı",
         "oeuvre coeur aether strasse oresund lodz dorde thor i"),
        ("ﬁnance ﬂux Ｆｕｌｌ", "finance flux full"),
        ("lʼIA l‘IA l`IA l'IA l’IA", "l ia l ia l ia l ia l ia"),
        ("a-b a‐b a‑b a‒b a–b a—b a―b a−b", "a b a b a b a b a b a b a b a b"),
        ("Mu\u00adsk Mu\u200bsk Mu\u200dsk Mu\u2060sk \ufeffMusk", "musk musk musk musk musk"),
        ("e\u0301te\u0301", "ete"),
        ("İstanbul ISTANBUL", "istanbul istanbul"),
        ("", ""),
        ("  ,;!! ", ""),
        ("½ ⑴", "1"),
        ("Ελληνικά Русский", "ελληνικα русскии"),
        ("日本語 テスト", "日本語 テスト"),
    ],
)
def test_normalize_examples(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_tokenize_offsets_when_folding_changes_length() -> None:
    text = "La Straße ﬁnale d’Œdipe"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["la", "strasse", "finale", "d", "oedipe"]
    assert [text[t.start : t.end] for t in tokens] == ["La", "Straße", "ﬁnale", "d", "Œdipe"]
    assert tokens[1] == Token("strasse", 3, 9)


def test_tokenize_keeps_invisible_chars_inside_the_span() -> None:
    text = "x Mu\u00adsk!"
    (x, musk) = tokenize(text)
    assert x == Token("x", 0, 1)
    assert musk == Token("musk", 2, 7)


def test_fold_char_kinds() -> None:
    assert fold_char("É") == "e"
    assert fold_char("\u00ad") == ""
    assert fold_char("’") == " "
    assert fold_char("ß") == "ss"
    assert fold_char("\U0010ffff") == " "


# -- properties --------------------------------------------------------------


@given(st.text(max_size=40))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(_REALISTIC)
def test_normalize_ignores_case(text: str) -> None:
    assert normalize(text.upper()) == normalize(text)
    assert normalize(text.lower()) == normalize(text)


@given(st.text(max_size=40), st.data())
def test_invisible_characters_change_nothing(text: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(text)))
    inserted = text[:pos] + data.draw(_INVISIBLE) + text[pos:]
    assert normalize(inserted) == normalize(text)


@given(st.text(max_size=40))
def test_output_is_single_spaced_words(text: str) -> None:
    out = normalize(text)
    assert out == out.strip()
    assert "  " not in out
    assert all(w == w.casefold() for w in out.split(" "))


@given(st.one_of(st.text(max_size=40), _REALISTIC))
def test_tokens_slice_original_to_themselves(text: str) -> None:
    tokens = tokenize(text)
    assert " ".join(t.text for t in tokens) == normalize(text)
    previous_end = 0
    for tok in tokens:
        assert previous_end <= tok.start < tok.end <= len(text)
        assert normalize(text[tok.start : tok.end]) == tok.text
        previous_end = tok.end
