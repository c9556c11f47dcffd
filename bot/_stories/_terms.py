"""A text as comparable terms: aliases, vocabulary concepts and word stems (pure).

The words of a text (folded by :func:`bot._normalize.tokenize`) are read
left to right; at each word the longest alias or concept phrase starting
there wins ("Union européenne" → the alias ``eu``, "processeurs graphiques"
→ the concept ``gpu``), otherwise the word stands for itself, stemmed (a
plural "s" dropped). Stop words and bare numbers give no term.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._normalize import Token, tokenize
from ._lexicon import ALIASES, CONCEPTS, STOP, Phrase, phrases

__all__ = ["Span", "Words", "concept_of", "read_words", "stem"]

#: Kinds of spans.
ALIAS, CONCEPT, WORD = "alias", "concept", "word"


@dataclass(frozen=True)
class Span:
    """A run of words that reads as one term."""

    #: Index of its first word.
    start: int
    #: Index just past its last word.
    end: int
    #: ALIAS, CONCEPT or WORD.
    kind: str
    #: The alias key, the concept, or the stemmed word.
    key: str


@dataclass(frozen=True)
class Words:
    """A text cut into words, each as written and folded, with its spans."""

    #: The text.
    text: str
    #: The folded words with their offsets in ``text``.
    tokens: tuple[Token, ...]
    #: The terms it reads as, in order (stop words and numbers are left out).
    spans: tuple[Span, ...]

    def raw(self, i: int) -> str:
        """Word ``i`` as written."""
        token = self.tokens[i]
        return self.text[token.start:token.end]


def _build() -> tuple[dict[str, list[tuple[Phrase, str, str]]],
                      dict[str, list[tuple[Phrase, str, str]]]]:
    folded: dict[str, list[tuple[Phrase, str, str]]] = {}
    raw: dict[str, list[tuple[Phrase, str, str]]] = {}
    for kind, table in ((ALIAS, ALIASES), (CONCEPT, CONCEPTS)):
        for phrase, key in phrases(table):
            words, capitals = phrase
            if words:
                (raw if capitals else folded).setdefault(words[0], []).append(
                    (phrase, kind, key))
    for index in (folded, raw):
        for entries in index.values():
            # Longest first; an alias before a concept of the same length.
            entries.sort(key=lambda e: (-len(e[0][0]), e[1] != ALIAS))
    return folded, raw


_FOLDED, _RAW = _build()


def stem(word: str) -> str:
    """A word without its plural mark ("gpus" → "gpu", "avions" → "avion")."""
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def _match(folded: list[str], raw: list[str], i: int) -> tuple[int, str, str] | None:
    """The longest phrase at word ``i``: (length, kind, key)."""
    best: tuple[int, str, str] | None = None
    for index, words in ((_RAW, raw), (_FOLDED, folded)):
        for (phrase, _), kind, key in index.get(words[i], ()):
            n = len(phrase)
            if best is not None and n <= best[0]:
                break
            if tuple(words[i:i + n]) == phrase:
                best = (n, kind, key)
                break
    return best


def read_words(text: str) -> Words:
    """Cut ``text`` into words and terms. Never raises."""
    tokens = tuple(tokenize(text))
    folded = [t.text for t in tokens]
    raw = [text[t.start:t.end] for t in tokens]
    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        found = _match(folded, raw, i)
        if found is not None:
            n, kind, key = found
            spans.append(Span(i, i + n, kind, key))
            i += n
            continue
        word = folded[i]
        if word not in STOP and not word.isdigit():
            spans.append(Span(i, i + 1, WORD, stem(word)))
        i += 1
    return Words(text, tokens, tuple(spans))


def concept_of(words: list[str]) -> str | None:
    """The concept the folded ``words`` start with, if any ("vehicules" → "vehicle")."""
    if not words:
        return None
    for (phrase, _), kind, key in _FOLDED.get(words[0], ()):
        if kind == CONCEPT and tuple(words[:len(phrase)]) == phrase:
            return key
    if words[0].endswith("s"):
        return concept_of([stem(words[0]), *words[1:]]) if stem(words[0]) != words[0] else None
    return None
