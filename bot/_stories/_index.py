"""Recently alerted stories, found again cheaply (pure, in memory).

Every remembered item is filed under its index keys (entities, quantities,
title words and aliases). An item to judge is compared only with the items
sharing the most keys with it (at most :data:`MAX_CANDIDATES`), never with
every story; a key shared by too many items (a country, "AI") is too common
to find anything and is not followed. Items are forgotten after the window,
and the oldest first beyond :data:`DEFAULT_MAX_ITEMS`, so memory stays bounded.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..types import Item
from ._features import StoryFeatures, story_features
from ._verdict import StoryVerdict, compare

__all__ = ["DEFAULT_MAX_ITEMS", "DEFAULT_WINDOW", "Story", "StoryIndex"]

#: How long a story is remembered.
DEFAULT_WINDOW = timedelta(hours=48)
#: How many items are remembered at most (the oldest are forgotten first).
DEFAULT_MAX_ITEMS = 10_000
#: How many earlier items an item is compared with, at most.
MAX_CANDIDATES = 40
#: A key filed under more items than this finds nothing worth comparing.
MAX_POSTING = 400
# Items read recently (a poll's worth), so that judging then adding reads once.
_READ_CACHE = 1024
#: An entity named by this many remembered stories is too common to anchor a match.
COMMON_STORIES = 4


@dataclass(frozen=True)
class Story:
    """A story: its first item, the one that was alerted."""

    #: The first item's source.
    source: str
    #: The first item's key within its source.
    key: str
    #: Its title.
    title: str
    #: When it was seen.
    seen: datetime


class _StoryState:
    """A story and the outlets that carried it (mutable, inside the index)."""

    __slots__ = ("copies", "sources", "story")

    def __init__(self, story: Story) -> None:
        self.story = story
        # Filled by StoryIndex.add with each item's outlet (StoryFeatures.source).
        self.sources: set[str] = set()
        self.copies = 0


class _Remembered:
    """One remembered item."""

    __slots__ = ("features", "keys", "seen", "state")

    def __init__(self, features: StoryFeatures, state: _StoryState, seen: datetime) -> None:
        self.features = features
        self.keys = tuple(features.index_keys)
        self.state = state
        self.seen = seen


class StoryIndex:
    """Recently alerted stories, to recognise the same story from another outlet."""

    def __init__(self, *, window: timedelta = DEFAULT_WINDOW,
                 max_items: int = DEFAULT_MAX_ITEMS) -> None:
        self.window = window
        self.max_items = max_items
        self._items: deque[_Remembered] = deque()
        # Lists, not deques: most keys have one or two items, and a deque costs 600 bytes.
        self._by_key: dict[str, list[_Remembered]] = {}
        self._stories: dict[tuple[str, str], _StoryState] = {}
        self._read: dict[tuple[str, str], tuple[Item, StoryFeatures]] = {}

    def __len__(self) -> int:
        """How many items are remembered."""
        return len(self._items)

    def _expire(self, now: datetime) -> None:
        try:
            cutoff = now - self.window
        except OverflowError:  # a date near year 1: nothing is that old
            cutoff = now
        while self._items and (self._items[0].seen < cutoff or len(self._items) > self.max_items):
            old = self._items.popleft()
            for key in old.keys:
                bucket = self._by_key.get(key)
                if bucket is None:
                    continue
                if bucket and bucket[0] is old:
                    del bucket[0]
                else:  # remembered out of time order: rare, and bounded
                    bucket.remove(old)
                if not bucket:
                    del self._by_key[key]
            old.state.copies -= 1
            if not old.state.copies:
                story = old.state.story
                self._stories.pop((story.source, story.key), None)

    def _candidates(self, features: StoryFeatures) -> list[_Remembered]:
        hits: dict[int, tuple[int, _Remembered]] = {}
        for key in features.index_keys:
            bucket = self._by_key.get(key)
            if not bucket or len(bucket) > MAX_POSTING:
                continue
            for remembered in bucket:
                if features.source in remembered.state.sources:
                    continue  # an outlet's own story: its next item is news, not a copy
                count, _ = hits.get(id(remembered), (0, remembered))
                hits[id(remembered)] = (count + 1, remembered)
        ranked = sorted(hits.values(), key=lambda h: h[0], reverse=True)
        return [r for _, r in ranked[:MAX_CANDIDATES]]

    def _features(self, item: Item) -> StoryFeatures:
        # The pipeline judges a poll's items, then adds them: read each once.
        cached = self._read.get((item.source, item.key))
        if cached is not None and cached[0] == item:
            return cached[1]
        if len(self._read) >= _READ_CACHE:
            self._read.clear()
        features = story_features(item)
        self._read[item.source, item.key] = (item, features)
        return features

    def _common(self, features: StoryFeatures) -> frozenset[str]:
        """The item's entities named by many stories now: no evidence of one story."""
        common = set()
        for entity in features.entities:
            bucket = self._by_key.get("e:" + entity.key, ())
            if len(bucket) > MAX_POSTING or len({id(r.state) for r in bucket}) >= COMMON_STORIES:
                common.add(entity.key)
        return frozenset(common)

    def judge(self, item: Item, now: datetime) -> StoryVerdict:
        """Compare ``item`` with the stories it may repeat: the best match, or the
        closest story it was told apart from (and why), or no candidate at all."""
        self._expire(now)
        features = self._features(item)
        common = self._common(features)
        best: StoryVerdict | None = None
        for remembered in self._candidates(features):
            verdict = compare(features, remembered.features, common=common)
            story = remembered.state.story
            verdict = replace(verdict, first_source=story.source, first_key=story.key)
            if best is None or _rank(verdict) > _rank(best):
                best = verdict
        return best if best is not None else StoryVerdict(False)

    def find(self, item: Item, now: datetime) -> StoryVerdict | None:
        """The verdict joining ``item`` to an earlier story from another outlet, if any."""
        verdict = self.judge(item, now)
        return verdict if verdict.same else None

    def add(self, item: Item, now: datetime, *, joins: StoryVerdict | None = None) -> None:
        """Remember an item: a new story, or a copy of the story ``joins`` found.

        Items should be added in time order (``now`` never decreasing).
        """
        self._expire(now)
        state = None
        if joins is not None and joins.first_source is not None and joins.first_key is not None:
            state = self._stories.get((joins.first_source, joins.first_key))
        if state is None:
            state = self._stories.setdefault(
                (item.source, item.key), _StoryState(Story(item.source, item.key, item.title, now)))
        features = self._features(item)
        state.sources.add(features.source)
        state.copies += 1
        remembered = _Remembered(features, state, now)
        self._items.append(remembered)
        for key in remembered.keys:
            self._by_key.setdefault(key, []).append(remembered)
        self._expire(now)


def _rank(verdict: StoryVerdict) -> tuple[bool, float, int]:
    return (verdict.same, verdict.text_overlap,
            len(verdict.shared_entities) + len(verdict.shared_numbers))
