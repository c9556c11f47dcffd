"""Value parsers (pure): durations, sizes, ``${ENV}`` substitution, phrases.

The parsers raise :class:`~bot.exceptions.InvalidValueError` (a ValueError)
with a message fit for a config error or a chat reply; bounds are part of
the value, so the message says the range.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from ..exceptions import InvalidValueError
from ._model import MAX_PHRASE_CHARS

#: Longest duration anything in a configuration may last (ten years): beyond
#: it, a date computed from it leaves what datetimes and schedulers hold.
MAX_DURATION = 3650 * 86400.0
#: Largest size anything in a configuration may take (1 TiB).
MAX_SIZE = 1024**4

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.I)
_SIZE_UNITS = {
    "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3,
}


def parse_duration(value: str | int | float, *, at_least: float | None = None,
                   at_most: float = MAX_DURATION) -> float:
    """Seconds from ``"90s"``, ``"10m"``, ``"1h"``, ``"2d"`` or a number of seconds.

    The result is positive, at least ``at_least`` when given, and at most
    ``at_most``. Raises InvalidValueError with a message fit for a config error
    (out of range: the message says the range).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidValueError("expected a duration such as \"10m\"")
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m:
            raise InvalidValueError(f"{value[:40]!r} is not a duration (examples: \"90s\", "
                                    "\"10m\", \"1h\")")
        number, unit = m.group(1), m.group(2) or "s"
        seconds = float(number) * _DURATION_UNITS[unit]
    else:
        try:
            seconds = float(value)
        except OverflowError:  # an integer beyond any float
            seconds = math.inf
    low_ok = seconds > 0 if at_least is None else seconds >= at_least
    if not (low_ok and seconds <= at_most):  # NaN fails both
        low = "positive" if at_least is None else f"at least {format_duration(at_least)}"
        raise InvalidValueError(f"must be {low} and at most {format_duration(at_most)}")
    return seconds


def parse_size(value: str | int, *, at_least: int = 1, at_most: int = MAX_SIZE) -> int:
    """Bytes from ``"10MB"``, ``"512KiB"`` or a number of bytes, between
    ``at_least`` and ``at_most``. Raises InvalidValueError as :func:`parse_duration`."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidValueError("expected a size such as \"10MB\"")
    if isinstance(value, int):
        size: float = value
    else:
        m = _SIZE_RE.match(value)
        if not m:
            raise InvalidValueError(f"{value[:40]!r} is not a size (examples: \"512KB\", \"10MB\")")
        size = float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()]
    if not at_least <= size <= at_most:  # also refuses inf
        raise InvalidValueError(f"must be at least {format_size(at_least)} and at most "
                                f"{format_size(at_most)}")
    return int(size)


def format_duration(seconds: float) -> str:
    """``"30d"``, ``"2h"``, ``"10m"`` or ``"0.5s"``: the largest whole unit."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def format_size(size: int) -> str:
    """``"1GiB"``, ``"10KiB"`` or ``"1000B"``: the largest whole binary unit."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


def expand_env(value: str, env: Mapping[str, str]) -> str:
    """Replace ``${NAME}`` with the environment variable NAME.

    Raises KeyError(NAME) when it is not set.
    """

    def repl(m: re.Match[str]) -> str:
        return env[m.group(1)]

    return _ENV_RE.sub(repl, value)


def env_references(value: str) -> list[str]:
    """The names of the environment variables ``value`` refers to as ``${NAME}``."""
    return _ENV_RE.findall(value)


def phrase_problem(phrase: str) -> str | None:
    """What is wrong with a keyword or exclusion phrase, or None.

    The text completes "the phrase …" (config errors, chat replies).
    """
    from .._normalize import normalize

    if len(phrase) > MAX_PHRASE_CHARS:
        return f"is longer than {MAX_PHRASE_CHARS} characters"
    if not normalize(phrase.rstrip("*")):
        return "has no letters or digits"
    if "*" in phrase.rstrip("*") or phrase.endswith("**"):
        return "may use '*' only once, at its end (prefix)"
    return None
