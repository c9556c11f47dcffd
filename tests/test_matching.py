"""Tests of bot._matching: whole-word phrases, plurals, prefixes, fields,
exclusions, languages, queries, explain reasons and highlighting."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot._matching import MAX_VARIED_WORDS, Matcher, Rule, highlight_spans, term_variants
from bot._normalize import normalize
from bot._query import Not, Or, Term, parse_query
from bot.app import compile_matcher
from bot.config import Config, TopicConfig
from bot.exceptions import InvalidTermError, RuleError
from bot.types import Document, TopicVerdict

FR_TITLE = "Elon Musk a acheté 100 000 GPU pour l’IA générative de Twitter"
EN_SUMMARY = "Musk's xAI buys 100,000 GPUs"


def verdict(rule: Rule, doc: Document) -> TopicVerdict:
    (v,) = Matcher.compile([rule]).match(doc).verdicts
    return v


def matches(keyword: str, text: str) -> bool:
    return verdict(Rule("t", (keyword,)), Document(text)).matched


# -- the founding case -------------------------------------------------------


def test_founding_case() -> None:
    rule = Rule("ai", ("GPU", "IA générative", "Musk"))
    m = Matcher.compile([rule])
    fr = m.match(Document(FR_TITLE, language="fr"))
    assert fr.verdicts == (TopicVerdict("ai", True, ("GPU", "IA générative", "Musk")),)
    en = m.match(Document(EN_SUMMARY, language="en"))
    assert en.verdicts == (TopicVerdict("ai", True, ("GPU", "Musk")),)


@pytest.mark.parametrize(
    "text", ["Musk", "MUSK", "Musk's", "d'Elon Musk", "d’Elon Musk", "«Musk»", "(musk)", "musk."]
)
def test_whole_word_matches(text: str) -> None:
    assert matches("Musk", text)


@pytest.mark.parametrize(
    "text", ["muskrat", "Muskrat", "musqué", "Muskogee", "Elon-Muskovitz", "emusk", "mus k"]
)
def test_never_a_part_of_a_word(text: str) -> None:
    assert not matches("Musk", text)


def test_phrase_after_elision_and_accents() -> None:
    assert matches("IA générative", "l’IA générative")
    assert matches("IA générative", "L'IA GENERATIVE")
    assert matches("IA générative", "l’IA-générative")
    assert not matches("IA générative", "IA très générative")
    assert not matches("IA générative", "IA dégénérative")


def test_numbers_match_across_thousand_separators() -> None:
    for text in ("100 000 GPU", "100,000 GPUs", "100.000 GPU", "100\u202f000 GPU"):
        assert matches("100 000", text)
    assert not matches("100 000", "1 100 0000")


# -- plurals and prefixes ----------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("GPU", "GPUs"),
        ("GPUs", "GPU"),
        ("gpu", "gpus"),
        ("IA générative", "IA génératives"),
        ("IA générative", "IAs génératives"),
        ("IA génératives", "IA générative"),
        ("election", "elections"),
        ("elections", "election"),
        ("AIs", "AI"),
    ],
)
def test_plurals_in_s(keyword: str, text: str) -> None:
    assert matches(keyword, text)


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("Windows", "window"),  # proper noun, not a plural
        ("news", "new"),
        ("virus", "viru"),
        ("business", "busines"),
        ("bus", "bu"),  # too short to strip
        ("gpus", "gpu"),  # -us: could be "campus"; write GPUs or GPU
        ("prix", "prixs"),  # already ends in x
        ("l'IA", "ls IA"),  # single letters get no plural
        ("1990", "1990s"),  # numbers get no plural
    ],
)
def test_plural_exceptions(keyword: str, text: str) -> None:
    assert not matches(keyword, text)


def test_prefix_terms() -> None:
    assert matches("gpu*", "GPUs")
    assert matches("gpu*", "gpu-bound")
    assert matches("gpu*", "GPU")
    assert not matches("gpu*", "eGPU")
    assert matches("machine learn*", "Machine-Learning")
    assert matches("machine learn*", "machines learning")  # other words take plurals
    assert not matches("machine learn*", "machine unlearning")


def test_variants_do_not_blow_up_on_long_phrases() -> None:
    five = term_variants("alpha beta gamma delta epsilon")
    assert len(five) == 2**MAX_VARIED_WORDS
    assert " alphas betas gammas deltas epsilons " in five
    long = term_variants("alpha beta gamma delta epsilon zeta eta theta iota kappa")
    assert long == (
        " alpha beta gamma delta epsilon zeta eta theta iota kappa ",
        " alpha beta gamma delta epsilon zeta eta theta iota kappas ",
    )
    assert term_variants("gpu*") == (" gpu",)
    assert term_variants(" gpu * ") == (" gpu",)


@pytest.mark.parametrize("bad", ["", "   ", "!!!", "*", " * ", "gp*u", "gpu**", "’-’"])
def test_blank_or_malformed_terms_are_refused(bad: str) -> None:
    with pytest.raises(RuleError, match="rule 't'") as info:
        Matcher.compile([Rule("t", ("ok", bad))])
    assert info.value.rule_id == "t" and isinstance(info.value, ValueError)
    with pytest.raises(RuleError):
        Matcher.compile([Rule("t", ("ok",), exclude=(bad,))])
    with pytest.raises(InvalidTermError):
        highlight_spans("text", [bad])


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule("t"), "neither keywords nor a query"),
        (Rule("t", ("a",), fields=()), "fields must be"),
        (Rule("t", ("a",), fields=("body",)), "fields must be"),  # type: ignore[arg-type]
        (Rule("t", query=Not(Term("a"))), "positive term"),
        (Rule("t", query=Or((Term("a"), Not(Term("b"))))), "positive term"),
        (Rule("t", ("a",), languages=("12",)), "unknown language"),
    ],
)
def test_invalid_rules(rule: Rule, message: str) -> None:
    with pytest.raises(RuleError, match=message) as info:
        Matcher.compile([Rule("fine", ("ok",)), rule])
    assert info.value.rule_id == "t"


def test_compile_matcher_leaves_out_a_bad_rule_by_its_id() -> None:
    # A chat edit that slipped past validation must not stop every poll.
    config = Config(path="t", topics=(
        TopicConfig("gpu", "GPU", ("gpu",)), TopicConfig("bad", "Bad", ("gp*u",)),
        TopicConfig("ia", "IA", ("ia",))))
    matcher = compile_matcher(config)
    verdicts = matcher.match(Document("GPU et IA")).verdicts
    assert [(v.rule_id, v.matched) for v in verdicts] == [("gpu", True), ("ia", True)]


# -- fields, exclusions, languages, explain ------------------------------------


def test_fields_restrict_where_terms_count() -> None:
    rule = Rule("hw", ("GPU",), fields=("title", "summary"))
    doc = Document("Nvidia earnings", summary="", content="the GPU market")
    v = verdict(rule, doc)
    assert not v.matched
    assert v.matched_terms == ()
    assert v.reasons == ('"GPU" found only in content, but this topic looks at title, summary',)
    assert verdict(rule, Document("Nvidia earnings", summary="GPU market")).matched


def test_wrong_field_reason_for_a_subscription_query() -> None:
    rule = Rule("query:alerts", query=parse_query("gpu"), fields=("title",))
    v = verdict(rule, Document("x", summary="gpu", content="gpu"))
    assert v.reasons == (
        '"gpu" found only in summary, content, but this subscription looks at title',
    )


def test_exclusions() -> None:
    rule = Rule("hw", ("GPU",), exclude=("GPU mining", "crypto*"))
    v = verdict(rule, Document("GPU mining is back", content="cryptocurrency GPUs"))
    assert not v.matched
    assert v.matched_terms == ("GPU",)
    assert v.reasons == ('excluded by "GPU mining" (title)', 'excluded by "crypto*" (content)')
    assert verdict(rule, Document("GPU prices fall")).matched


def test_exclusion_only_in_allowed_fields() -> None:
    rule = Rule("hw", ("GPU",), exclude=("mining",), fields=("title",))
    assert verdict(rule, Document("GPU prices", content="mining")).matched
    v = verdict(rule, Document("GPU mining", content="mining"))
    assert v.reasons == ('excluded by "mining" (title)',)


def test_languages() -> None:
    rule = Rule("fr", ("Musk",), languages=("fr-FR", "EN"))
    assert verdict(rule, Document(FR_TITLE, language="fr")).matched
    assert verdict(rule, Document(FR_TITLE, language="fr-CA")).matched
    assert verdict(rule, Document(FR_TITLE, language=None)).matched  # unknown passes
    v = verdict(rule, Document(FR_TITLE, language="de"))
    assert not v.matched
    assert v.reasons == ("language de not in fr, en",)
    v = verdict(rule, Document("nothing here", language="de"))
    assert v.reasons == ("language de not in fr, en", "no term found")


def test_no_term_found() -> None:
    v = verdict(Rule("t", ("GPU",)), Document("Nothing relevant", "at all"))
    assert v == TopicVerdict("t", False, (), ("no term found",))


def test_several_reasons_at_once() -> None:
    rule = Rule("t", ("GPU",), exclude=("mining",), languages=("fr",))
    v = verdict(rule, Document("GPU mining", language="en"))
    assert v.reasons == ("language en not in fr", 'excluded by "mining" (title)')


# -- queries -------------------------------------------------------------------


def test_query_rule() -> None:
    rule = Rule("query:hw", query=parse_query('nvidia (gpu OR "IA générative") -crypto'))
    m = Matcher.compile([rule])
    (v,) = m.match(Document("Nvidia sells GPUs")).verdicts
    assert v == TopicVerdict("query:hw", True, ("nvidia", "gpu"))
    (v,) = m.match(Document("Nvidia sells GPUs", content="for crypto")).verdicts
    assert not v.matched
    assert v.reasons == (
        'query nvidia (gpu OR "IA générative") -crypto not satisfied '
        '(found "nvidia", "gpu"; missing "IA générative"; unwanted "crypto")',
    )
    (v,) = m.match(Document("GPU news")).verdicts
    assert v.reasons == (
        'query nvidia (gpu OR "IA générative") -crypto not satisfied '
        '(found "gpu"; missing "nvidia", "IA générative")',
    )
    (v,) = m.match(Document("crypto only")).verdicts
    assert v.reasons == ("no term found",)


def test_query_terms_count_only_in_allowed_fields() -> None:
    rule = Rule("query:q", query=parse_query("gpu nvidia"), fields=("title",))
    assert not verdict(rule, Document("GPU", content="Nvidia")).matched
    assert verdict(rule, Document("GPU Nvidia", content="")).matched


def test_query_not_is_checked_in_allowed_fields_only() -> None:
    rule = Rule("query:q", query=parse_query("gpu -crypto"), fields=("title",))
    assert verdict(rule, Document("GPU", content="crypto")).matched
    assert not verdict(rule, Document("GPU crypto")).matched


def test_keywords_or_query() -> None:
    rule = Rule("t", keywords=("tpu",), query=parse_query("gpu nvidia"))
    assert verdict(rule, Document("TPU")).matched
    assert verdict(rule, Document("GPU Nvidia")).matched
    assert not verdict(rule, Document("GPU")).matched


def test_query_prefix_term_matches_like_a_keyword() -> None:
    rule = Rule("query:q", query=parse_query('"machine learn*" -"deep learning"'))
    assert verdict(rule, Document("Machine learning news")).matched
    v = verdict(rule, Document("Machine learning and deep learning"))
    assert not v.matched


# -- reports -------------------------------------------------------------------


def test_verdicts_in_rule_order_and_hits_in_every_field() -> None:
    rules = [Rule("b", ("Musk",), fields=("title",)), Rule("a", ("GPU",)), Rule("c", ("TPU",))]
    doc = Document(FR_TITLE, summary=EN_SUMMARY, content="musk")
    report = Matcher.compile(rules).match(doc)
    assert [v.rule_id for v in report.verdicts] == ["b", "a", "c"]
    assert [v.rule_id for v in report.matched] == ["b", "a"]
    found = {(h.term, h.field) for h in report.hits}
    assert found == {
        ("Musk", "title"), ("Musk", "summary"), ("Musk", "content"),
        ("GPU", "title"), ("GPU", "summary"),
    }
    for h in report.hits:
        norm = normalize(doc.field_text(h.field))
        assert normalize(h.term).split()[0] in norm[h.start : h.end]


def test_hit_offsets_in_normalised_text() -> None:
    doc = Document("Les GPUs de l’IA, gpu-bound")
    report = Matcher.compile([Rule("a", ("GPU", "gpu b*", "IA"))]).match(doc)
    norm = normalize(doc.title)
    spans = sorted((norm[h.start : h.end], h.term) for h in report.hits)
    assert spans == [("gpu", "GPU"), ("gpu bound", "gpu b*"), ("gpus", "GPU"), ("ia", "IA")]


def test_same_term_in_several_rules_and_spellings() -> None:
    rules = [Rule("a", ("GPU",)), Rule("b", ("gpu", "GPUs")), Rule("c", (" GPU ",))]
    report = Matcher.compile(rules).match(Document("a gpu"))
    assert [v.matched_terms for v in report.verdicts] == [("GPU",), ("gpu", "GPUs"), ("GPU",)]


def test_a_thousand_rules() -> None:
    words = [f"w{i}k" for i in range(1000)]
    rules = [Rule(f"t{i}", (w,)) for i, w in enumerate(words)]
    m = Matcher.compile(rules)
    report = m.match(Document("w17k and w999k", content="W500Ks w1000k"))
    assert [v.rule_id for v in report.matched] == ["t17", "t500", "t999"]
    assert len(report.verdicts) == 1000
    assert report.verdicts[3].reasons == ("no term found",)


def test_empty_matcher_and_empty_document() -> None:
    assert Matcher.compile([]).match(Document("anything")).verdicts == ()
    report = Matcher.compile([Rule("t", ("a",))]).match(Document(""))
    assert report.verdicts == (TopicVerdict("t", False, (), ("no term found",)),)


# -- highlighting ----------------------------------------------------------------


def test_highlight_spans_in_original_text() -> None:
    text = FR_TITLE + " — Musk's GPUs"
    spans = highlight_spans(text, ["Musk", "IA générative", "gpu"])
    assert [text[a:b] for a, b in spans] == ["Musk", "GPU", "IA générative", "Musk", "GPUs"]


def test_highlight_spans_with_changing_lengths_and_prefixes() -> None:
    text = "Die Straße: ﬁnancement des GPU-bound"
    spans = highlight_spans(text, ["strasse", "financ*", "gpu b*"])
    assert [text[a:b] for a, b in spans] == ["Straße", "ﬁnancement", "GPU-bound"]


def test_highlight_spans_merge_overlaps() -> None:
    text = "new IA générative model"
    spans = highlight_spans(text, ["IA", "IA générative", "générative model"])
    assert spans == ((4, 23),)
    assert highlight_spans("", ["IA"]) == ()
    assert highlight_spans("IA", []) == ()


# -- properties --------------------------------------------------------------------

_LETTERS = st.sampled_from(list(string.ascii_letters + "éèàçœßÉÀ"))
_WORD = st.text(_LETTERS, min_size=1, max_size=8)
_PUNCT = st.text(st.sampled_from(list(" \t\n,.;:!?()[]\"«»“”'’ʼ-–—/")), min_size=1, max_size=3)
_NOISE = st.text(st.sampled_from(list(string.ascii_lowercase + " ,.")), max_size=20)


@given(st.lists(_WORD, min_size=1, max_size=4), _PUNCT, _PUNCT, _NOISE, _NOISE, st.data())
def test_keyword_matches_when_surrounded_by_punctuation(
    words: list[str], left: str, right: str, before: str, after: str, data: st.DataObject
) -> None:
    keyword = " ".join(words)
    seps = [data.draw(_PUNCT) for _ in words[1:]]
    written = words[0] + "".join(s + w for s, w in zip(seps, words[1:], strict=True))
    text = before + left + written + right + after
    assert matches(keyword, text)
    spans = highlight_spans(text, [keyword])
    start = len(before + left)
    assert any(a <= start and start + len(written) <= b for a, b in spans)


@given(
    st.lists(_WORD, min_size=1, max_size=3),
    st.text(st.sampled_from(string.ascii_letters), min_size=0, max_size=3),
    st.text(st.sampled_from(string.ascii_letters), min_size=0, max_size=3),
)
def test_keyword_never_matches_glued_to_letters(words: list[str], left: str, right: str) -> None:
    if not left and right.lower() in ("", "s"):
        right += "q"  # glue something; a lone "s" is the plural
    keyword = " ".join(words)
    assert not matches(keyword, left + keyword + right)


# Words without a final s/x/z so that their forms are exactly {w, w + "s"}.
_VOCAB = ["gpu", "ia", "generative", "musk", "nvidia", "chip", "model", "open"]


@given(
    st.lists(st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=3), min_size=1, max_size=6),
    st.lists(st.sampled_from([*_VOCAB, *(w + "s" for w in _VOCAB), "x"]), max_size=25),
)
def test_one_automaton_agrees_with_a_naive_scan(
    keywords: list[list[str]], tokens: list[str]
) -> None:
    def naive(kw: list[str]) -> bool:
        return any(
            all(tokens[i + j] in (w, w + "s") for j, w in enumerate(kw))
            for i in range(len(tokens) - len(kw) + 1)
        )

    rules = [Rule(f"r{i}", (" ".join(kw),)) for i, kw in enumerate(keywords)]
    report = Matcher.compile(rules).match(Document(" ".join(tokens)))
    assert [v.matched for v in report.verdicts] == [naive(kw) for kw in keywords]
