"""The labelled multi-outlet story set, and merge precision/recall on it.

Shared by tests/test_story_recognition.py and bench/bench_stories.py. The set
(``tests/data/stories/labelled.toml``) lists items in publication order, each
labelled with its story. Replaying it feeds every item to an index the way
the pipeline does: an item that joins an earlier story is remembered as a
copy of it, any other item starts a story.

- A merge is an item that joined a story; it is right when the story's
  first item has the same label.
- An item could merge when an earlier item of its story came from another
  outlet within the index's window.
- Precision = right merges / merges (1.0 when nothing merged);
  recall = right merges / items that could merge.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot._stories import DEFAULT_WINDOW, StoryIndex, explain_story
from bot.types import Item

STORY_SET = Path(__file__).resolve().parent / "data" / "stories" / "labelled.toml"


@dataclass(frozen=True)
class Labelled:
    """One item of the set, with its story label."""

    #: The story it belongs to.
    story: str
    #: The item (``source`` is the outlet).
    item: Item


def load_story_set(path: Path = STORY_SET) -> list[Labelled]:
    """The labelled items, in publication order."""
    with path.open("rb") as f:
        rows = tomllib.load(f)["item"]
    labelled = []
    for row in rows:
        at: datetime = row["at"]
        item = Item(source=row["outlet"], key=row["url"], url=row["url"], title=row["title"],
                    summary_text=row["lead"], content_text="", lead=row["lead"], published=at,
                    language=row["lang"])
        labelled.append(Labelled(row["story"], item))
    return sorted(labelled, key=lambda x: x.item.published or datetime.min)


@dataclass(frozen=True)
class Merge:
    """An item that joined an earlier story."""

    #: The item that joined.
    item: Labelled
    #: The story's first item.
    first: Labelled
    #: Why, in one line.
    reason: str

    @property
    def right(self) -> bool:
        return self.item.story == self.first.story


@dataclass(frozen=True)
class Score:
    """Merge precision and recall of one replay."""

    #: Every merge made.
    merges: tuple[Merge, ...]
    #: Items that could have merged.
    mergeable: int

    @property
    def false_merges(self) -> tuple[Merge, ...]:
        return tuple(m for m in self.merges if not m.right)

    @property
    def precision(self) -> float:
        return 1.0 if not self.merges else 1 - len(self.false_merges) / len(self.merges)

    @property
    def recall(self) -> float:
        right = len(self.merges) - len(self.false_merges)
        return right / self.mergeable if self.mergeable else 1.0


def mergeable(items: Sequence[Labelled], window: timedelta = DEFAULT_WINDOW) -> int:
    """How many items have an earlier item of their story from another outlet."""
    count = 0
    for i, x in enumerate(items):
        assert x.item.published is not None
        if any(y.story == x.story and y.item.source != x.item.source
               and y.item.published is not None
               and x.item.published - y.item.published <= window for y in items[:i]):
            count += 1
    return count


#: Replays an item: the key of the story's first item (source, key) it joins, and why.
Judge = Callable[[Item], "tuple[tuple[str, str], str] | None"]


def replay(items: Sequence[Labelled], judge: Judge) -> Score:
    """Feed the items in order to ``judge`` and score its merges."""
    by_key = {(x.item.source, x.item.key): x for x in items}
    merges = []
    for x in items:
        joined = judge(x.item)
        if joined is not None:
            first_key, reason = joined
            merges.append(Merge(x, by_key[first_key], reason))
    return Score(tuple(merges), mergeable(items))


def story_index_judge(index: StoryIndex | None = None) -> Judge:
    """A judge backed by a :class:`StoryIndex`, used as the pipeline uses it."""

    stories = index if index is not None else StoryIndex()

    def judge(item: Item) -> tuple[tuple[str, str], str] | None:
        assert item.published is not None
        verdict = stories.find(item, item.published)
        stories.add(item, item.published, joins=verdict)
        if verdict is None or verdict.first_source is None or verdict.first_key is None:
            return None
        return (verdict.first_source, verdict.first_key), explain_story(verdict)

    return judge
