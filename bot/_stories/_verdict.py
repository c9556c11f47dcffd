"""Is this item a copy of that one? The decision, with its reasons (pure).

A false merge loses news (the second story is never alerted); a missed merge
only costs a duplicate post. So the decision first looks for any evidence of
two stories, and only then for enough evidence of one:

1. Vetoes, any one of which keeps the stories apart:
   - published too far apart;
   - a quantity of the same kind in both texts, different ("2000000 vs
     200000": another recall; "EUR 1200000000 vs EUR 390000000": another fine);
   - names in both headlines that the other text never mentions ("Samsung vs
     Apple" in otherwise identical results headlines), or a name in one
     headline the other text never mentions (a recall "in China");
   - an event in one headline the other text never mentions (a fine vs its
     appeal, a rate hike vs a hold).
2. Then a copy needs two anchors (shared names or quantities), at least one
   of them a name, and shared words: the terms of its headline (names,
   bilingual vocabulary concepts, word stems) must overlap the other's, and
   so must the terms of the leads when both have one (copies tell the same
   facts; two articles on one topic do not). Across languages only names,
   numbers and the vocabulary carry over, which is why the bars are low and
   the vetoes come first. A place, or a name in many stories right now (a
   head of state: the index says which), is no anchor. A headline repeated
   nearly word for word needs one anchor.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from ._features import Entity, StoryFeatures
from ._lexicon import FOLLOW_UPS, PLACES
from ._numbers import Quantity, same_quantity

__all__ = ["StoryVerdict", "compare", "explain_story", "story_evidence"]

#: Copies are published within this time of each other.
MAX_GAP = timedelta(hours=36)
#: Shared names and quantities a copy needs at least.
MIN_ANCHORS = 2
#: Overlap of the headlines a copy needs (besides its anchors).
MIN_TITLE_OVERLAP = 0.25
#: Overlap of the leads a copy needs, when both have one.
MIN_LEAD_OVERLAP = 0.25
#: A headline this close to another (and long enough) is a wire copy.
NEAR_IDENTICAL_TITLE = 0.8
MIN_TITLE_TERMS = 4


@dataclass(frozen=True)
class StoryVerdict:
    """Whether an item repeats an earlier story, and why (or why not)."""

    #: Whether it is the same story.
    same: bool
    #: The title of the earlier item it was compared with (None: no candidate at all).
    story_title: str | None = None
    #: The outlet of that earlier item.
    story_source: str | None = None
    #: The key of that earlier item within its outlet.
    story_key: str | None = None
    #: The outlet of the story's first item (the one alerted), when known.
    first_source: str | None = None
    #: The key of the story's first item within its outlet, when known.
    first_key: str | None = None
    #: Names both texts give, as this item writes them ("Musk", "Twitter").
    shared_entities: tuple[str, ...] = ()
    #: Those of them too common right now to count as evidence ("US", "Iran").
    common_entities: tuple[str, ...] = ()
    #: Quantities both texts give ("100000 GPU", "EUR 1200000000").
    shared_numbers: tuple[str, ...] = ()
    #: Overlap of the title terms (weighted Dice, 0–1).
    title_overlap: float = 0.0
    #: Overlap of the lead terms, None when either has no lead.
    lead_overlap: float | None = None
    #: Overlap of title-and-lead terms, to rank the candidates.
    text_overlap: float = 0.0
    #: What keeps them apart ("different numbers: 2000000 vs 200000"), if anything.
    conflict: str | None = None
    #: Why the decision went this way, in a few words.
    rule: str = ""


def explain_story(verdict: StoryVerdict) -> str:
    """The verdict in one line, for ``explain`` and logs."""
    if verdict.story_title is None:
        return "no earlier story shares its names, numbers or rare words"
    head = (f"same story as “{verdict.story_title}” from {verdict.story_source}"
            if verdict.same else
            f"not the story “{verdict.story_title}” from {verdict.story_source}")
    if verdict.first_source not in (None, verdict.story_source):
        head += f" (first reported by {verdict.first_source})"
    return f"{head}: {story_evidence(verdict)}"


def story_evidence(v: StoryVerdict) -> str:
    """What :func:`explain_story` says after naming the story: conflict, shared
    names and numbers, overlaps, rule."""
    parts: list[str] = []
    if v.conflict:
        parts.append(v.conflict)
    if v.shared_entities or v.shared_numbers:
        same = "same entities " + ", ".join((*v.shared_entities, *v.shared_numbers))
        if v.common_entities:
            same += f" (too common to count: {', '.join(v.common_entities)})"
        parts.append(same)
    overlaps = f"title overlap {v.title_overlap:.2f}"
    if v.lead_overlap is not None:
        overlaps += f", lead overlap {v.lead_overlap:.2f}"
    parts.append(overlaps)
    if v.rule and not v.conflict:
        parts.append(v.rule)
    return "; ".join(parts)


def overlap(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Weighted Dice coefficient of two term sets (0 when either is empty)."""
    total = sum(a.values()) + sum(b.values())
    if not total:
        return 0.0
    shared = sum(max(w, b[t]) for t, w in a.items() if t in b)
    return min(1.0, 2 * shared / total)


