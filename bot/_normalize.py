"""Text normalisation shared by matching, search and highlighting.

Both sides of a comparison (item text and configured terms) go through the
same folding, so that "Musk's", "MUSK" and "musk" compare equal, "générative"
equals "generative", and "l’IA" holds the word "ia".

Folding of one character, computed once and cached:

1. default-ignorable characters (soft hyphen, zero-width space/joiners, word
   joiner, BOM, bidi controls, variation selectors …) vanish, so they never
   split a word;
2. Unicode NFKC (ligatures "ﬁ" → "fi", full-width letters, "²" → "2" …);
3. casefold ("ß" → "ss");
4. accents folded: NFD, then combining marks dropped ("é" → "e"), plus letters
   NFD does not decompose ("œ" → "oe", "æ" → "ae", "ø" → "o", "ł" → "l",
   "đ"/"ð" → "d", "þ" → "th", "ı" → "i" …);
5. every character that is not a letter, digit or (spacing) mark separates
   words: spaces, punctuation, every apostrophe (' ’ ʼ ‘ `) and every hyphen
   or dash (- ‐ ‑ ‒ – — ― −). So "e-mail" is the two words "e mail" and
   "l’IA" is "l ia".

Numbers: digits are word characters and every separator splits them, so
"100,000", "100 000" (with any kind of space) and "100.000" all give the two
words "100 000". A configured "100 000" therefore matches all three spellings;
"3.5" gives "3 5".

A character whose folded form holds a separator *inside* it (NFKC "½" →
"1⁄2", "℀" → "a/c") is treated as a separator as a whole; leading or
trailing separators of a folded form are dropped ("⑴" → "1"). This keeps the
promise that every token's offsets slice the original text to a string that
normalises to exactly that token.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = ["Token", "fold_char", "normalize", "tokenize"]


class Token(NamedTuple):
    """One normalised word and where it came from."""

    #: The folded word (lower-case, no accents, letters/digits only).
    text: str
    #: Offset of its first character in the original string.
    start: int
    #: Offset just past its last character in the original string.
    end: int


# Apostrophes that NFKC keeps as letters (U+02BC is category Lm, so it would
# otherwise glue "lʼIA" into one word).
_FORCED_SEPARATORS = frozenset("\u02bc\u02bb\u02bd\u2019\u2018`'")

# Letters that NFD does not decompose but that readers treat as accented.
_EXTRA_FOLDS = {
    "œ": "oe",
    "æ": "ae",
    "ß": "ss",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ħ": "h",
    "ı": "i",
    "ŧ": "t",
    "ŀ": "l",
    "ĸ": "k",
    "ſ": "s",
}

# Default-ignorable characters outside category Cf: combining grapheme joiner,
# variation selectors, Mongolian free variation selectors.
_EXTRA_IGNORABLE = frozenset(
    ["\u034f", *map(chr, range(0xFE00, 0xFE10)), *map(chr, range(0x180B, 0x1810))]
    + [chr(c) for c in range(0xE0100, 0xE01F0)]
)

_SEP = " "
_DROP = ""

# A cache bigger than this stops growing: hostile text with every code point
# would otherwise make it hold ~1M entries.
_CACHE_LIMIT = 1 << 16


def _is_word_char(ch: str) -> bool:
    if ch in _FORCED_SEPARATORS:
        return False
    if ch.isalnum():
        return True
    # Spacing and non-spacing marks left after accent folding (Indic vowel
    # signs …) belong to their word; enclosing marks (keycaps) do not.
    cat = unicodedata.category(ch)
    return cat in ("Mn", "Mc")


def _fold_once(ch: str) -> str:
    """One round of NFKC, casefold and accent folding of a single character."""
    if ch in _FORCED_SEPARATORS:
        return _SEP
    if ch in _EXTRA_IGNORABLE:
        return _DROP
    cat = unicodedata.category(ch)
    if cat == "Cf" or cat == "Me":
        return _DROP
    if cat in ("Cn", "Co", "Cs", "Cc", "Zs", "Zl", "Zp"):
        return _SEP
    s = unicodedata.normalize("NFKC", ch).casefold()
    s = unicodedata.normalize("NFD", s)
    s = "".join(_EXTRA_FOLDS.get(c, c) for c in s if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", s)


def _compute_fold(ch: str) -> str:
    # Iterate to a fixed point so that folding is idempotent (casefold can
    # produce characters that NFKC or casefold would change again).
    s = _fold_once(ch)
    for _ in range(4):
        nxt = "".join(_fold_once(c) for c in s)
        if nxt == s:
            break
        s = nxt
    if s == _DROP:
        return _DROP
    # Keep only the word part; a separator inside makes the whole a separator.
    i, j = 0, len(s)
    while i < j and not _is_word_char(s[i]):
        i += 1
    while j > i and not _is_word_char(s[j - 1]):
        j -= 1
    core = s[i:j]
    if not core or not all(_is_word_char(c) for c in core):
        return _SEP
    return core


class _FoldTable(dict[int, str]):
    """Code point → folded string, filled lazily; usable by ``str.translate``."""

    def __missing__(self, code: int) -> str:
        folded = _compute_fold(chr(code))
        if len(self) < _CACHE_LIMIT:
            self[code] = folded
        return folded


_TABLE = _FoldTable()
for _c in range(128):
    _ch = chr(_c)
    _TABLE[_c] = _ch.lower() if _ch.isalnum() else _SEP


def fold_char(ch: str) -> str:
    """The folded form of one character: ``""`` when it vanishes, ``" "`` when
    it separates words, else one or more word characters."""
    return _TABLE[ord(ch)]


_ASCII_WORD = re.compile(r"[a-z0-9]+")
# Runs that may hold word characters: ASCII letters/digits and anything
# non-ASCII (classified one character at a time).
_CANDIDATE = re.compile(r"[A-Za-z0-9\u0080-\U0010ffff]+")


def normalize(text: str) -> str:
    """Fold ``text`` to lower-case accentless words joined by single spaces.

    Never raises; returns ``""`` when ``text`` holds no letter or digit.
    """
    if text.isascii():
        return " ".join(_ASCII_WORD.findall(text.lower()))
    return " ".join(text.translate(_TABLE).split())


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into normalised words with their offsets in ``text``.

    ``" ".join(t.text for t in tokenize(x)) == normalize(x)`` always holds,
    and ``normalize(x[t.start:t.end]) == t.text`` for every token. Never raises.
    """
    tokens: list[Token] = []
    table = _TABLE
    for m in _CANDIDATE.finditer(text):
        run = m.group()
        base = m.start()
        if run.isascii():
            tokens.append(Token(run.lower(), base, m.end()))
            continue
        parts: list[str] = []
        start = -1
        end = -1
        for i, ch in enumerate(run):
            folded = table[ord(ch)]
            if folded == _DROP:
                continue
            if folded == _SEP:
                if parts:
                    tokens.append(Token("".join(parts), start, end))
                    parts = []
                continue
            if not parts:
                start = base + i
            parts.append(folded)
            end = base + i + 1
        if parts:
            tokens.append(Token("".join(parts), start, end))
    return tokens
