"""Benchmark: story recognition (bot._stories) against the title-Jaccard baseline.

Two parts, both measured with the baseline in the same run:

1. The labelled multi-outlet set (tests/data/stories/labelled.toml): merge
   precision and recall (see tests/storyset.py for the definitions), and the
   false merges, if any.
2. The real-feeds corpus (env ``VIGIE_CORPUS``, else ``../shared/corpus/realfeeds``
   beside the repository; skipped with a message when absent): every dated
   item, oldest first, goes through the index as the pipeline sends it (find,
   then add). Prints how many items merged, a sample of merged pairs (titles
   and outlets) for a person to judge, items/s of the index, and its memory
   per remembered item.

The baseline is the index Vigie had before: titles reduced to their
significant words, one story when their Jaccard similarity is 0.7 or more.

    python bench/bench_stories.py [--sample 20] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from storyset import (  # noqa: E402
    Judge,
    Labelled,
    Score,
    load_story_set,
    replay,
    story_index_judge,
)

from bot._normalize import normalize  # noqa: E402
from bot._parser import parse_feed  # noqa: E402
from bot._pipeline import build_item  # noqa: E402
from bot._stories import StoryIndex, story_evidence  # noqa: E402
from bot.types import Item  # noqa: E402

# -- the baseline: the title-Jaccard index Vigie had before ------------------

_STOP_WORDS = frozenset("""
a an and are as at be by for from has have in is it its of on or that the this to was were
will with after over into new says said how why what who
au aux avec ce ces dans de des du en est et il la le les leur l d qu un une pour par pas plus
que qui sur se sa son ses sont ou mais ne n c s y a vers selon apres face
""".split())  # noqa: SIM905


def _title_words(title: str) -> frozenset[str]:
    return frozenset(w for w in normalize(title).split()
                     if w not in _STOP_WORDS and (len(w) > 1 or w.isdigit()))


@dataclass(frozen=True)
class _BaselineStory:
    words: frozenset[str]
    source: str
    key: str
    seen: datetime


class TitleJaccardIndex:
    """The former StoryIndex: Jaccard ≥ 0.7 on title words, 4 words at least, 48 h."""

    def __init__(self, threshold: float = 0.7, window: timedelta = timedelta(hours=48)) -> None:
        self.threshold = threshold
        self.window = window
        self._stories: deque[_BaselineStory] = deque()
        self._by_word: dict[str, list[_BaselineStory]] = {}

    def _expire(self, now: datetime) -> None:
        while self._stories and self._stories[0].seen < now - self.window:
            old = self._stories.popleft()
            for word in old.words:
                self._by_word[word].remove(old)

    def find(self, item: Item, now: datetime) -> _BaselineStory | None:
        self._expire(now)
        words = _title_words(item.title)
        if len(words) < 4:
            return None
        best, best_score = None, self.threshold
        for word in words:
            for story in self._by_word.get(word, ()):
                if story.source == item.source:
                    continue
                score = len(words & story.words) / len(words | story.words)
                if score >= best_score:
                    best, best_score = story, score
        return best

    def add(self, item: Item, now: datetime) -> None:
        words = _title_words(item.title)
        if len(words) >= 4:
            story = _BaselineStory(words, item.source, item.key, now)
            self._stories.append(story)
            for word in words:
                self._by_word.setdefault(word, []).append(story)


def baseline_judge() -> Judge:
    index = TitleJaccardIndex()

    def judge(item: Item) -> tuple[tuple[str, str], str] | None:
        assert item.published is not None
        story = index.find(item, item.published)
        if story is None:
            index.add(item, item.published)  # the former pipeline remembered alerts only
            return None
        return (story.source, story.key), "title words overlap"

    return judge


# -- 1. the labelled set -------------------------------------------------------


def labelled(items: list[Labelled]) -> None:
    stories = len({x.story for x in items})
    print(f"labelled set: {len(items)} items, {stories} stories, "
          f"{sum(x.item.language == 'fr' for x in items)} in French")
    results: list[tuple[str, Score]] = [
        ("baseline (title Jaccard)", replay(items, baseline_judge())),
        ("vigie stories", replay(items, story_index_judge())),
    ]
    print(f"  {'':26} {'merges':>6} {'false':>6} {'precision':>9} {'recall':>7}")
    for name, score in results:
        print(f"  {name:26} {len(score.merges):6d} {len(score.false_merges):6d} "
              f"{score.precision:9.3f} {score.recall:7.3f}   (of {score.mergeable} mergeable)")
    for name, score in results:
        for merge in score.false_merges:
            print(f"  FALSE MERGE ({name}): {merge.item.story} “{merge.item.item.title}” "
                  f"joined {merge.first.story} “{merge.first.item.title}”")


# -- 2. the real-feeds corpus ---------------------------------------------------


def corpus_dir(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    env = os.environ.get("VIGIE_CORPUS")
    return Path(env) if env else ROOT.parent / "shared" / "corpus" / "realfeeds"


def load_corpus(directory: Path) -> tuple[list[Item], dict[str, str]]:
    """Every dated item of every feed, oldest first, and each feed's title by source."""
    items: list[Item] = []
    outlets: dict[str, str] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix not in (".xml", ".json"):
            continue
        try:
            feed = parse_feed(path.read_bytes(), url=f"https://corpus.example/{path.name}")
        except Exception:  # a corpus file that does not parse is not ours to judge
            continue
        outlets[path.stem] = (feed.title or path.stem)[:40]
        for entry in feed.entries:
            try:
                item = build_item(path.stem, entry, feed)
            except Exception:  # as the poller does: skip an unreadable entry
                continue
            # Items without a date, or with a placeholder one (year 1), say nothing of time.
            if item.published is not None and item.published.year >= 1970:
                items.append(item)
    items.sort(key=lambda i: i.published or datetime.min)
    return items, outlets


