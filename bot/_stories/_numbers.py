"""Numbers in news text, read alike in French and English (pure).

"100,000", "100 000" (any space), "100k" and "100K" are one number; so are
"€1.2 billion", "1,2 milliard d’euros" and "EUR 1.2bn"; "4%" and "4 %" and
"4 per cent"; "25 basis points", "0,25 point" and "a quarter point". Each
:class:`Quantity` has a kind (a count, a percentage, an amount in a currency,
a year, a quarter …) because only quantities of one kind can contradict each
other: a recall of 2 million vehicles against one of 200,000 is two stories,
a count of 3 against a year 2026 is nothing.

Separators: a comma or a dot followed by exactly three digits groups
thousands ("15,000", "1.200"), otherwise it is the decimal mark ("1,2",
"5.5"); with both, the last one is the decimal mark ("1,234.5", "1.234,5").
"billion" is 10⁹ in English and 10¹² in French.

A number glued to letters is a name, not a quantity ("A320", "H100",
"GPT-5", "Q1" is read as a quarter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .._normalize import normalize
from ._terms import concept_of

__all__ = ["Quantity", "quantities", "same_quantity"]

#: Larger numbers are not quantities but identifiers (or hostile text).
MAX_VALUE = 1e18
#: How far a rounded number may be from the precise one it rounds.
ROUNDING_TOLERANCE = 0.03


@dataclass(frozen=True)
class Quantity:
    """A number read from a text, normalised."""

    #: "count", "pct", "pp" (percentage points), "year", "quarter", "money:EUR", "temp:C" …
    kind: str
    #: The value, magnitude applied (1.2 billion → 1200000000.0).
    value: float
    #: Its significant digits as written ("1.84 billion" → 3, "200,000" → 2): its precision.
    digits: int = 1
    #: What is counted, as a vocabulary concept ("vehicle", "gpu"), when known.
    unit: str | None = None
    #: Whether it was read in the title.
    in_title: bool = False

    @property
    def label(self) -> str:
        """The value as the explanations show it: "100000 GPU", "EUR 1200000000", "4%"."""
        number = _plain(self.value)
        if self.kind.startswith("money:"):
            return f"{self.kind[6:]} {number}"
        if self.kind == "pct":
            return f"{number}%"
        if self.kind == "pp":
            return f"{number} pt"
        if self.kind == "quarter":
            return f"Q{number}"
        if self.kind.startswith("temp:"):
            return f"{number}°{self.kind[5:]}"
        if self.unit:
            return f"{number} {self.unit.upper() if self.unit in _ACRONYM_UNITS else self.unit}"
        return number


_ACRONYM_UNITS = frozenset({"gpu", "ai", "llm", "ceo"})


def _plain(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.0f}"


def same_quantity(a: Quantity, b: Quantity) -> bool:
    """Whether two quantities say the same thing.

    Equal values are; so is a precise value and a rounded one, when rounding
    the first to the second's significant digits gives it and they differ by
    3 % at most ("2,031,220" and "2 million", "$68.7 billion" and "$69bn",
    "2.89 trillion" and "2 900 milliards"; not "210,000" and "200,000").
    """
    if a.kind != b.kind:
        return False
    if a.value == b.value:
        return True
    return _rounds_to(a, b) or _rounds_to(b, a)


def _rounds_to(precise: Quantity, rounded: Quantity) -> bool:
    if rounded.value == 0 or precise.digits <= rounded.digits:
        return False
    if abs(precise.value - rounded.value) > ROUNDING_TOLERANCE * abs(rounded.value):
        return False
    return float(f"{precise.value:.{rounded.digits}g}") == rounded.value


# -- reading -----------------------------------------------------------------

_SPACE = "[ \u00a0\u202f\u2009]"
_MAGNITUDES = {
    "k": 1e3, "K": 1e3, "thousand": 1e3, "mille": 1e3,
    "m": 1e6, "M": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "B": 1e9, "bn": 1e9, "md": 1e9, "Md": 1e9, "mds": 1e9, "Mds": 1e9, "mrd": 1e9,
    "Mrd": 1e9, "milliard": 1e9, "milliards": 1e9, "billion": 1e9, "billions": 1e9,
    "tn": 1e12, "trn": 1e12, "trillion": 1e12, "trillions": 1e12,
}
_MAGNITUDES.update({word.capitalize(): scale for word, scale in _MAGNITUDES.items()
                    if len(word) > 3})  # "1.6 Million Cars" in a Title Case headline
# Single letters are magnitudes only next to a currency ("$5m", "600 M€"); alone
# they are more often units ("5 m", "a 3B model").
_CURRENCY_ONLY = frozenset({"m", "M", "b", "B"})
_MAGNITUDE = "|".join(sorted(map(re.escape, _MAGNITUDES), key=len, reverse=True))
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "un": 1, "une": 1, "deux": 2, "trois": 3,
    "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
}
_CURRENCY_SIGNS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₩": "KRW",
                   "USD": "USD", "EUR": "EUR", "GBP": "GBP", "JPY": "JPY", "CHF": "CHF"}
_CURRENCY_WORDS = {
    "euro": "EUR", "euros": "EUR", "dollar": "USD", "dollars": "USD", "livre": "GBP",
    "livres": "GBP", "pound": "GBP", "pounds": "GBP", "yen": "JPY", "yens": "JPY",
    "won": "KRW", "wons": "KRW", "yuan": "CNY", "yuans": "CNY", "franc": "CHF", "francs": "CHF",
}

_NUMBER = re.compile(
    r"(?<![\w.,/:\-$€£¥₩])"
    r"(?:(?P<cur>US\$|USD|EUR|GBP|JPY|CHF|[$€£¥₩])\s?)?"
    r"(?:(?P<num>\d{1,3}(?:" + _SPACE + r"\d{3}(?!\d))+(?:[.,]\d+)?|\d+(?:[.,]\d+)*)"
    r"|(?P<word>(?i:a|an|one|two|three|four|five|six|seven|eight|nine|ten|un|une|deux|trois"
    r"|quatre|cinq|sept|huit|neuf|dix))(?=\s+(?:thousand|millions?|milliards?|billions?"
    r"|trillions?)\b))"
    r"(?:(?P<gap>\s?)(?P<mag>" + _MAGNITUDE + r")(?![\w]))?"
    r"(?P<degrees>\s?°\s?[CF]?|[CF](?!\w))?"
    r"(?![\w/:]|[.,]\d)"
)
# What may follow a number: a currency, a percent sign, points, or what is counted.
_AFTER_CURRENCY = re.compile(
    r"\s?(?:(?:d['’]\s?|de\s+|of\s+)?(?P<word>euros?|dollars?|livres?|pounds?|yens?|wons?"
    r"|yuans?|francs?)\b|(?P<sign>US\$|USD|EUR|GBP|JPY|CHF|[$€£¥₩]))", re.IGNORECASE)
_AFTER_PERCENT = re.compile(r"\s?(?:%|per\s?cent\b|percent\b|pour\s?cent\b)", re.IGNORECASE)
_AFTER_BASIS_POINTS = re.compile(
    r"\s?(?:basis[\s-]points?|bps?\b|points?\s+de\s+base|pb\b)", re.IGNORECASE)
_AFTER_POINTS = re.compile(
    r"\s?(?:percentage[\s-]points?|points?\s+de\s+pourcentage|points?\b)", re.IGNORECASE)
_FRACTION_POINTS = re.compile(
    r"\b(?P<what>quarter|quart|half|demi)[\s-](?:a[\s-]|de\s+|d['’]un\s+)?(?:percentage[\s-])?"
    r"point\b", re.IGNORECASE)
_QUARTER = re.compile(
    r"\bQ(?P<q>[1-4])\b|\b(?P<en>first|second|third|fourth)[\s-]quarter\b"
    r"|\b(?P<fr>premier|1er|deuxi[eè]me|2e|2[eè]me|second|troisi[eè]me|3e|3[eè]me"
    r"|quatri[eè]me|4e|4[eè]me)\s+trimestre\b", re.IGNORECASE)
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "premier": 1, "1er": 1,
                  "deuxieme": 2, "2e": 2, "2eme": 2, "troisieme": 3, "3e": 3, "3eme": 3,
                  "quatrieme": 4, "4e": 4, "4eme": 4}
_UNIT_SKIP = frozenset({"de", "d", "des", "of", "more", "plus", "than", "que", "nouveaux",
                        "new", "les", "the", "its", "ses", "environ", "about"})


def _parse_digits(text: str) -> tuple[Decimal, int] | None:
    """The value of a run of digits and separators, and its number of decimals."""
    groups = re.split(_SPACE, text)
    if len(groups) > 1:  # spaces group thousands; a decimal part may end the last group
        tail = re.split(r"[.,]", groups[-1], maxsplit=1)
        return _decimal("".join(groups[:-1]) + tail[0], tail[1] if len(tail) > 1 else "")
    seps = re.findall(r"[.,]", text)
    parts = re.split(r"[.,]", text)
    if not seps:
        return _decimal(text, "")
    if len(set(seps)) == 2:
        *head, frac = parts
        decimal_mark = seps[-1]
        if any(s == decimal_mark for s in seps[:-1]) or any(len(g) != 3 for g in head[1:]):
            return None
        return _decimal("".join(head), frac)
    if all(len(g) == 3 for g in parts[1:]) and not (len(parts) == 2 and parts[0] == "0"):
        return _decimal("".join(parts), "")
    if len(parts) == 2:
        return _decimal(parts[0], parts[1])
    return None  # "1.2.3": a version, not a quantity


def _significant_digits(value: Decimal) -> int:
    """1 for "200000" or "0.2", 2 for "2900" or "6.6", 3 for "2.89"."""
    return max(1, len(value.normalize().as_tuple().digits))


def _decimal(whole: str, frac: str) -> tuple[Decimal, int] | None:
    try:
        return Decimal(f"{whole}.{frac}" if frac else whole), len(frac)
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None


def _unit(after: str) -> str | None:
    """What a count counts: the concept of the words after it ("GPUs", "de véhicules")."""
    words = normalize(after[:60]).split()[:6]
    while words and words[0] in _UNIT_SKIP:
        words.pop(0)
    # A name may come first: "100,000 Nvidia GPUs", "500 Airbus jets".
    for start in range(min(3, len(words))):
        unit = concept_of(words[start:start + 3])
        if unit is not None:
            return unit
    return None


def quantities(text: str, *, language: str | None = None,
               in_title: bool = False) -> list[Quantity]:
    """Every quantity of ``text``, in order. Never raises."""
    found: list[Quantity] = []
    for m in _FRACTION_POINTS.finditer(text):
        what = m.group("what").lower()
        found.append(Quantity("pp", 0.25 if what in ("quarter", "quart") else 0.5,
                              in_title=in_title))
    for m in _QUARTER.finditer(text):
        q = m.group("q") or m.group("en") or m.group("fr")
        n = int(q) if q.isdigit() else _QUARTER_WORDS.get(normalize(q).replace(" ", ""), 0)
        if n:
            found.append(Quantity("quarter", float(n), in_title=in_title))
    for m in _NUMBER.finditer(text):
        quantity = _read(m, text, language, in_title)
        if quantity is not None:
            found.append(quantity)
    return found


def _read(m: re.Match[str], text: str, language: str | None,
          in_title: bool) -> Quantity | None:
    if m.group("num"):
        parsed = _parse_digits(m.group("num"))
        if parsed is None:
            return None
        mantissa, decimals = parsed
    else:
        mantissa, decimals = Decimal(_NUMBER_WORDS[m.group("word").lower()]), 0
    digits = _significant_digits(mantissa)
    rest = text[m.end():]
    mag = m.group("mag")
    currency = _CURRENCY_SIGNS.get(m.group("cur") or "")
    after = _AFTER_CURRENCY.match(rest)
    if after:
        currency = currency or _CURRENCY_SIGNS.get(after.group("sign") or "") or \
            _CURRENCY_WORDS.get((after.group("word") or "").lower())
        rest = rest[after.end():]
    if m.group("word") and not mag:
        mag = _leading_magnitude(rest)
        if mag is None:
            return None
        rest = rest.lstrip()[len(mag):]
        after = _AFTER_CURRENCY.match(rest)
        if after:
            currency = currency or _CURRENCY_WORDS.get((after.group("word") or "").lower())
            rest = rest[after.end():]
    if mag in _CURRENCY_ONLY and not currency and m.group("gap"):
        # "5 m" is five metres; glued ("5m users", "a 3B model") it is a magnitude.
        return Quantity("count", float(mantissa), digits, None, in_title)
    if not mantissa < Decimal(MAX_VALUE):
        return None
    if m.group("degrees") and not mag:  # "46C", "46 °C": a temperature
        unit = m.group("degrees").strip().strip("°").strip() or "C"
        return Quantity(f"temp:{unit}", float(mantissa), digits, None, in_title)
    scale = _MAGNITUDES[mag] if mag else 1.0
    if mag and mag.lower() in ("billion", "billions") and language == "fr":
        scale = 1e12
    value = float(mantissa * Decimal(scale))
    if not value < MAX_VALUE:
        return None  # a run of digits no story counts in (hostile text, an ID)
    if currency:
        return Quantity(f"money:{currency}", value, digits, None, in_title)
    if _AFTER_PERCENT.match(rest):
        return Quantity("pct", value, digits, None, in_title)
    if _AFTER_BASIS_POINTS.match(rest) and not mag:
        return Quantity("pp", float(mantissa / 100), digits, None, in_title)
    if _AFTER_POINTS.match(rest) and not mag:
        return Quantity("pp", value, digits, None, in_title)
    if (not mag and decimals == 0 and m.group("num") and m.group("num").isdigit()
            and 1900 <= value <= 2100):
        return Quantity("year", value, in_title=in_title)
    unit = _unit(rest)
    return Quantity("count", value, digits, unit, in_title)


def _leading_magnitude(rest: str) -> str | None:
    word = rest.lstrip().split(" ", 1)[0] if rest.strip() else ""
    word = re.sub(r"\W+$", "", word)
    return word if word in _MAGNITUDES else None
