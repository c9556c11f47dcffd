"""The lead of an item: its first sentences, without the feed's boilerplate.

Sentence splitting is rule-based and knows English and French conventions:
abbreviations ("Mr.", "M.", "etc.", "U.S.", "p. ex."), initials, decimal
numbers, ellipses, French spacing before "?" and "!", and closing quotes
(« », “ ”) after the final punctuation. Pure functions, no I/O.
"""

from __future__ import annotations

import re

__all__ = ["cut_at_word", "make_lead", "split_sentences", "strip_boilerplate"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())

ELLIPSIS = "…"

# -- boilerplate -------------------------------------------------------------

_APOS = "['’]"
# Trailers removed from the end of the text, repeatedly, in any order.
_TRAILERS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        # WordPress: "The post X appeared first on Y." / "L’article X est apparu en premier sur Y."
        r"\s*The post\s.{0,400}?\sappeared first on\s[^\n]{0,200}$",
        rf"\s*L{_APOS}article\s.{{0,400}}?\sest apparu en premier sur\s[^\n]{{0,200}}$",
        r"\s*(?:This|The) (?:article|entry|story) (?:was )?(?:first |originally )?"
        r"(?:appeared|published) (?:first )?on\s[^\n]{0,200}$",
        rf"\s*(?:Cet article|Cette publication) (?:a été |est )?(?:d{_APOS}abord |initialement )?"
        r"(?:publié|paru)e? (?:en premier )?sur\s[^\n]{0,200}$",
        # "(Source: …)", "(via …)", "(Photo: …)" and "Source : …" credits.
        r"\s*[(\[]\s*(?:Sources?|Via|Photos?|Crédits?(?: photo)?|Credits?|Image)\s*:?\s"
        r"[^()\[\]\n]{0,150}[)\]]\s*\.?$",
        r"(?:^|\n)\s*(?:Sources?|Crédits?(?: photo)?|Photo credit|Image credit)\s*:\s[^\n]{0,150}$",
    )
]
# "Continue reading …", "Read more »", "Lire la suite": what precedes was cut short.
_READ_MORE = re.compile(
    r"\s*(?:[-–—|:•]\s*)?(?:\[\s*|\(\s*)?(?:Continue reading|Keep reading|Read more|Read on|"
    r"Read the (?:full|rest of the|whole) (?:story|article|post|piece)|Read full (?:story|article)|"
    r"Click here to read more|Full story|Lire la suite|Lire l['’]article(?: complet)?|"
    rf"Lire plus|En savoir plus|Voir plus|La suite (?:de l{_APOS}article|ici)|"
    rf"Suite de l{_APOS}article|Continuer la lecture)"
    r"\b[^\n.!?]{0,150}[.!?…»›→\])\s]*$",
    re.IGNORECASE,
)
# Truncation marks "[…]", "(...)": what precedes them is a cut sentence.
_TRUNCATION = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\))\s*$")
# Whole paragraphs that are never part of the story.
_BOILERPLATE_LINE = re.compile(
    r"(?:(?:À |A )?lire aussi|Read also|See also|Related(?: articles?| stories)?|Advertisement|"
    r"Publicité|Share this|Partager (?:cet article|sur)|Sign up|Subscribe|Abonnez-vous|"
    r"Inscrivez-vous|Newsletter)\b.{0,200}",
    re.IGNORECASE,
)
_WHITESPACE = re.compile(r"\s+")
#: Longest stretch at the end of a text a trailer pattern can match, with room to spare.
_TAIL_CHARS = 1200
_READ_MORE_CHARS = 300


def strip_boilerplate(text: str) -> tuple[str, bool]:
    """Remove feed boilerplate; return the text and whether it was cut short.

    "Cut short" means the text ended with a truncation mark such as ``[…]``
    or a "Continue reading" link: its last sentence is likely incomplete.
    A bare "…" is left alone: it may end a complete sentence.
    """
    lines = [
        line for line in text.split("\n")
        if line.strip() and not _BOILERPLATE_LINE.fullmatch(line.strip())
    ]
    text = "\n".join(lines).strip()
    # Trailers are anchored at the end and at most a few hundred characters
    # long: matching them against the tail only keeps this linear.
    split = max(0, len(text) - _TAIL_CHARS)
    head, tail = text[:split], text[split:]
    truncated = False
    changed = True
    while changed and tail:
        changed = False
        for pattern in _TRAILERS:
            new = pattern.sub("", tail, count=1)
            if new != tail:
                tail, changed = new.rstrip(), True
        for pattern in (_READ_MORE, _TRUNCATION):
            # Shorter still: "Read more …" is the costliest pattern to try.
            k = max(0, len(tail) - _READ_MORE_CHARS)
            new = tail[:k] + pattern.sub("", tail[k:], count=1)
            if new != tail:
                tail, changed, truncated = new.rstrip(), True, True
    return (head + tail).rstrip(), truncated


# -- sentences ---------------------------------------------------------------

