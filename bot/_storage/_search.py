"""Full-text search text and queries, identical on SQLite and PostgreSQL.

Vigie tokenises in Python (``bot._normalize``) on both sides of a search: the
indexed text is stored as normalised words joined by spaces (SQLite FTS5), or
as a ``tsvector`` built from the same words (PostgreSQL). Neither database's
own folding or parsing decides what a word is, so both back-ends find the
same items for the same query. Queries are built from words made only of
letters, digits and marks, each quoted, so user text never becomes query
syntax on either back-end.

Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .._normalize import normalize
from .._types import SearchTerm

__all__ = [
    "IndexText",
    "QueryTerm",
    "found_words",
    "fts5_match",
    "index_text",
    "query_terms",
    "tsquery",
    "tsvector_literal",
]

#: PostgreSQL drops longer lexemes (2047 bytes); a bound well below it, on both
#: back-ends, keeps them in agreement.
MAX_WORD_BYTES = 500
#: PostgreSQL positions stop at 16383; words beyond are not indexed anywhere.
MAX_POSITIONS = 16_383
#: PostgreSQL refuses a tsvector whose lexemes exceed 1 MiB.
MAX_LEXEME_BYTES = 900_000
#: A search with more terms than this keeps the first ones only.
MAX_TERMS = 32
#: PostgreSQL keeps at most 256 positions per lexeme.
_MAX_POSITIONS_PER_WORD = 256


@dataclass(frozen=True)
class IndexText:
    """The words of one item as indexed: title and body (summary + content)."""

    title: tuple[str, ...]
    body: tuple[str, ...]

    @property
    def title_text(self) -> str:
        return " ".join(self.title)

    @property
    def body_text(self) -> str:
        return " ".join(self.body)


def _words(text: str) -> list[str]:
    return normalize(text).split()


def index_text(title: str, summary: str, content: str) -> IndexText:
    """The words to index for an item, capped so that PostgreSQL can hold them."""
    kept_title: list[str] = []
    kept_body: list[str] = []
    seen: set[str] = set()
    lexeme_bytes = 0
    positions = 0
    full = False
    for target, text in ((kept_title, title), (kept_body, f"{summary}\n{content}")):
        if target is kept_body:
            # The body starts one position after a gap (see tsvector_literal).
            positions += 1
        for word in _words(text):
            size = len(word.encode("utf-8"))
            if size > MAX_WORD_BYTES:
                continue
            positions += 1
            if positions > MAX_POSITIONS or (
                word not in seen and lexeme_bytes + size > MAX_LEXEME_BYTES
            ):
                full = True
                break
            if word not in seen:
                seen.add(word)
                lexeme_bytes += size
            target.append(word)
        if full:
            break
    return IndexText(tuple(kept_title), tuple(kept_body))


def tsvector_literal(text: IndexText) -> str:
    """The PostgreSQL ``tsvector`` input for ``text``.

    Title words take positions 1…n, body words start at n+2: the gap keeps a
    phrase from matching across the two, as FTS5 columns do.
    """
    positions: dict[str, list[int]] = {}
    pos = 0
    for words, gap in ((text.title, 0), (text.body, 1)):
        pos += gap
        for word in words:
            pos += 1
            found = positions.setdefault(word, [])
            if len(found) < _MAX_POSITIONS_PER_WORD:
                found.append(pos)
    return " ".join(
        f"{_pg_quote(word)}:{','.join(map(str, where))}" for word, where in positions.items()
    )


def _pg_quote(word: str) -> str:
    # Words hold only letters, digits and marks; quoting anyway costs nothing.
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class QueryTerm:
    """One search term as words: a phrase, whose last word may be a prefix."""

    words: tuple[str, ...]
    prefix: bool


def query_terms(terms: Sequence[SearchTerm]) -> list[QueryTerm] | None:
    """The searchable form of ``terms``.

    A term without any word (only punctuation, say) constrains nothing and is
    dropped. Returns None when no item can match: no term has a word, or a
    word is too long to have been indexed.
    """
    out: list[QueryTerm] = []
    for term in terms[:MAX_TERMS]:
        words = tuple(_words(term.text))
        if not words:
            continue
        if any(len(w.encode("utf-8")) > MAX_WORD_BYTES for w in words):
            return None
        out.append(QueryTerm(words, term.prefix))
    return out or None


def fts5_match(terms: Sequence[QueryTerm]) -> str:
    """An FTS5 MATCH expression: every term a quoted phrase, ANDed.

    Inside double quotes FTS5 reads no operator (``OR``, ``NEAR``, ``*``, ``:``
    …); a double quote is doubled. ``*`` after the closing quote makes the
    phrase's last word a prefix.
    """
    parts = []
    for term in terms:
        phrase = " ".join(term.words).replace('"', '""')
        parts.append(f'"{phrase}"' + ("*" if term.prefix else ""))
    return " AND ".join(parts)


def tsquery(terms: Sequence[QueryTerm]) -> str:
    """A PostgreSQL ``tsquery`` input: quoted lexemes, ``<->`` for phrases,
    ``:*`` for a prefix, ``&`` between terms."""
    parts = []
    for term in terms:
        lexemes = [_pg_quote(w) for w in term.words]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def found_words(terms: Sequence[QueryTerm], text: IndexText) -> tuple[str, ...]:
    """The normalised words of the query found in an item, for highlighting:
    each term's words, and for a prefix the indexed words it stands for."""
    vocabulary = {*text.title, *text.body}
    out: dict[str, None] = {}
    for term in terms:
        fixed = term.words[:-1] if term.prefix else term.words
        for word in fixed:
            if word in vocabulary:
                out[word] = None
        if term.prefix:
            stem = term.words[-1]
            for word in sorted(w for w in vocabulary if w.startswith(stem)):
                out[word] = None
    return tuple(out)
