"""One story from ten outlets, posted once: near-duplicate titles across sources (pure).

Wire copy (AFP, Reuters, AP …) and syndicated articles reach many feeds with
the same or nearly the same title but different URLs, so URL dedup misses
them. A title is reduced to its significant words (normalised, stop words
and one-letter words dropped); two titles from different sources published
within a window whose word sets overlap enough (Jaccard) are one story.
The threshold is deliberately high: telling two stories apart matters more
than catching every rewrite.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from ._normalize import normalize

#: Two titles are one story at this Jaccard similarity of their words, or above.
DEFAULT_THRESHOLD = 0.7
#: Titles with fewer significant words are too short to compare safely.
MIN_WORDS = 4
#: How long a story is remembered.
DEFAULT_WINDOW = timedelta(hours=48)

_STOP_WORDS = frozenset("""
a an and are as at be by for from has have in is it its of on or that the this to was were
will with after over into new says said how why what who
au aux avec ce ces dans de des du en est et il la le les leur l d qu un une pour par pas plus
que qui sur se sa son ses sont ou mais ne n c s y a vers selon apres face
""".split())  # noqa: SIM905


def story_words(title: str) -> frozenset[str]:
    """The significant words of a title, for comparison."""
    return frozenset(w for w in normalize(title).split()
                     if w not in _STOP_WORDS and (len(w) > 1 or w.isdigit()))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two word sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Story:
    """A story already alerted."""

    #: Its significant title words.
    words: frozenset[str]
    #: The title as alerted.
    title: str
    #: The source it came from.
    source: str
    #: When it was seen.
    seen: datetime


class StoryIndex:
    """Recently alerted stories, to recognise the same story from another outlet."""

    def __init__(self, *, threshold: float = DEFAULT_THRESHOLD,
                 window: timedelta = DEFAULT_WINDOW) -> None:
        self.threshold = threshold
        self.window = window
        self._stories: deque[Story] = deque()
        # word -> stories with that word: candidates share at least one word.
        self._by_word: dict[str, list[Story]] = {}

    def __len__(self) -> int:
        return len(self._stories)

    def _expire(self, now: datetime) -> None:
        cutoff = now - self.window
        while self._stories and self._stories[0].seen < cutoff:
            old = self._stories.popleft()
            for word in old.words:
                bucket = self._by_word.get(word)
                if bucket is not None:
                    bucket.remove(old)
                    if not bucket:
                        del self._by_word[word]

    def find(self, title: str, source: str, now: datetime) -> Story | None:
        """An earlier story from another source that ``title`` repeats, if any."""
        self._expire(now)
        words = story_words(title)
        if len(words) < MIN_WORDS:
            return None
        best: Story | None = None
        best_score = self.threshold
        seen: set[int] = set()
        for word in words:
            for story in self._by_word.get(word, ()):
                if id(story) in seen or story.source == source:
                    continue
                seen.add(id(story))
                score = similarity(words, story.words)
                if score >= best_score:
                    best, best_score = story, score
        return best

    def add(self, title: str, source: str, now: datetime) -> None:
        """Remember an alerted story (stories must be added in time order)."""
        words = story_words(title)
        if len(words) < MIN_WORDS:
            return
        story = Story(words, title, source, now)
        self._stories.append(story)
        for word in words:
            self._by_word.setdefault(word, []).append(story)
