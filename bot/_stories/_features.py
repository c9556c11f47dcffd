"""What an item says, as story recognition compares it (pure).

From the title and the lead (not the title alone) an item gives:

- its named entities: capitalised names and runs of them ("Elon Musk",
  "SK Hynix", "Data Protection Commission"), acronyms and mixed-case names
  ("NHTSA", "iPhone", "B200"), and entities of the alias table whatever
  their language ("Union européenne" = "EU");
- its quantities (see ``_numbers``): "100 000 GPU", "EUR 1200000000", "4%";
- its terms, for overlap scores: aliases, bilingual vocabulary concepts and
  word stems;
- the events its headline names ("buy", "fine", "recall" …).

Capitals are evidence only where a writer chose them: at the start of a
sentence, or anywhere in a Title Case Headline, a capitalised word is a name
only when it is not a known common word and not written in lower case
elsewhere in the item (such names are "weak").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from .._normalize import normalize
from ..types import Item
from ._lexicon import CALENDAR, COMMON, DEMONYMS, EVENTS, STOP
from ._numbers import Quantity, quantities
from ._terms import ALIAS, CONCEPT, Words, read_words

__all__ = ["Entity", "StoryFeatures", "story_features"]

#: How much of an item's text is read: the title and the lead (or the start of the summary).
LEAD_CHARS = 600
# Words that join the words of one name: "Bank of America", "Banque de France".
_CONNECTORS = frozenset({"of", "de", "du", "des", "del", "van", "von", "la", "le", "y"})
# Company suffixes that do not change a name: "Nvidia Corp." is Nvidia.
_SUFFIXES = frozenset({"inc", "corp", "corporation", "ltd", "plc", "co", "sa", "ag", "se",
                       "llc", "group", "groupe", "holdings"})
# Between two words of a name: spaces, a hyphen or an ampersand (or an initial's dot).
_NAME_GAP = frozenset(" \u00a0\u202f-&")
_QUARTER_OR_MAGNITUDE = re.compile(r"[QHST][1-4]|FY\d{2,4}|Mds?|Md|Mrd|bn|[KMB]")
# Punctuation after which a capital is a sentence's first letter, not a name's.
_SENTENCE_BREAK = frozenset(".!?:;«»“”\"()[]—–|•…")
# Text weights of the overlap scores: names count more than ordinary words.
WEIGHT_ALIAS = 2.0
WEIGHT_NAME = 2.0
WEIGHT_WORD = 1.0


@dataclass(frozen=True)
class Entity:
    """A named entity of an item."""

    #: Its key: the alias table's ("eu") or its folded words ("elon musk").
    key: str
    #: As first written ("Elon Musk", "Union européenne").
    label: str
    #: Its folded words.
    words: tuple[str, ...]
    #: Whether the title names it.
    in_title: bool
    #: False when only capitals at a sentence start or in a Title Case title suggest it.
    strong: bool
    #: Whether it comes from the alias table (a country, an institution).
    alias: bool
    #: Whether it is written in capitals ("NHTSA", "IS"): not to be read as a word.
    acronym: bool = False


@dataclass(frozen=True)
class StoryFeatures:
    """An item as story recognition sees it."""

    #: The outlet: the source's configured name, followed by the publisher
    #: within it when the source gathers many (``news/Numerama`` for a Google
    #: News source, ``hn/@pg`` …; see :attr:`bot.types.Item.outlet`).
    source: str
    #: The item's key within its source.
    key: str
    #: The title as written.
    title: str
    #: Its canonical URL, if any.
    url: str | None
    #: Its language, if known.
    language: str | None
    #: When published, if known.
    published: datetime | None
    #: Its named entities (title first).
    entities: tuple[Entity, ...]
    #: Its quantities (title first).
    quantities: tuple[Quantity, ...]
    #: Title terms with their weights.
    title_terms: Mapping[str, float]
    #: Lead terms with their weights (empty without a lead).
    lead_terms: Mapping[str, float]
    #: Title and lead folded, between spaces: "does it mention these words in a row?".
    folded: str
    #: Events its title names.
    title_events: frozenset[str]
    #: Events its title or lead names.
    events: frozenset[str]

    def says(self, term: str) -> bool:
        """Whether the title or the lead has this term ("a:eu", "c:buy", "w:musk")."""
        return term in self.title_terms or term in self.lead_terms

    @property
    def title_words(self) -> dict[str, float]:
        """The title terms that are not names: what the headline says happened."""
        return {t: w for t, w in self.title_terms.items()
                if w < WEIGHT_NAME and not t.startswith("a:")}

    @property
    def index_keys(self) -> frozenset[str]:
        """What an index files it under: entities, quantities and title words."""
        keys = {"e:" + e.key for e in self.entities}
        keys.update("n:" + q.label for q in self.quantities if q.kind != "year")
        keys.update(t for t in self.title_terms if t.startswith(("w:", "a:")))
        return frozenset(map(sys.intern, keys))


def _is_capitalised(raw: str) -> bool:
    return raw[:1].isupper()


def _is_acronym(raw: str) -> bool:
    letters = [c for c in raw if c.isalpha()]
    return len(raw) >= 2 and bool(letters) and all(c.isupper() for c in letters)


def _is_mixed(raw: str) -> bool:
    """iPhone, xAI, OpenAI, B200: capitals or digits inside a word say it is a name."""
    rest = raw[1:]
    return (rest != rest.lower() and raw != raw.upper()) or (
        raw[:1].isalpha() and not rest.isalpha() and any(c.isdigit() for c in rest))


def _title_case(words: Words) -> bool:
    long = [words.raw(i) for i in range(len(words.tokens))
            if len(words.raw(i)) >= 4 and words.raw(i).isalpha()]
    return len(long) >= 3 and sum(map(_is_capitalised, long)) >= 0.8 * len(long)


def _sentence_starts(words: Words) -> list[bool]:
    starts = []
    for i, token in enumerate(words.tokens):
        gap = words.text[words.tokens[i - 1].end:token.start] if i else "."
        starts.append(i == 0 or any(c in _SENTENCE_BREAK for c in gap))
    return starts


def _entities(words: Words, *, in_title: bool, lowercase: frozenset[str]) -> list[Entity]:
    """The names of one text (a title or a lead)."""
    n = len(words.tokens)
    title_case = in_title and _title_case(words)
    ambiguous = [True] * n if title_case else _sentence_starts(words)
    kind_at: list[str | None] = [None] * n
    key_at: list[str] = [""] * n
    raw_concept = [False] * n
    capital_alias = [False] * n  # a word of an alias written with a capital ("Union européenne")
    alias_end = list(range(1, n + 1))  # where the alias starting at a word ends
    for span in words.spans:
        for i in range(span.start, span.end):
            kind_at[i], key_at[i] = span.kind, span.key
        if span.kind == ALIAS and _is_capitalised(words.raw(span.start)):
            capital_alias[span.start:span.end] = [True] * (span.end - span.start)
            alias_end[span.start] = span.end
        if span.kind == CONCEPT and any(_is_acronym(words.raw(i))
                                        for i in range(span.start, span.end)):
            raw_concept[span.start:span.end] = [True] * (span.end - span.start)

    def name_word(i: int) -> bool:
        raw, folded = words.raw(i), words.tokens[i].text
        if capital_alias[i]:
            return True
        if raw.islower() and raw.isalpha():
            return False  # most words: settled at once
        if folded in CALENDAR or not (_is_capitalised(raw) or _is_mixed(raw)):
            return False
        if kind_at[i] == CONCEPT:
            # Vocabulary is a name only inside one, as written: "Data Protection Commission".
            return not ambiguous[i] and raw[1:].islower() and not raw_concept[i]
        if _QUARTER_OR_MAGNITUDE.fullmatch(raw) or (
                len(raw) == 1 and i and words.tokens[i - 1].text.isdigit()):
            return False  # "Q1", "H2"; the "M" of "600 M€"
        if _is_acronym(raw) or _is_mixed(raw):
            return True  # "IS" is the Islamic State, not the verb
        if folded in STOP:
            return False
        # At a sentence start, or anywhere in Title Case, a capital proves nothing.
        return not ambiguous[i] or not (folded in COMMON or folded in lowercase)

    is_name = [name_word(i) for i in range(n)]
    found: list[Entity] = []
    i = 0
    while i < n:
        if not is_name[i]:
            i += 1
            continue
        j = i + 1
        while j < n:
            gap = words.text[words.tokens[j - 1].end:words.tokens[j].start]
            initial = len(words.raw(j - 1)) == 1 and gap.strip() == "."
            if not (set(gap) <= _NAME_GAP or initial):
                break
            if is_name[j]:
                j += 1
            elif (words.tokens[j].text in _CONNECTORS and j + 1 < n and is_name[j + 1]
                  and set(words.text[words.tokens[j].end:words.tokens[j + 1].start])
                  <= _NAME_GAP):
                j += 2
            else:
                break
        if title_case:
            j = alias_end[i]  # Title Case Capitalises Every Word: runs of capitals are no names
        run = list(range(i, j))
        while len(run) > 1 and words.tokens[run[-1]].text in _SUFFIXES:
            run.pop()
        folded = tuple(words.tokens[k].text for k in run)
        label = words.text[words.tokens[run[0]].start:words.tokens[run[-1]].end]
        alias = all(kind_at[k] == ALIAS for k in run) and len({key_at[k] for k in run}) == 1
        key = key_at[run[0]] if alias else " ".join(folded)
        if alias and " ".join(folded) in DEMONYMS:
            strong = False  # "French rail strike": an adjective, often implied by the other text
        else:
            strong = (alias or len(run) > 1 or any(not ambiguous[k] for k in run)
                      or any(_is_acronym(words.raw(k)) or _is_mixed(words.raw(k)) for k in run)
                      or (in_title and not title_case))
        acronym = len(run) == 1 and _is_acronym(words.raw(run[0]))
        found.append(Entity(key, label, folded, in_title, strong, alias, acronym))
        i = j
    return found


def _terms(words: Words, names: set[int]) -> dict[str, float]:
    terms: dict[str, float] = {}
    for span in words.spans:
        if span.kind == ALIAS:
            term, weight = "a:" + span.key, WEIGHT_ALIAS
        elif span.kind == CONCEPT:
            term, weight = "c:" + span.key, WEIGHT_WORD
        else:
            term = "w:" + span.key
            weight = WEIGHT_NAME if span.start in names else WEIGHT_WORD
        term = sys.intern(term)  # one copy of each word across the remembered items
        terms[term] = max(weight, terms.get(term, 0.0))
    return terms


def _name_positions(words: Words, entities: list[Entity]) -> set[int]:
    names = {e.words for e in entities}
    return {i for i, t in enumerate(words.tokens) if any(t.text in w for w in names)}


def story_features(item: Item) -> StoryFeatures:
    """Read an item's title and lead. Never raises."""
    lead_text = item.lead or item.summary_text[:LEAD_CHARS] or item.content_text[:LEAD_CHARS]
    title = read_words(item.title)
    lead = read_words(lead_text)
    lowercase = frozenset(
        w.tokens[i].text for w in (title, lead) for i in range(len(w.tokens))
        if w.raw(i)[:1].islower())
    title_entities = _entities(title, in_title=True, lowercase=lowercase)
    lead_entities = _entities(lead, in_title=False, lowercase=lowercase)
    merged: dict[str, Entity] = {}
    for e in title_entities + lead_entities:
        known = merged.get(e.key)
        # A lead confirms a title's capitalised word is a name ("Samsung Posts
        # Record Profit" / "Samsung said"); an alias keeps its title's strength.
        merged[e.key] = e if known is None else Entity(
            known.key, known.label, known.words, known.in_title or e.in_title,
            known.strong or (e.strong and not e.alias), known.alias, known.acronym)
    numbers = (quantities(item.title, language=item.language, in_title=True)
               + quantities(lead_text, language=item.language))
    title_terms = _terms(title, _name_positions(title, title_entities))
    lead_terms = _terms(lead, _name_positions(lead, lead_entities))
    concepts = {t[2:] for t in title_terms if t.startswith("c:")}
    all_concepts = concepts | {t[2:] for t in lead_terms if t.startswith("c:")}
    return StoryFeatures(
        source=f"{item.source}/{item.outlet}" if item.outlet else item.source,
        key=item.key, title=item.title, url=item.url,
        language=item.language, published=item.published,
        entities=tuple(merged.values()), quantities=tuple(numbers),
        title_terms=title_terms, lead_terms=lead_terms,
        folded=f" {normalize(item.title)} {normalize(lead_text)} ",
        title_events=frozenset(concepts & EVENTS), events=frozenset(all_concepts & EVENTS),
    )
