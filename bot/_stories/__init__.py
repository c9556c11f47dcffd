"""One story from many outlets, recognised across languages (pure).

``story_features`` reads an item (title and lead: names, numbers, words);
``compare`` decides whether one item is a copy of another and says why in a
:class:`StoryVerdict` (``explain_story`` renders it in one line);
:class:`StoryIndex` remembers recent stories and finds the candidates cheaply.
"""

from ._features import Entity, StoryFeatures, story_features
from ._index import DEFAULT_WINDOW, Story, StoryIndex
from ._numbers import Quantity, quantities, same_quantity
from ._verdict import StoryVerdict, compare, explain_story, story_evidence

__all__ = [
    "DEFAULT_WINDOW", "Entity", "Quantity", "Story", "StoryFeatures", "StoryIndex",
    "StoryVerdict", "compare", "explain_story", "quantities", "same_quantity", "story_evidence",
    "story_features",
]
