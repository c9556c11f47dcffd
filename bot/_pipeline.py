"""The watch pipeline's decisions, as pure functions (no I/O).

From parsed entries to items with an identity, from items to "new or not",
from match reports to alerts. The async orchestration in ``_poller`` only
feeds these functions and stores their results.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from ._html import html_to_text
from ._lang import detect_language, normalize_language_tag
from ._matching import Rule, highlight_spans
from ._query import parse_query
from ._stories import StoryIndex, StoryVerdict, explain_story
from ._summary import make_lead
from ._urls import canonicalize_url, is_http_url
from .config import Config, SubscriptionConfig
from .types import Alert, Entry, Item, MatchReport, ParsedFeed

#: Stored item text is capped: enough for matching and search, bounded in size.
MAX_TEXT_CHARS = 100_000
MAX_TITLE_CHARS = 1_000

QUERY_RULE_PREFIX = "query:"


# -- identity ----------------------------------------------------------------


def item_key(entry: Entry, canonical_url: str | None) -> str:
    """An item's identity within its source: GUID, else canonical link, else a hash.

    The hash covers title and date so that an item without GUID or link is
    still recognised on the next poll.
    """
    if entry.id and entry.id.strip():
        return "id:" + entry.id.strip()[:500]
    if canonical_url:
        return "url:" + canonical_url[:500]
    when = entry.published.isoformat() if entry.published else ""
    digest = hashlib.sha256(f"{entry.title}\x00{when}".encode()).hexdigest()[:32]
    return "hash:" + digest


def build_item(
    source: str, entry: Entry, feed: ParsedFeed, *, source_language: str | None = None
) -> Item:
    """Settle an entry's identity, texts, lead and language."""
    url = None
    if entry.link and is_http_url(entry.link):
        url = canonicalize_url(entry.link)
    title = " ".join(entry.title.split())[:MAX_TITLE_CHARS]
    summary_text = html_to_text(entry.summary_html)[:MAX_TEXT_CHARS] if entry.summary_html else ""
    content_text = html_to_text(entry.content_html)[:MAX_TEXT_CHARS] if entry.content_html else ""
    if summary_text and summary_text == content_text:
        # Many feeds repeat the content as description; one copy is enough.
        content_text = ""
    language = (
        normalize_language_tag(entry.language)
        or source_language
        or normalize_language_tag(feed.language)
        or detect_language(" ".join((title, summary_text or content_text[:2000])))
    )
    lead = make_lead(summary_text or content_text, language)
    image = entry.image if entry.image and is_http_url(entry.image) else None
    return Item(
        source=source,
        key=item_key(entry, url),
        url=url,
        title=title,
        summary_text=summary_text,
        content_text=content_text,
        lead=lead,
        published=entry.published,
        language=language,
        image=image,
        author=entry.author,
        outlet=entry.outlet,
    )


# -- new or not --------------------------------------------------------------

#: Why a new item does not alert: its canonical URL was seen before
#: ("duplicate"), its source's first poll only records ("first-poll"), it
#: was published before ``[poll] max_age`` ("too-old"), or another outlet's
#: item on the same story alerted lately ("same-story").
Suppression = Literal["duplicate", "first-poll", "too-old", "same-story"]
_HELD_BACK: dict[Suppression, str] = {
    "duplicate": "already seen at the same URL",
    "first-poll": "first poll of this source records without alerting",
    "too-old": "published before the age limit",
}


@dataclass(frozen=True)
class PollDecision:
    """What to do with the items of one poll."""

    #: Items not stored before, to store (each once).
    new: tuple[Item, ...]
    #: Keys of the new items that may alert (first-poll and age rules applied).
    alertable: frozenset[str]
    #: Keys of the new items that may not alert, with the reason in words.
    held_back: dict[str, str]
    #: The same keys, with the reason as data.
    suppressed: dict[str, Suppression] = field(default_factory=dict)