def _mentions(text: StoryFeatures, entity: Entity) -> bool:
    """Whether ``text`` names ``entity``: by alias, in full, by its initials, or by
    part of a longer name."""
    if entity.alias:
        return text.says("a:" + entity.key)
    if entity.acronym:  # "IS" is not the word "is"; it may be "Islamic State"
        return any(other.key == entity.key or _initials(other, entity)
                   for other in text.entities)
    if " " + " ".join(entity.words) + " " in text.folded:
        return True
    # "Musk" for "Elon Musk", "Meta" for "Meta Platforms": a part of one name
    # that is the other name; a country inside a name ("Air India") is not.
    return any(
        _contains(entity.words, other.words) or _contains(other.words, entity.words)
        for other in text.entities if not other.alias)


def _contains(longer: tuple[str, ...], part: tuple[str, ...]) -> bool:
    n = len(part)
    return 0 < n <= len(longer) and any(
        longer[i:i + n] == part for i in range(len(longer) - n + 1))


def _quantity_conflict(a: StoryFeatures, b: StoryFeatures) -> tuple[Quantity, Quantity] | None:
    """Two quantities of one kind that disagree, when none of that kind agrees."""
    kinds = {q.kind for q in a.quantities} & {q.kind for q in b.quantities}
    for kind in sorted(kinds):
        pairs = [(x, y) for x in a.quantities if x.kind == kind
                 for y in b.quantities if y.kind == kind
                 and (x.unit is None or y.unit is None or x.unit == y.unit)
                 and (kind != "year" or (x.in_title and y.in_title))]
        if pairs and not any(same_quantity(x, y) for x, y in pairs):
            return max(pairs, key=lambda p: (p[0].in_title + p[1].in_title))
    return None


def _distinct(entities: list[Entity]) -> list[Entity]:
    """One entity per name: "Rubio" and "Secretary of State Marco Rubio" are one,
    so are "BNP" and "Bangladesh Nationalist Party"."""
    kept: list[Entity] = []
    for e in sorted(entities, key=lambda e: len(e.words)):
        if not any(_contains(e.words, k.words) or e.key == k.key or _initials(e, k)
                   for k in kept):
            kept.append(e)
    return kept


def _initials(long: Entity, short: Entity) -> bool:
    return len(short.words) == 1 and len(long.words) > 1 and short.words[0] == "".join(
        w[0] for w in long.words if w not in ("of", "de", "du", "des", "the"))


