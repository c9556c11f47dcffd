"""Tests of bot._query: parsing, errors with positions, evaluation, round trip."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot._query import (
    And,
    Not,
    Or,
    Query,
    Term,
    evaluate,
    parse_query,
    positive_terms,
    query_terms,
    requires_positive,
)
from bot.exceptions import QuerySyntaxError

gpu, tpu, nvidia, crypto = Term("gpu"), Term("tpu"), Term("nvidia"), Term("crypto")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gpu", gpu),
        ("gpu nvidia", And((gpu, nvidia))),
        ("gpu AND nvidia", And((gpu, nvidia))),
        ("gpu OR tpu", Or((gpu, tpu))),
        ("gpu | tpu", Or((gpu, tpu))),
        ("gpu|tpu", Or((gpu, tpu))),
        ("gpu or tpu", And((gpu, Term("or"), tpu))),
        # NOT > AND > OR
        ("gpu nvidia OR tpu", Or((And((gpu, nvidia)), tpu))),
        ("gpu OR tpu -crypto", Or((gpu, And((tpu, Not(crypto)))))),
        ("(gpu OR tpu) -crypto", And((Or((gpu, tpu)), Not(crypto)))),
        ("-crypto gpu", And((Not(crypto), gpu))),
        ('gpu -"GPU mining"', And((gpu, Not(Term("GPU mining"))))),
        ("gpu -(crypto mining)", And((gpu, Not(And((crypto, Term("mining"))))))),
        ('"IA générative"', Term("IA générative")),
        ("«IA générative»", Term("IA générative")),
        ("« IA générative »", Term("IA générative")),
        ("“IA générative”", Term("IA générative")),
        ("gpu*", Term("gpu", prefix=True)),
        ('"machine learn*"', Term("machine learn", prefix=True)),
        ('"machine learn *"', Term("machine learn", prefix=True)),
        ("l'IA e-mail", And((Term("l'IA"), Term("e-mail")))),
        # nested groups of the same kind are flattened
        ("(a OR b) OR (c OR d)", Or(tuple(Term(x) for x in "abcd"))),
        ("a (b (c d))", And(tuple(Term(x) for x in "abcd"))),
        ("((gpu))", gpu),
        ("-(-gpu) tpu", And((Not(Not(gpu)), tpu))),
    ],
)
def test_parse(text: str, expected: Query) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "empty query", 0),
        ("   ", "empty query", 0),
        ("(gpu", "unclosed (", 0),
        ("gpu (tpu (x)", "unclosed (", 4),
        ("gpu)", "unmatched )", 3),
        (") gpu", "unmatched )", 0),
        ("()", "empty parentheses", 0),
        ("gpu ()", "empty parentheses", 4),
        ("OR gpu", "OR needs a term on each side", 0),
        ("gpu OR", "OR needs a term on each side", 4),
        ("gpu OR OR tpu", "OR needs a term on each side", 7),
        ("gpu |", "| needs a term on each side", 4),
        ("(gpu OR) tpu", "OR needs a term on each side", 5),
        ("gpu AND", "AND needs a term on each side", 4),
        ("AND gpu", "AND needs a term on each side", 0),
        ("gpu - tpu", "a - must be followed by a word, phrase or group", 4),
        ("gpu -", "a - must be followed by a word, phrase or group", 4),
        ("--gpu", "double negation", 0),
        ('gpu "IA générative', "unterminated quote", 4),
        ("« IA", "unterminated quote", 0),
        ('gpu ""', "empty phrase", 4),
        ('"  ,, "', "empty phrase", 0),
        ("g*pu", "a * must end a word", 1),
        ("gpu**", "a * must end a word", 3),
        ("*", "a * must follow a word", 0),
        ('"*"', "empty phrase", 0),
        ('"gpu*x"', "a * must end the last word", 4),
        ("gpu !!!", "a term needs letters or digits", 4),
        ("-crypto", "a query needs at least one positive term", 0),
        ("-crypto -mining", "a query needs at least one positive term", 0),
        ("-(gpu tpu)", "a query needs at least one positive term", 0),
        ("gpu OR -crypto", "each side of OR needs a positive term", 7),
        ("gpu »", "closing quote without an opening one", 4),
        ("(" * 40 + "gpu" + ")" * 40, "parentheses nested too deeply", 32),
    ],
)
def test_syntax_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(text)
    assert info.value.message == message
    assert info.value.position == position
    assert info.value.query == text
    assert str(info.value) == f"{message} at position {position + 1}"


def test_terms_and_polarity() -> None:
    q = parse_query('(gpu OR tpu) -crypto gpu -(-nvidia)')
    assert query_terms(q) == [gpu, tpu, crypto, nvidia]
    assert positive_terms(q) == [gpu, tpu, nvidia]


@pytest.mark.parametrize(
    ("text", "present", "expected"),
    [
        ("gpu nvidia", {"gpu", "nvidia"}, True),
        ("gpu nvidia", {"gpu"}, False),
        ("gpu OR tpu", {"tpu"}, True),
        ("gpu OR tpu", set(), False),
        ("(gpu OR tpu) -crypto", {"gpu"}, True),
        ("(gpu OR tpu) -crypto", {"gpu", "crypto"}, False),
        ("gpu -(crypto mining)", {"gpu", "crypto"}, True),
        ("gpu -(crypto mining)", {"gpu", "crypto", "mining"}, False),
        ("gpu nvidia OR tpu", {"tpu"}, True),
        ("gpu nvidia OR tpu", {"nvidia"}, False),
    ],
)
def test_evaluate(text: str, present: set[str], expected: bool) -> None:
    assert evaluate(parse_query(text), lambda t: t.phrase in present) is expected


def test_requires_positive() -> None:
    assert requires_positive(parse_query("gpu -crypto"))
    assert not requires_positive(Not(gpu))
    assert not requires_positive(Or((gpu, Not(crypto))))
    assert requires_positive(And((Not(crypto), Or((gpu, tpu)))))


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("gpu  AND   nvidia", "gpu nvidia"),
        ("gpu | tpu", "gpu OR tpu"),
        ("(gpu OR tpu) -crypto", "(gpu OR tpu) -crypto"),
        ("gpu OR (tpu -crypto)", "gpu OR tpu -crypto"),
        ("«IA générative» gpu*", '"IA générative" gpu*'),
        ('«il a dit "oui"»', '«il a dit "oui"»'),
        ('«A "x" “y»', '«A "x" “y»'),
        ('“A "x" » y”', '“A "x" » y”'),
        ('"OR" gpu', '"OR" gpu'),
        ("gpu -(a OR b)", "gpu -(a OR b)"),
        ('"machine learn*"', '"machine learn*"'),
    ],
)
def test_canonical_str(text: str, canonical: str) -> None:
    q = parse_query(text)
    assert str(q) == canonical
    assert parse_query(canonical) == q


def test_str_of_terms_with_every_quote_inside_still_parses() -> None:
    t = Term('a " b » c ” d')
    assert parse_query(str(t)) == Term("a   b   c   d")


# -- properties --------------------------------------------------------------

_WORDS = st.sampled_from(["gpu", "GPU", "IA", "générative", "l'IA", "e-mail", "or", "x1"])


@st.composite
def _query_text(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 5 if depth < 3 else 1))
    if kind == 0:
        return draw(_WORDS) + draw(st.sampled_from(["", "*"]))
    if kind == 1:
        words = draw(st.lists(_WORDS, min_size=1, max_size=3))
        q = draw(st.sampled_from(['"%s"', "«%s»", "“%s”"]))
        return q % " ".join(words)
    if kind == 2:
        return "-" + draw(_query_text(depth + 1))
    if kind == 3:
        return "(" + draw(_query_text(depth + 1)) + ")"
    parts = draw(st.lists(_query_text(depth + 1), min_size=2, max_size=3))
    sep = " " if kind == 4 else draw(st.sampled_from([" OR ", " | ", " AND "]))
    return sep.join(parts)


@given(_query_text())
def test_str_round_trips(text: str) -> None:
    try:
        q = parse_query(text)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(text)
        assume(False)
        return
    assert parse_query(str(q)) == q
    assert str(parse_query(str(q))) == str(q)


@given(st.text(max_size=30))
def test_garbage_parses_or_raises_query_syntax_error(text: str) -> None:
    try:
        q = parse_query(text)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(text)
    else:
        assert positive_terms(q)
        assert parse_query(str(q)) == q