# Never end a sentence after these (compared lower-case, without the dot).
_ABBREVIATIONS_EN = _words(
    """mr mrs ms dr prof sr st mt gen gov sen rep sgt lt col capt cmdr adm rev hon pres
    vs v cf approx no nos vol vols pp p fig figs ch dept est jan feb apr aug sep sept oct
    nov dec ave blvd rd univ assn bros ft op
    """
)
_ABBREVIATIONS_FR = _words(
    """m mm mme mmes mlle mlles me mgr pr dr st ste cf ex env av apr janv févr fevr avr juil
    sept oct nov déc dec éd ed hab art chap p pp vol n no nº tél tel min
    """
)
# These end a sentence only when an ordinary sentence opener follows.
_AMBIGUOUS = _words("inc ltd corp co jr llc plc sa etc al")
_SENTENCE_OPENERS = _words(
    """the a an it he she they we i you but and in on at for as after before when while this
    that these those there his her their its our my if so yet then however meanwhile
    le la les l il elle ils elles on nous vous je mais et un une des ce cet cette ces en
    dans pour selon après avant lors quand si alors cependant pourtant depuis
    """
)
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.)+-?[^\W\d_]{1,2}")  # U.S, e.g, i.e, J.-C, p.ex
# A terminator, closing quotes or brackets (French style may have a space
# before »), the space after, and the first character of what follows.
_BOUNDARY = re.compile(
    r"(?P<term>[.!?…]+)(?P<close>(?:\s?[»”\"’')\]])*)(?P<space>\s+)(?=(?P<next>\S))"
)
_FINAL_PUNCTUATION = (".", "!", "?", "…", "»", "”", '"', "’", "'", ")", ":", ";")
_OPENING = "«“\"'‘([¿¡—–-•"


def _first_word(text: str, pos: int) -> str:
    m = re.match(r"[«“\"'‘(\s]*([^\W\d_]+)", text[pos : pos + 40])
    return m.group(1).lower() if m else ""


def _ends_sentence(text: str, m: re.Match[str], abbreviations: frozenset[str]) -> bool:
    nxt = m.group("next")
    if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENING):
        return False
    term = m.group("term")
    if term != ".":
        return True
    start = m.start("term")
    word_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    word = text[word_start:start].lstrip(_OPENING)
    if not word:
        return True
    low = word.lower()
    if low in abbreviations:
        return False
    if len(word) == 1 and word.isalpha():
        # An initial ("J. K. Rowling", "M. Macron").
        return False
    if low in _AMBIGUOUS or _DOTTED.fullmatch(word):
        return _first_word(text, m.end()) in _SENTENCE_OPENERS
    return True


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """Split plain text into sentences; paragraph breaks also end a sentence."""
    lang = (language or "").lower()[:2]
    if lang == "en":
        abbreviations = _ABBREVIATIONS_EN
    elif lang == "fr":
        abbreviations = _ABBREVIATIONS_FR
    else:
        abbreviations = _ABBREVIATIONS_EN | _ABBREVIATIONS_FR
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        paragraph = _WHITESPACE.sub(" ", paragraph).strip()
        if not paragraph:
            continue
        begin = 0
        for m in _BOUNDARY.finditer(paragraph):
            if _ends_sentence(paragraph, m, abbreviations):
                sentences.append(paragraph[begin : m.start("space")].strip())
                begin = m.end()
        rest = paragraph[begin:].strip()
        if rest:
            sentences.append(rest)
    return [s for s in sentences if s]


def cut_at_word(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text`` ending with "…", cut between words."""
    if len(text) <= limit:
        return text
    room = max(limit - 1, 0)
    cut = text.rfind(" ", 0, room + 1)
    # A single word longer than the limit is the one case cut inside a word.
    head = text[:cut] if cut > 0 else text[:room]
    head = head.rstrip(" ,;:–—-(«“\"'")
    return (head + ELLIPSIS)[:limit] if limit > 0 else ""


def make_lead(
    text: str, language: str | None, *, max_sentences: int = 3, max_chars: int = 400
) -> str:
    """Return the lead of a plain-text item body: its first 1–3 sentences.

    Boilerplate ("The post … appeared first on …", "Lire la suite", "[…]",
    "(Source: …)") is removed first. Whole sentences are kept while they fit
    in ``max_chars``; when even the first sentence does not fit, it is cut at
    a word boundary and ends with "…". A sentence the feed itself cut short
    (``[…]``) is dropped when complete ones precede it, else marked with "…".
    Returns "" for empty text. Never raises.
    """
    if not text or max_chars <= 0:
        return ""
    # The lead comes from the start: a long body's tail (trailers included)
    # cannot reach it, and scanning it would cost most of the time.
    head_room = max_chars * 8
    if len(text) > head_room:
        cut = text.rfind(" ", 0, head_room)
        text = text[: cut if cut > 0 else head_room]
    body, truncated = strip_boilerplate(text)
    sentences = split_sentences(body, language)
    if not sentences:
        return ""
    taken: list[str] = []
    length = 0
    for sentence in sentences[: max(max_sentences, 1)]:
        extra = len(sentence) + (3 if taken else 0)
        if length + extra > max_chars:
            break
        taken.append(sentence)
        length += extra
    if not taken:
        return cut_at_word(sentences[0], max_chars)
    if truncated and len(taken) == len(sentences):
        # The last sentence taken is the one the feed cut short.
        if len(taken) > 1:
            taken.pop()
        elif not taken[0].endswith(_FINAL_PUNCTUATION) and len(taken[0]) < max_chars:
            return taken[0].rstrip(" ,;:–—-") + ELLIPSIS
    return _join(taken)


def _join(sentences: list[str]) -> str:
    # A heading or list line has no final punctuation: a dash keeps it apart.
    out = sentences[0]
    for sentence in sentences[1:]:
        out += (" " if out.endswith(_FINAL_PUNCTUATION) else " — ") + sentence
    return out
