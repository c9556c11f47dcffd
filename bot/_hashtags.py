"""The words inside hashtags and handles, for matching (pure).

Social posts write ``#IAGénérative``, ``#GenerativeAI``, ``#GPUs`` or
``@ElonMusk``: normalised whole, they are one word ("iagenerative") that no
topic's "IA générative" matches. :func:`tag_phrases` finds each hashtag and
handle whose name splits into several words, on case changes and digits
("IA Générative", "Generative AI", "RTX 5090", "Elon Musk"), and gives
those words normalised, so the matcher can look for terms in them too; the
whole tag is still matched as written, since it stays in the text.

Splitting: a run of capitals followed by small letters gives its last
capital to them ("IAGénérative" → "IA" "Générative"), except a plural
``s`` ending an acronym ("GPUs", "CPUsAndGPUs" → "CPUs" "And" "GPUs");
digits are a word of their own ("GPU4AI" → "GPU" "4" "AI"). A name in one
case ("elonmusk", "GPU") has nothing to split.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ._normalize import normalize

__all__ = ["TagPhrase", "split_tag", "tag_phrases"]

# A tag is "#" or "@" and letters, digits or marks; the sign first lets the
# regular expression engine skip to it quickly.
_TAG_RE = re.compile(r"[#@]([^\W_]+)")
# Not a tag after these (inside a word, "C#", an e-mail address, a URL's
# fragment "page#Top", a character reference "&#233;").
_NOT_BEFORE = frozenset("&/#@_")
# A colour ("#2a3f5f", "#E5ECF6" in a page's style), not a tag.
_COLOUR_RE = re.compile(r"[0-9A-Fa-f]{3,8}")


class TagPhrase(NamedTuple):
    """One hashtag or handle whose name holds several words."""

    #: The tag as written, sign included ("#IAGénérative").
    tag: str
    #: Where it is in the text.
    start: int
    end: int
    #: Its words, normalised and joined by spaces ("ia generative").
    words: str


def _class(ch: str) -> str:
    if ch.isdigit():
        return "d"
    return "u" if ch.isupper() else "l"


def split_tag(name: str) -> list[str]:
    """A tag's name cut into words, on case changes and digits."""
    runs: list[tuple[str, str]] = []
    for ch in name:
        kind = _class(ch)
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + ch)
        else:
            runs.append((kind, ch))
    words: list[str] = []
    i = 0
    while i < len(runs):
        kind, text = runs[i]
        after = runs[i + 1] if i + 1 < len(runs) else None
        if kind == "u" and after is not None and after[0] == "l":
            beyond = runs[i + 2] if i + 2 < len(runs) else None
            if after[1] == "s" and len(text) >= 2 and (beyond is None or beyond[0] != "l"):
                words.append(text + "s")  # an acronym's plural: GPUs
            elif len(text) > 1:
                words += [text[:-1], text[-1] + after[1]]
            else:
                words.append(text + after[1])
            i += 2
            continue
        words.append(text)
        i += 1
    return words


def tag_phrases(text: str) -> list[TagPhrase]:
    """The hashtags and handles of ``text`` that split into several words."""
    if "#" not in text and "@" not in text:
        return []
    found = []
    for m in _TAG_RE.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        name = m.group(1)
        if before.isalnum() or before in _NOT_BEFORE or (
                _COLOUR_RE.fullmatch(name) and not name.isalpha()):
            continue
        words = split_tag(name)
        if len(words) > 1:
            found.append(TagPhrase(m.group(), m.start(), m.end(), normalize(" ".join(words))))
    return found