def compare(new: StoryFeatures, old: StoryFeatures, *,
            common: Collection[str] = frozenset()) -> StoryVerdict:
    """Whether ``new`` is a copy of ``old`` (from another outlet), and why.

    ``common`` holds the keys of entities too common right now to anchor a
    match (a country, a head of state in the news every day): they still
    count in overlaps and vetoes, not as anchors.
    """
    if new.url and new.url == old.url:
        return StoryVerdict(True, old.title, old.source, old.key, rule="same URL")
    # A weak name (only capitalised at a sentence start) is shared only when the
    # other text writes it as a proper name: "Porté par…", "Negotiators met…" are none.
    old_strong = {e.key for e in old.entities if e.strong}
    shared = [e for e in new.entities if (e.strong or e.key in old_strong) and _mentions(old, e)]
    anchors_named = [e for e in _distinct(shared) if e.key not in common
                     and not (e.alias and e.key in PLACES)]
    shared_numbers = tuple(dict.fromkeys(
        q.label for q in new.quantities if q.kind != "year"
        and any(same_quantity(q, o) for o in old.quantities)))
    title_overlap = overlap(new.title_terms, old.title_terms)
    lead_overlap = (overlap(new.lead_terms, old.lead_terms)
                    if new.lead_terms and old.lead_terms else None)
    evidence = StoryVerdict(
        False, old.title, old.source, old.key,
        shared_entities=tuple(dict.fromkeys(e.label for e in shared)),
        common_entities=tuple(dict.fromkeys(e.label for e in shared if e.key in common)),
        shared_numbers=shared_numbers, title_overlap=round(title_overlap, 2),
        lead_overlap=None if lead_overlap is None else round(lead_overlap, 2),
        text_overlap=round(overlap({**new.lead_terms, **new.title_terms},
                                   {**old.lead_terms, **old.title_terms}), 2))
    conflict = _conflict(new, old)
    if conflict:
        return replace(evidence, conflict=conflict, rule="vetoed")
    anchors = len(anchors_named) + len(shared_numbers)
    if lead_overlap is not None and lead_overlap < MIN_LEAD_OVERLAP:
        # Two leads that tell different facts: two articles, at most on one topic.
        return replace(evidence, rule=f"leads overlap below {MIN_LEAD_OVERLAP:.2f}")
    # Names are the anchors; the other words of a headline say what happened,
    # and must agree too ("OpenAI fires Sam Altman" / "Sam Altman returns to OpenAI").
    if (title_overlap >= NEAR_IDENTICAL_TITLE and anchors
            and overlap(new.title_words, old.title_words) >= NEAR_IDENTICAL_TITLE
            and min(len(new.title_terms), len(old.title_terms)) >= MIN_TITLE_TERMS):
        return replace(evidence, same=True, rule="near-identical headline")
    if not anchors_named or anchors < MIN_ANCHORS:
        return replace(evidence,
                       rule=f"{anchors} distinctive names or numbers, {MIN_ANCHORS} needed")
    if title_overlap < MIN_TITLE_OVERLAP:
        return replace(evidence, rule=f"headlines overlap below {MIN_TITLE_OVERLAP:.2f}")
    return replace(evidence, same=True, rule="shared names and words")


def _conflict(new: StoryFeatures, old: StoryFeatures) -> str | None:
    """Evidence of two stories, in words; None when there is none."""
    if new.published and old.published:
        gap = abs(new.published - old.published)
        if gap > MAX_GAP:
            return f"published {gap.total_seconds() / 3600:.0f} h apart"
    numbers = _quantity_conflict(new, old)
    if numbers:
        return f"different numbers: {numbers[0].label} vs {numbers[1].label}"
    new_only = [e for e in new.entities if e.in_title and not _mentions(old, e)]
    old_only = [e for e in old.entities if e.in_title and not _mentions(new, e)]
    if new_only and old_only:
        return f"different names: {new_only[0].label} vs {old_only[0].label}"
    one_sided = [e for e in (*new_only, *old_only) if e.strong]
    if one_sided:
        return f"only one names {one_sided[0].label}"
    for a, b in ((new, old), (old, new)):
        missing = sorted(e for e in a.title_events if e not in b.events or (
            e in FOLLOW_UPS and e not in b.title_events))
        if missing:
            return f"only one is about {missing[0]}"
    return None
