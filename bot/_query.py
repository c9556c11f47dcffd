"""The keyword query language of subscriptions and searches.

Syntax::

    gpu nvidia                 both words (AND by juxtaposition; ``AND`` may be written)
    gpu OR tpu                 either (``|`` works too; ``or`` in lower case is a word)
    "IA générative"            a phrase; « … » and “ … ” quote too
    gpu*                       prefix: gpu, gpus, gpu-bound …
    "machine learn*"           a phrase whose last word is a prefix
    -crypto  -"GPU mining"  -(a b)     NOT
    (gpu OR tpu) -crypto       grouping

Precedence: NOT binds tightest, then AND, then OR, so ``a b OR c`` is
``(a b) OR c``. A query needs at least one positive term, and so does each
alternative of an OR: ``-crypto`` or ``gpu OR -crypto`` would match nearly
every item, which is never what an alert wants.

Words and phrases are kept as written in :class:`Term`; the matcher
normalises them (see :mod:`bot._normalize`), so ``l'IA`` is the phrase
"l ia" and ``e-mail`` the phrase "e mail".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._normalize import normalize
from .exceptions import QuerySyntaxError

__all__ = [
    "And",
    "Not",
    "Or",
    "Query",
    "Term",
    "evaluate",
    "parse_query",
    "positive_terms",
    "query_terms",
    "requires_positive",
]

#: Deeper nesting is refused: queries come from chat users.
MAX_DEPTH = 32

# Opening quote → the closing quotes it accepts.
_QUOTES = {'"': '"', "«": "»", "“": "”“", "„": "“”"}
_SPECIAL = frozenset('()|"«»“”„')
_KEYWORDS = frozenset(["OR", "AND"])


@dataclass(frozen=True)
class Term:
    """A word or phrase, as written (without quotes or the trailing ``*``)."""

    phrase: str
    #: Whether the last word is a prefix (written ``word*``).
    prefix: bool = False

    def __str__(self) -> str:
        p = self.phrase
        star = "*" if self.prefix else ""
        bare = (
            p
            and not any(c.isspace() or c in _SPECIAL or c == "*" for c in p)
            and not p.startswith("-")
            and p not in _KEYWORDS
        )
        if bare:
            return p + star
        for open_, close in (('"', '"'), ("«", "»"), ("“", "”")):
            if not any(c in p for c in _QUOTES[open_]):
                return f"{open_}{p}{star}{close}"
        # Every closing quote occurs inside (never so for a parsed term):
        # quotes separate words anyway, so replacing them keeps the meaning.
        cleaned = "".join(" " if c in _SPECIAL else c for c in p)
        return f'"{cleaned}{star}"'


@dataclass(frozen=True)
class And:
    """Every item must be true."""

    items: tuple[Query, ...]

    def __str__(self) -> str:
        return " ".join(f"({i})" if isinstance(i, Or) else str(i) for i in self.items)


@dataclass(frozen=True)
class Or:
    """At least one item must be true."""

    items: tuple[Query, ...]

    def __str__(self) -> str:
        return " OR ".join(str(i) for i in self.items)


@dataclass(frozen=True)
class Not:
    """The item must be false (its terms absent)."""

    item: Query

    def __str__(self) -> str:
        if isinstance(self.item, Term):
            return f"-{self.item}"
        return f"-({self.item})"


Query = Term | And | Or | Not


# -- lexer -------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # "term", "or", "and", "not", "(", ")", "end"
    pos: int
    term: Term | None = None


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok(c, i))
            i += 1
        elif c == "|":
            toks.append(_Tok("or", i))
            i += 1
        elif c == "-":
            nxt = text[i + 1] if i + 1 < n else ""
            if nxt == "-":
                raise QuerySyntaxError("double negation", text, i)
            if not nxt or nxt.isspace() or nxt in ")|":
                raise QuerySyntaxError("a - must be followed by a word, phrase or group", text, i)
            toks.append(_Tok("not", i))
            i += 1
        elif c in _QUOTES:
            closers = _QUOTES[c]
            j = i + 1
            while j < n and text[j] not in closers:
                j += 1
            if j >= n:
                raise QuerySyntaxError("unterminated quote", text, i)
            body = text[i + 1 : j]
            prefix = False
            star = body.find("*")
            if star != -1:
                if star != len(body.rstrip()) - 1:
                    raise QuerySyntaxError("a * must end the last word", text, i + 1 + star)
                # "gpu *" reads as "gpu*", as it does in a topic's keywords.
                body = body.rstrip()[:-1]
                prefix = True
            if not normalize(body):
                raise QuerySyntaxError("empty phrase", text, i)
            toks.append(_Tok("term", i, Term(body.strip(), prefix)))
            i = j + 1
        elif c in "»”":
            raise QuerySyntaxError("closing quote without an opening one", text, i)
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            word = text[i:j]
            if word in _KEYWORDS:
                toks.append(_Tok(word.lower(), i))
            else:
                star = word.find("*")
                prefix = False
                if star != -1:
                    if star != len(word) - 1:
                        raise QuerySyntaxError("a * must end a word", text, i + star)
                    if star == 0:
                        raise QuerySyntaxError("a * must follow a word", text, i)
                    word = word[:-1]
                    prefix = True
                if not normalize(word):
                    raise QuerySyntaxError("a term needs letters or digits", text, i)
                toks.append(_Tok("term", i, Term(word, prefix)))
            i = j
    toks.append(_Tok("end", n))
    return toks


# -- parser ------------------------------------------------------------------


def requires_positive(q: Query) -> bool:
    """Whether ``q`` is false whenever none of its positive terms is present.

    Every query :func:`parse_query` returns has this property; ``-crypto`` or
    ``a OR -b`` do not.
    """
    if isinstance(q, Term):
        return True
    if isinstance(q, Not):
        return False
    if isinstance(q, And):
        return any(requires_positive(i) for i in q.items)
    return all(requires_positive(i) for i in q.items)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _lex(text)
        self.i = 0

    def error(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.text, pos)

    def op_name(self, tok: _Tok) -> str:
        return "|" if self.text[tok.pos] == "|" else tok.kind.upper()

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def parse(self) -> Query:
        if self.tok.kind == "end":
            raise self.error("empty query", 0)
        q = self.or_expr(0)
        if self.tok.kind == ")":
            raise self.error("unmatched )", self.tok.pos)
        if self.tok.kind != "end":  # pragma: no cover - or_expr consumes the rest
            raise self.error("unexpected text", self.tok.pos)
        if not requires_positive(q):
            raise self.error("a query needs at least one positive term", 0)
        return q

    def or_expr(self, depth: int) -> Query:
        items: list[tuple[Query, int]] = []
        while True:
            start = self.tok
            if start.kind in ("or", "and"):
                raise self.error(f"{self.op_name(start)} needs a term on each side", start.pos)
            if start.kind in (")", "end"):
                if not items:
                    # Entered at ")" only from the top level (primary checks "()").
                    raise self.error("unmatched )", start.pos)
                op = self.toks[self.i - 1]
                raise self.error(f"{self.op_name(op)} needs a term on each side", op.pos)
            items.append((self.and_expr(depth), start.pos))
            if self.tok.kind != "or":
                break
            self.i += 1
        if len(items) == 1:
            return items[0][0]
        flat: list[Query] = []
        for item, pos in items:
            if not requires_positive(item):
                raise self.error("each side of OR needs a positive term", pos)
            flat.extend(item.items if isinstance(item, Or) else (item,))
        return Or(tuple(flat))

    def and_expr(self, depth: int) -> Query:
        items: list[Query] = []
        while True:
            kind = self.tok.kind
            if kind == "and":
                if not items:  # pragma: no cover - or_expr rejects a leading AND
                    raise self.error("AND needs a term on each side", self.tok.pos)
                pos = self.tok.pos
                self.i += 1
                if self.tok.kind in ("or", "and", ")", "end"):
                    raise self.error("AND needs a term on each side", pos)
                continue
            if kind in ("or", ")", "end"):
                break
            item = self.unary(depth)
            items.extend(item.items if isinstance(item, And) else (item,))
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self, depth: int) -> Query:
        if self.tok.kind == "not":
            self.i += 1
            return Not(self.primary(depth))
        return self.primary(depth)

    def primary(self, depth: int) -> Query:
        tok = self.tok
        if tok.kind == "term":
            self.i += 1
            assert tok.term is not None
            return tok.term
        if tok.kind == "(":
            if depth >= MAX_DEPTH:
                raise self.error("parentheses nested too deeply", tok.pos)
            self.i += 1
            if self.tok.kind == ")":
                raise self.error("empty parentheses", tok.pos)
            if self.tok.kind == "end":
                raise self.error("unclosed (", tok.pos)
            q = self.or_expr(depth + 1)
            if self.tok.kind != ")":
                raise self.error("unclosed (", tok.pos)
            self.i += 1
            return q
        # "not" is never followed by these: the lexer checks what follows a -.
        raise self.error("expected a word, phrase or group", tok.pos)  # pragma: no cover


def parse_query(text: str) -> Query:
    """Parse a keyword query.

    Raises :class:`bot.exceptions.QuerySyntaxError` (with a 0-based position)
    on an empty query, unbalanced parentheses, a dangling ``OR``/``AND``, a
    lone ``-``, an unterminated quote, an empty phrase, a ``*`` anywhere but
    at the end of a word, nesting deeper than :data:`MAX_DEPTH`, or a query
    (or OR alternative) with no positive term.
    """
    return _Parser(text).parse()


# -- using a query -----------------------------------------------------------


def _walk(q: Query, positive: bool, out: list[tuple[Term, bool]]) -> None:
    if isinstance(q, Term):
        out.append((q, positive))
    elif isinstance(q, Not):
        _walk(q.item, not positive, out)
    else:
        for item in q.items:
            _walk(item, positive, out)


def query_terms(q: Query) -> list[Term]:
    """Every distinct term of ``q`` (negated ones too), in order of appearance."""
    out: list[tuple[Term, bool]] = []
    _walk(q, True, out)
    return list(dict.fromkeys(t for t, _ in out))


def positive_terms(q: Query) -> list[Term]:
    """The distinct terms of ``q`` not under a NOT, in order of appearance."""
    out: list[tuple[Term, bool]] = []
    _walk(q, True, out)
    return list(dict.fromkeys(t for t, pos in out if pos))


def evaluate(q: Query, present: Callable[[Term], bool]) -> bool:
    """Whether ``q`` holds, given which terms are present. Never raises
    (unless ``present`` does)."""
    if isinstance(q, Term):
        return present(q)
    if isinstance(q, Not):
        return not evaluate(q.item, present)
    if isinstance(q, And):
        return all(evaluate(i, present) for i in q.items)
    return any(evaluate(i, present) for i in q.items)