Pair = tuple[Item, Item | None, str]
FOREVER = timedelta(days=365 * 100)


def run_index(items: list[Item],
              judge: Callable[[Item], tuple[Item | None, str] | None]) -> tuple[list[Pair], float]:
    start = time.perf_counter()
    merged: list[Pair] = []
    for item in items:
        found = judge(item)
        if found is not None:
            merged.append((item, found[0], found[1]))
    return merged, time.perf_counter() - start


def corpus(directory: Path, sample: int) -> None:
    if not directory.is_dir():
        print(f"real-feeds corpus: skipped, {directory} is absent (set VIGIE_CORPUS)")
        return
    items, outlets = load_corpus(directory)
    by_key = {(i.source, i.key): i for i in items}
    print(f"\nreal-feeds corpus: {len(items)} dated items from {len(outlets)} feeds ({directory})")

    base = TitleJaccardIndex()

    def base_judge(item: Item) -> tuple[Item | None, str] | None:
        assert item.published is not None
        story = base.find(item, item.published)
        if story is None:
            base.add(item, item.published)
            return None
        return by_key.get((story.source, story.key)), "title words overlap"

    index = StoryIndex()

    def vigie(item: Item) -> tuple[Item | None, str] | None:
        assert item.published is not None
        verdict = index.find(item, item.published)
        index.add(item, item.published, joins=verdict)
        if verdict is None:
            return None
        return by_key.get((verdict.story_source or "", verdict.story_key or "")), \
            story_evidence(verdict)

    base_merged, base_seconds = run_index(items, base_judge)
    merged, seconds = run_index(items, vigie)
    print(f"  {'':26} {'merges':>6} {'items/s':>9}")
    print(f"  {'baseline (title Jaccard)':26} {len(base_merged):6d} "
          f"{len(items) / base_seconds:9.0f}")
    print(f"  {'vigie stories':26} {len(merged):6d} {len(items) / seconds:9.0f}"
          f"   ({len(index)} items remembered at the end)")
    shown = merged if len(merged) <= sample else random.Random(13).sample(merged, sample)
    print(f"\n  {len(shown)} of {len(merged)} merged pairs, for a person to judge:")
    for item, first, reason in shown:
        print(f"  - [{outlets.get(item.source, item.source)}] {item.title}")
        if first is not None:
            print(f"    = [{outlets.get(first.source, first.source)}] {first.title}")
        print(f"      {reason}")
    only_base = {(i.source, i.key) for i, _, _ in base_merged} - {
        (i.source, i.key) for i, _, _ in merged}
    print(f"\n  merged by the baseline only: {len(only_base)}")
    memory(items)


def memory(items: list[Item]) -> None:
    """Bytes per remembered item, every corpus item remembered at once."""
    at = datetime.now(UTC)
    for name, index in (("baseline (title Jaccard)", TitleJaccardIndex(window=FOREVER)),
                        ("vigie stories", StoryIndex(window=FOREVER, max_items=len(items)))):
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for item in items:
            index.add(item, at)
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        print(f"  {name:26} {used / len(items):6.0f} bytes per remembered item")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sample", type=int, default=20, help="merged corpus pairs to print")
    ap.add_argument("--corpus", type=Path, default=None, help="the real-feeds directory")
    args = ap.parse_args()
    labelled(load_story_set())
    corpus(corpus_dir(args.corpus), args.sample)


if __name__ == "__main__":
    main()
