"""Keyword matching: which topics and subscription queries an item matches, and why.

A configured term is a phrase of whole words, compared after normalisation
(:mod:`bot._normalize`): "Musk" matches "MUSK", "Musk's" and "d'Elon Musk",
never "Muskrat", "musqué" or "Muskogee"; "IA générative" matches
"l’IA générative".

Plurals, per word of a term (every word of a phrase of up to
:data:`MAX_VARIED_WORDS` words; only the last word of a longer phrase, so
long phrases do not blow up into thousands of variants):

* a word gets an ``s`` unless it already ends in s, x or z, is a single
  character or is a number: "GPU" matches "GPUs", "IA générative" matches
  "IA génératives";
* an acronym's plural matches without its ``s`` ("GPUs" matches "GPU");
* another word of four or more letters ending in ``s`` also matches without
  it ("elections" matches "election"), except words ending
  in -ss, -us, -is, -os ("business", "virus", "analysis", "chaos"), words
  written capitalised like a proper noun ("Windows", "Texas", "Mars") and a
  few common words whose singular is another word ("news", "series"). Write
  both forms when in doubt.

``word*`` makes the last word of a term a prefix ("gpu*" matches "gpus",
"gpu-bound"); it gets no plural variants since the prefix covers them.

The words inside hashtags and handles are looked at too (``bot._hashtags``):
"IA générative" matches ``#IAGénérative``, "Musk" ``@ElonMusk``.

A rule matches when one of its keywords, or its query, is found in a field
it looks at, none of its exclusions is found in such a field, and the item's
language is one of its languages (an item of unknown language passes). A
query term is present when it is found in a field the rule looks at; ``-x``
holds when ``x`` is not. When a rule does not match, its verdict says why in
plain words, for ``explain``.

All variants of all terms of all rules go into one Aho-Corasick automaton
whose keys are padded with spaces (" gpu " — prefix keys have no trailing
space), run once per field over the normalised text padded the same way,
so the cost of a match hardly depends on how many terms are configured.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import ahocorasick

from ._hashtags import tag_phrases
from ._lang import normalize_language_tag
from ._normalize import normalize, tokenize
from ._query import Query, Term, evaluate, positive_terms, query_terms, requires_positive
from .exceptions import InvalidTermError, RuleError
from .types import ALL_FIELDS, Document, Field, MatchReport, TermHit, TopicVerdict

__all__ = ["MAX_VARIED_WORDS", "Matcher", "Rule", "highlight_spans", "term_variants"]

#: Phrases up to this many words get plural variants on every word; longer
#: ones only on their last word.
MAX_VARIED_WORDS = 5

_NO_SINGULAR_ENDINGS = ("ss", "us", "is", "os")
# Plural-looking words whose singular is a different, common word.
_NO_SINGULAR = frozenset(
    ["news", "always", "series", "species", "windows", "perhaps", "lens", "means", "mars"]
)


@dataclass(frozen=True)
class Rule:
    """One topic or subscription query, as the matcher sees it."""

    #: Topic id, or ``"query:<subscription name>"``.
    id: str
    #: The rule matches if any of these phrases appears (may end with ``*``).
    keywords: tuple[str, ...] = ()
    #: Alternatively (or also), the rule matches if this query holds.
    query: Query | None = None
    #: The rule never matches if one of these phrases appears in an allowed field.
    exclude: tuple[str, ...] = ()
    #: The fields terms are looked for in.
    fields: tuple[Field, ...] = ALL_FIELDS
    #: Allowed languages; empty means any. An item of unknown language passes.
    languages: tuple[str, ...] = ()


# -- terms -------------------------------------------------------------------


def _word_forms(written: str, folded: str) -> tuple[str, ...]:
    if folded[-1] in "sxz":
        if len(written) >= 3 and written.endswith("s") and written[:-1].isupper():
            # An acronym's plural: "GPUs", "CPUs", "AIs".
            return (folded, folded[:-1])
        if (
            folded[-1] == "s"
            and len(folded) >= 4
            and not folded.endswith(_NO_SINGULAR_ENDINGS)
            and folded not in _NO_SINGULAR
            # "Windows", "Texas": a proper noun, not a plural.
            and not (written[:1].isupper() and written[1:].islower())
        ):
            return (folded, folded[:-1])
        return (folded,)
    if len(folded) < 2 or folded.isdigit():
        # "l'IA" must not match "ls IA"; "100" has no plural.
        return (folded,)
    return (folded, folded + "s")


def _parse_term(written: str) -> tuple[str, bool]:
    """Split a configured term into its text and prefix flag; check it."""
    text = written.strip()
    prefix = text.endswith("*")
    if prefix:
        # "gpu *" is read as "gpu*", as the configuration check accepts it.
        text = text[:-1].rstrip()
    if "*" in text:
        raise InvalidTermError(f"term {written!r}: a * may only end a term")
    if not normalize(text):
        raise InvalidTermError(f"term {written!r} has no letter or digit")
    return text, prefix


def term_variants(written: str) -> tuple[str, ...]:
    """The automaton keys of a configured term: normalised variants padded with
    spaces (no trailing space for a prefix term).

    Raises InvalidTermError when the term is blank, holds no letter or digit, or has
    a ``*`` anywhere but at its end (spaces before a final ``*`` are ignored).
    """
    text, prefix = _parse_term(written)
    toks = tokenize(text)
    forms: list[tuple[str, ...]] = []
    last = len(toks) - 1
    vary_all = len(toks) <= MAX_VARIED_WORDS
    for i, tok in enumerate(toks):
        if i == last and prefix:
            forms.append((tok.text,))
        elif i == last or vary_all:
            forms.append(_word_forms(text[tok.start : tok.end], tok.text))
        else:
            forms.append((tok.text,))
    tail = "" if prefix else " "
    return tuple(" " + " ".join(combo) + tail for combo in itertools.product(*forms))


class _TermIndex:
    """One automaton over every variant of a list of terms."""

    def __init__(self, terms: Sequence[str]) -> None:
        #: Term id → term as written.
        self.terms = tuple(terms)
        keys: dict[str, list[int]] = {}
        for tid, written in enumerate(self.terms):
            for key in term_variants(written):
                ids = keys.setdefault(key, [])
                if tid not in ids:
                    ids.append(tid)
        self._automaton: ahocorasick.Automaton | None = None
        if keys:
            automaton = ahocorasick.Automaton()
            for key, ids in keys.items():
                automaton.add_word(key, (len(key), key.endswith(" "), tuple(ids)))
            automaton.make_automaton()
            self._automaton = automaton

    def scan(self, norm: str) -> Iterator[tuple[int, int, int]]:
        """Yield ``(term id, start, end)`` for every hit in normalised text."""
        if self._automaton is None or not norm:
            return
        padded = f" {norm} "
        for last, (length, closed, ids) in self._automaton.iter(padded):
            # padded[last - length + 1] is the leading space: the word starts
            # there in unpadded coordinates.
            start = last - length + 1
            if closed:
                end = last - 1
            else:
                # A prefix hit covers the rest of its word.
                end = norm.find(" ", last)
                if end == -1:
                    end = len(norm)
            for tid in ids:
                yield tid, start, end


# -- the matcher -------------------------------------------------------------


def _term_text(term: Term) -> str:
    return term.phrase + ("*" if term.prefix else "")


def _quoted_list(words: Iterable[str]) -> str:
    return ", ".join(f'"{w}"' for w in words)


@dataclass(frozen=True)
class _CompiledRule:
    rule: Rule
    keywords: tuple[int, ...]
    excludes: tuple[int, ...]
    #: Positive query terms, then keywords: the ids whose absence means "no hit".
    positives: tuple[int, ...]
    query_ids: dict[Term, int]
    fields: frozenset[str]
    languages: tuple[str, ...]
    noun: str


class Matcher:
    """Matches documents against many rules in one pass per field.

    Build it with :meth:`compile`; it is immutable and safe to share.
    """

    def __init__(self, index: _TermIndex, rules: tuple[_CompiledRule, ...]) -> None:
        self._index = index
        self._rules = rules
        by_term: dict[int, list[int]] = {}
        for ri, cr in enumerate(rules):
            for tid in cr.positives:
                lst = by_term.setdefault(tid, [])
                if not lst or lst[-1] != ri:
                    lst.append(ri)
        self._rules_by_term = by_term
        # Most rules find nothing in most items: their verdicts are prebuilt.
        self._nothing = tuple(
            TopicVerdict(cr.rule.id, False, (), ("no term found",)) for cr in rules
        )
        self._nothing_in: dict[str, tuple[TopicVerdict, ...]] = {}

    @classmethod
    def compile(cls, rules: Sequence[Rule]) -> Matcher:
        """Compile rules into a matcher.

        Raises :class:`RuleError` (naming the rule) on a blank term (or one
        with no letter or digit, or a misplaced ``*``), a rule with neither
        keywords nor query, a query that can be true with none of its
        positive terms present, an empty or unknown field list, or an
        unusable language tag.
        """
        term_ids: dict[str, int] = {}

        def tid(written: str) -> int:
            key = written.strip()
            if key not in term_ids:
                term_variants(key)  # validates
                term_ids[key] = len(term_ids)
            return term_ids[key]

        compiled: list[_CompiledRule] = []
        for rule in rules:
            try:
                if not rule.keywords and rule.query is None:
                    raise RuleError(rule.id, "it has neither keywords nor a query")
                if not rule.fields or not set(rule.fields) <= set(ALL_FIELDS):
                    raise RuleError(rule.id, f"fields must be some of {', '.join(ALL_FIELDS)}")
                if rule.query is not None and not requires_positive(rule.query):
                    raise RuleError(rule.id, "its query needs at least one positive term")
                languages: list[str] = []
                for tag in rule.languages:
                    lang = normalize_language_tag(tag)
                    if lang is None:
                        raise RuleError(rule.id, f"unknown language {tag!r}")
                    languages.append(lang)
                keywords = tuple(dict.fromkeys(tid(k) for k in rule.keywords))
                excludes = tuple(dict.fromkeys(tid(k) for k in rule.exclude))
                query_ids: dict[Term, int] = {}
                positives: list[int] = []
                if rule.query is not None:
                    for term in query_terms(rule.query):
                        query_ids[term] = tid(_term_text(term))
                    positives = [query_ids[t] for t in positive_terms(rule.query)]
            except InvalidTermError as exc:
                raise RuleError(rule.id, str(exc)) from exc
            compiled.append(
                _CompiledRule(
                    rule=rule,
                    keywords=keywords,
                    excludes=excludes,
                    positives=tuple(dict.fromkeys([*keywords, *positives])),
                    query_ids=query_ids,
                    fields=frozenset(rule.fields),
                    languages=tuple(dict.fromkeys(languages)),
                    noun="subscription" if rule.id.startswith("query:") else "topic",
                )
            )
        return cls(_TermIndex(list(term_ids)), tuple(compiled))

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(cr.rule for cr in self._rules)

    def match(self, doc: Document) -> MatchReport:
        """Every rule's verdict on ``doc`` and every term hit. Never raises."""
        terms = self._index.terms
        found: dict[int, list[Field]] = {}
        hits: list[TermHit] = []
        for field in ALL_FIELDS:
            text = doc.field_text(field)
            if not text:
                continue
            norm = normalize(text)
            for t, start, end in self._index.scan(norm):
                hits.append(TermHit(terms[t], field, start, end))
                fields = found.setdefault(t, [])
                if not fields or fields[-1] != field:
                    fields.append(field)
            # The words inside hashtags and handles (#IAGénérative): their hits
            # cover the whole tag.
            for tag in tag_phrases(text):
                for t, _, _ in self._index.scan(tag.words):
                    start = len(normalize(text[:tag.start]))
                    start += 1 if start else 0
                    hits.append(TermHit(terms[t], field, start,
                                        start + len(normalize(tag.tag)), tag=tag.tag))
                    fields = found.setdefault(t, [])
                    if field not in fields:
                        fields.append(field)

        lang = normalize_language_tag(doc.language)
        verdicts = list(self._nothing if lang is None else self._nothing_for(lang))
        touched: set[int] = set()
        for t in found:
            touched.update(self._rules_by_term.get(t, ()))
        # Terms found in each field set that rules look at (usually just one set).
        by_fields: dict[frozenset[str], frozenset[int]] = {}
        for ri in touched:
            cr = self._rules[ri]
            seen = by_fields.get(cr.fields)
            if seen is None:
                seen = frozenset(t for t, fs in found.items() if not cr.fields.isdisjoint(fs))
                by_fields[cr.fields] = seen
            verdicts[ri] = self._verdict(cr, found, seen, lang)
        return MatchReport(tuple(verdicts), tuple(hits))

    def _nothing_for(self, lang: str) -> tuple[TopicVerdict, ...]:
        """The verdicts of rules that found no term in an item in ``lang``."""
        cached = self._nothing_in.get(lang)
        if cached is None:
            cached = tuple(
                TopicVerdict(
                    cr.rule.id, False, (),
                    (f"language {lang} not in {', '.join(cr.languages)}", "no term found"),
                )
                if cr.languages and lang not in cr.languages
                else self._nothing[ri]
                for ri, cr in enumerate(self._rules)
            )
            # Tags are normalised, but bound the cache anyway (tags come from feeds).
            if len(self._nothing_in) < 64:
                self._nothing_in[lang] = cached
        return cached

    def _verdict(
        self,
        cr: _CompiledRule,
        found: dict[int, list[Field]],
        seen: frozenset[int],
        lang: str | None,
    ) -> TopicVerdict:
        """The verdict of a rule given every term's fields and the terms
        ``seen`` in the fields the rule looks at."""
        terms = self._index.terms
        allowed = cr.fields
        in_allowed = seen.__contains__

        kw_hit = any(in_allowed(t) for t in cr.keywords)
        query = cr.rule.query
        query_ok = query is not None and evaluate(query, lambda q: in_allowed(cr.query_ids[q]))
        matched_terms = tuple(terms[t] for t in cr.positives if in_allowed(t))
        excluded = [(t, found[t]) for t in cr.excludes if in_allowed(t)]
        lang_ok = lang is None or not cr.languages or lang in cr.languages
        matched = (kw_hit or query_ok) and not excluded and lang_ok
        if matched:
            return TopicVerdict(cr.rule.id, True, matched_terms)

        reasons: list[str] = []
        if not lang_ok:
            reasons.append(f"language {lang} not in {', '.join(cr.languages)}")
        for t, fields in excluded:
            where = ", ".join(f for f in fields if f in allowed)
            reasons.append(f'excluded by "{terms[t]}" ({where})')
        if not (kw_hit or query_ok):
            looks_at = ", ".join(f for f in ALL_FIELDS if f in allowed)
            for t in cr.positives:
                if t in found and not in_allowed(t):
                    reasons.append(
                        f'"{terms[t]}" found only in {", ".join(found[t])}, '
                        f"but this {cr.noun} looks at {looks_at}"
                    )
            if query is not None:
                pos = [cr.query_ids[q] for q in positive_terms(query)]
                neg = [i for i in cr.query_ids.values() if i not in pos]
                have = [terms[i] for i in pos if in_allowed(i)]
                lack = [terms[i] for i in pos if not in_allowed(i)]
                unwanted = [terms[i] for i in neg if in_allowed(i)]
                if have:
                    details = [f"found {_quoted_list(have)}"]
                    if lack:
                        details.append(f"missing {_quoted_list(lack)}")
                    if unwanted:
                        details.append(f"unwanted {_quoted_list(unwanted)}")
                    reasons.append(f"query {query} not satisfied ({'; '.join(details)})")
            if not matched_terms and not any(t in found for t in cr.positives):
                reasons.append("no term found")
        return TopicVerdict(cr.rule.id, False, matched_terms, tuple(reasons))


# -- highlighting ------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _index_for(terms: tuple[str, ...]) -> _TermIndex:
    return _TermIndex(terms)


def highlight_spans(text: str, terms: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Character spans ``(start, end)`` in ``text`` (the original, not
    normalised) where any of ``terms`` occurs, with the matcher's rules;
    overlapping or touching spans are merged; sorted.

    Raises InvalidTermError on a blank term (see :func:`term_variants`).
    """
    index = _index_for(tuple(dict.fromkeys(t.strip() for t in terms)))
    tokens = tokenize(text)
    if not tokens:
        return ()
    starts: list[int] = []
    pos = 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok.text) + 1
    norm = " ".join(tok.text for tok in tokens)
    raw: list[tuple[int, int]] = []
    for _, start, end in index.scan(norm):
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, end - 1) - 1
        raw.append((tokens[first].start, tokens[last].end))
    for tag in tag_phrases(text):
        if any(True for _ in index.scan(tag.words)):
            raw.append((tag.start, tag.end))  # a term inside a hashtag: the whole tag
    raw.sort()
    merged: list[tuple[int, int]] = []
    for start, end in raw:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)
