"""The lead: first sentences, boilerplate removed, French and English rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot._summary import make_lead, split_sentences, strip_boilerplate


@pytest.mark.parametrize(
    "text, language, sentences",
    [
        ("One. Two! Three? Four.", "en", ["One.", "Two!", "Three?", "Four."]),
        (
            "Mr. Smith met Dr. Jones in St. Louis. They talked.",
            "en",
            ["Mr. Smith met Dr. Jones in St. Louis.", "They talked."],
        ),
        (
            "The U.S. economy grew 3.5 percent. Analysts, e.g. at banks, agreed, i.e. mostly.",
            "en",
            ["The U.S. economy grew 3.5 percent.", "Analysts, e.g. at banks, agreed, i.e. mostly."],
        ),
        (
            "Tariffs hit the U.S. The president said nothing.",
            "en",
            ["Tariffs hit the U.S.", "The president said nothing."],
        ),
        (
            "Apple Inc. said sales rose. Shares of Acme Inc. The company fell.",
            "en",
            ["Apple Inc. said sales rose.", "Shares of Acme Inc.", "The company fell."],
        ),
        ("J. K. Rowling wrote it. It sold.", "en", ["J. K. Rowling wrote it.", "It sold."]),
        ("He waited... Then he left.", "en", ["He waited...", "Then he left."]),
        ("He waited… and waited.", "en", ["He waited… and waited."]),
        (
            "M. Macron et Mme Dupont sont arrivés. Ils ont parlé.",
            "fr",
            ["M. Macron et Mme Dupont sont arrivés.", "Ils ont parlé."],
        ),
        (
            "Vraiment ? Oui ! Il a payé 100 000 euros, soit 3,5 % de plus.",
            "fr",
            ["Vraiment ?", "Oui !", "Il a payé 100 000 euros, soit 3,5 % de plus."],
        ),
        (
            "« Pourquoi ? » demande-t-il. Personne ne sait.",
            "fr",
            ["« Pourquoi ? » demande-t-il.", "Personne ne sait."],
        ),
        (
            "Il a dit : « C'est fini. » Puis il est parti.",
            "fr",
            ["Il a dit : « C'est fini. »", "Puis il est parti."],
        ),
        (
            "Des fruits, p. ex. des pommes, des poires, etc. Le marché a fermé.",
            "fr",
            ["Des fruits, p. ex. des pommes, des poires, etc.", "Le marché a fermé."],
        ),
        (
            "Né en 52 av. J.-C. à Rome. Il meurt jeune.",
            "fr",
            ["Né en 52 av. J.-C. à Rome.", "Il meurt jeune."],
        ),
        ("Le Dr. Martin opère. Tout va bien.", "fr", ["Le Dr. Martin opère.", "Tout va bien."]),
        ("Titre sans point\n\nPremière phrase. Deuxième.", "fr",
         ["Titre sans point", "Première phrase.", "Deuxième."]),
        ("no capital. after this", None, ["no capital. after this"]),
    ],
)
def test_split_sentences(text: str, language: str | None, sentences: list[str]) -> None:
    assert split_sentences(text, language) == sentences


@pytest.mark.parametrize(
    "text, language, lead",
    [
        ("First. Second. Third. Fourth.", "en", "First. Second. Third."),
        (
            "Great news today. The post Great news appeared first on My Blog.",
            "en",
            "Great news today.",
        ),
        (
            "Une nouvelle importante. L’article Une nouvelle est apparu en premier sur Le Blog.",
            "fr",
            "Une nouvelle importante.",
        ),
        (
            "Une nouvelle. L'article Une nouvelle est apparu en premier sur Le Blog.",
            "fr",
            "Une nouvelle.",
        ),
        ("Part one of the story. Continue reading →", "en", "Part one of the story."),
        ("Part one. Continue reading “The Title” …", "en", "Part one."),
        ("Texte court. Lire la suite", "fr", "Texte court."),
        ("Texte court. Lire la suite…", "fr", "Texte court."),
        ("Short text. Read more »", "en", "Short text."),
        ("Report released. (Source: Reuters)", "en", "Report released."),
        ("Rapport publié.\nSource : AFP", "fr", "Rapport publié."),
        # A sentence the feed cut short is dropped when a complete one precedes it...
        ("A complete sentence. Then one that is cut [&hellip;]".replace("&hellip;", "…"), "en",
         "A complete sentence."),
        ("A complete sentence. Then one that is cut [...]", "en", "A complete sentence."),
        # ... and marked when it is all there is.
        ("Only a cut sentence [...]", "en", "Only a cut sentence…"),
        ("Lire aussi : un autre article\nLe vrai texte ici.", "fr", "Le vrai texte ici."),
        ("", "en", ""),
        ("   ", "en", ""),
        ("[…]", "en", ""),
        ("Heading\n\nBody sentence one. Body two.", "en", "Heading — Body sentence one. Body two."),
    ],
)
def test_make_lead(text: str, language: str | None, lead: str) -> None:
    assert make_lead(text, language) == lead


def test_lead_stops_before_max_chars_at_a_sentence_boundary() -> None:
    text = "A" * 150 + ". " + "B" * 150 + ". " + "C" * 150 + "."
    assert make_lead(text, "en") == "A" * 150 + ". " + "B" * 150 + "."


def test_a_single_long_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    text = " ".join(f"word{n}" for n in range(200)) + "."
    lead = make_lead(text, "en", max_chars=100)
    assert len(lead) <= 100
    assert lead.endswith("…")
    assert text.startswith(lead[:-1])
    assert lead[:-1].split()[-1] in text.split()  # the last word is whole


def test_max_sentences() -> None:
    assert make_lead("One. Two. Three.", "en", max_sentences=1) == "One."
    assert make_lead("One. Two. Three.", "en", max_sentences=2) == "One. Two."


def test_strip_boilerplate_reports_truncation() -> None:
    assert strip_boilerplate("Text [...]") == ("Text", True)
    assert strip_boilerplate("Text. Read more") == ("Text.", True)
    assert strip_boilerplate("Text…") == ("Text…", False)
    assert strip_boilerplate("Plain text.") == ("Plain text.", False)


words = st.lists(
    st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1,
            max_size=12),
    min_size=1,
    max_size=120,
)
punct = st.sampled_from(["", "", "", ".", ",", "!", "?", " ?", "…", ";", " »", "« "])


@given(st.lists(st.tuples(words, punct), min_size=1, max_size=10),
       st.integers(min_value=10, max_value=500), st.sampled_from(["en", "fr", None]))
@settings(max_examples=300, deadline=None)
def test_lead_properties(chunks: list[tuple[list[str], str]], max_chars: int,
                         language: str | None) -> None:
    text = " ".join(" ".join(ws) + p for ws, p in chunks)
    lead = make_lead(text, language, max_chars=max_chars)
    assert len(lead) <= max_chars
    assert lead == lead.strip()
    source_words = set(text.replace("«", " ").replace("»", " ").split())
    body = lead[:-1] if lead.endswith("…") and not text.rstrip().endswith("…") else lead
    lead_words = body.replace(" — ", " ").replace("«", " ").replace("»", " ").split()
    # Every word is whole and comes from the text, except when a single word
    # longer than the limit had to be cut.
    if lead_words and len(lead_words) > 1:
        assert all(w in source_words for w in lead_words[:-1])


@given(st.text(max_size=500), st.sampled_from(["en", "fr", None]))
@settings(max_examples=300, deadline=None)
def test_make_lead_never_raises(text: str, language: str | None) -> None:
    lead = make_lead(text, language)
    assert len(lead) <= 400
