"""Text helpers shared by every adapter: cutting to a platform's limits, spans."""

from __future__ import annotations

from collections.abc import Iterable

ELLIPSIS = "…"


def truncate(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary, with an ellipsis.

    Never fails: a limit too small for a word is cut mid-word; ``limit`` <= 0 gives "".
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[:limit]
    cut = text[:room]
    space = cut.rfind(" ")
    # Cut at the last space unless that throws away most of the room.
    if space > room // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + ellipsis


def clip_spans(spans: tuple[tuple[int, int], ...], length: int) -> tuple[tuple[int, int], ...]:
    """Spans kept within the first ``length`` characters (after a truncation)."""
    return tuple((s, min(e, length)) for s, e in spans if s < length and s < e)


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Spans clipped to ``[0, length)``, empty ones dropped, sorted, and merged
    where they overlap or touch."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        start, end = max(0, start), min(end, length)
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