def decide(
    items: Sequence[Item],
    *,
    seen_keys: set[str],
    seen_urls: set[str],
    initialised: bool,
    first_poll_alerts: bool,
    max_age: float | None,
    now: datetime,
    backfill: bool = False,
    stories: StoryIndex | None = None,
) -> PollDecision:
    """Decide which items are new and which of those may alert.

    An item is new when its key was never stored for this source. A new item
    whose canonical URL was already stored (by any source) or appears earlier
    in this batch is still stored but does not alert: one story, one alert.
    With ``stories``, an item that repeats a story another outlet alerted
    recently (see ``bot._stories``), earlier in this poll included, does not
    alert either; the alertable items are added to it as new stories, the
    repeats as copies of theirs.
    ``backfill`` lifts the first-poll and age rules.
    """
    new: list[Item] = []
    alertable: set[str] = set()
    held_back: dict[str, str] = {}
    suppressed: dict[str, Suppression] = {}
    joined: dict[str, StoryVerdict] = {}
    keys_in_batch: set[str] = set()
    urls_in_batch: set[str] = set()
    cutoff = now - timedelta(seconds=max_age) if max_age is not None else None
    for item in items:
        if item.key in seen_keys or item.key in keys_in_batch:
            continue
        keys_in_batch.add(item.key)
        new.append(item)
        reason: Suppression | None = None
        same: StoryVerdict | None = None
        if item.url and (item.url in seen_urls or item.url in urls_in_batch):
            reason = "duplicate"
        elif not backfill and not initialised and not first_poll_alerts:
            reason = "first-poll"
        elif (not backfill and cutoff is not None and item.published is not None
              and item.published < cutoff):
            reason = "too-old"
        elif stories is not None and (same := stories.find(item, now)):
            reason = "same-story"
            joined[item.key] = same
        else:
            alertable.add(item.key)
        if reason is not None:
            suppressed[item.key] = reason
            held_back[item.key] = explain_story(same) if same else _HELD_BACK[reason]
        if item.url:
            urls_in_batch.add(item.url)
        if stories is not None and (item.key in alertable or item.key in joined):
            # At once: a source gathering many outlets (Google News, a search)
            # brings one story's copies in the same poll.
            stories.add(item, now, joins=joined.get(item.key))
    return PollDecision(tuple(new), frozenset(alertable), held_back, suppressed)


# -- rules and alerts --------------------------------------------------------


def rules_from_config(config: Config) -> list[Rule]:
    """The matcher's rules: every topic, then every subscription's query."""
    rules = [
        Rule(
            id=t.id, keywords=t.keywords, exclude=t.exclude, fields=t.fields,
            languages=t.languages,
        )
        for t in config.topics
    ]
    for sub in config.subscriptions:
        if sub.query is not None:
            rules.append(Rule(id=QUERY_RULE_PREFIX + sub.name, query=parse_query(sub.query)))
    return rules


@dataclass(frozen=True)
class ItemMatch:
    """What one item matched, across topics and subscriptions."""

    #: The item.
    item: Item
    #: Topic ids that matched.
    topics: tuple[str, ...]
    #: Configured terms that matched (topics and queries), as written.
    matched_terms: tuple[str, ...]
    #: Names of the subscriptions it matched.
    subscriptions: tuple[str, ...]
    #: One alert per destination.
    alerts: tuple[Alert, ...]


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def match_item(item: Item, report: MatchReport, config: Config) -> ItemMatch:
    """Turn a match report into the item's topics, subscriptions and alerts.

    A subscription matches when any of its topics matches or its query does.
    Subscriptions sharing a destination produce one alert there, so a
    channel never gets the same item twice.
    """
    verdicts = {v.rule_id: v for v in report.verdicts}
    topics = tuple(t.id for t in config.topics if verdicts.get(t.id) and verdicts[t.id].matched)
    topic_terms = [term for tid in topics for term in verdicts[tid].matched_terms]
    by_destination: dict[str, list[tuple[SubscriptionConfig, list[str], list[str]]]] = {}
    for sub in config.subscriptions:
        sub_topics = [tid for tid in sub.topics if tid in topics]
        terms = [term for tid in sub_topics for term in verdicts[tid].matched_terms]
        qv = verdicts.get(QUERY_RULE_PREFIX + sub.name)
        if qv is not None and qv.matched:
            terms.extend(qv.matched_terms)
        elif not sub_topics:
            continue
        by_destination.setdefault(sub.destination, []).append((sub, sub_topics, terms))
    alerts: list[Alert] = []
    for destination, matches in by_destination.items():
        names = _unique(tid for _, ts, _ in matches for tid in ts)
        dest_terms = _unique(term for _, _, ts in matches for term in ts)
        alerts.append(Alert(
            item=item,
            subscription=matches[0][0].name,
            destination=destination,
            topics=names,
            topic_names=tuple(_topic_name(config, tid) for tid in names),
            matched_terms=dest_terms,
            title_highlights=highlight_spans(item.title, dest_terms),
            lead_highlights=highlight_spans(item.lead, dest_terms),
            options=matches[0][0].options,
        ))
    subscriptions = _unique(sub.name for ms in by_destination.values() for sub, _, _ in ms)
    all_terms = _unique([*topic_terms, *(t for a in alerts for t in a.matched_terms)])
    return ItemMatch(item, topics, all_terms, subscriptions, tuple(alerts))


def _topic_name(config: Config, topic_id: str) -> str:
    topic = config.topic(topic_id)
    return topic.name if topic else topic_id
