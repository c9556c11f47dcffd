"""Subscription delivery options, parsed and evaluated (pure, no I/O).

``limit = "10/h"``, ``digest = "hourly" | "daily@08:30"``,
``quiet = "22:00-07:00"`` and ``timezone = "Europe/Paris"``: the parsers raise
ValueError with a message fit for a config error or a chat reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_LIMIT_RE = re.compile(r"^\s*(\d{1,5})\s*/\s*(\d*)\s*(m|min|minute|h|hour|d|day)\s*$", re.I)
_LIMIT_UNITS = {"m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400,
                "day": 86400}
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` alerts per ``per_seconds``; the overflow is rolled up."""

    #: Alerts allowed in one window.
    count: int
    #: The window's length in seconds.
    per_seconds: int

    def __str__(self) -> str:
        unit = {60: "m", 3600: "h", 86400: "d"}.get(self.per_seconds)
        return f"{self.count}/{unit}" if unit else f"{self.count}/{self.per_seconds // 60}m"


@dataclass(frozen=True)
class Digest:
    """Collect alerts and send them as one message: hourly or daily at a time."""

    #: "hourly" or "daily".
    every: str
    #: Local time of the daily digest (None for hourly).
    at: time | None = None

    def __str__(self) -> str:
        return "hourly" if self.at is None else f"daily@{self.at.strftime('%H:%M')}"


@dataclass(frozen=True)
class QuietHours:
    """A daily local-time window during which alerts are held."""

    #: Start of the window (local time).
    start: time
    #: End of the window (local time); before ``start`` means it spans midnight.
    end: time

    def __str__(self) -> str:
        return f"{self.start.strftime('%H:%M')}-{self.end.strftime('%H:%M')}"

    def contains(self, local: time) -> bool:
        t = local.replace(second=0, microsecond=0, tzinfo=None)
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def ends_after(self, now: datetime) -> datetime:
        """The first end of the window at or after ``now`` (aware, in now's zone)."""
        end = now.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > now else end + timedelta(days=1)


def parse_limit(text: str) -> RateLimit:
    m = _LIMIT_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a limit (examples: \"10/h\", \"50/d\", \"3/10m\")")
    count = int(m.group(1))
    mult = int(m.group(2)) if m.group(2) else 1
    if count < 1 or mult < 1:
        raise ValueError("a limit needs at least 1 alert per period")
    return RateLimit(count, mult * _LIMIT_UNITS[m.group(3).lower()])


def _parse_time(text: str, what: str) -> time:
    m = _TIME_RE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a time for {what} (example: \"08:30\")")
    return time(int(m.group(1)), int(m.group(2)))


def parse_digest(text: str) -> Digest:
    value = text.strip().lower()
    if value == "hourly":
        return Digest("hourly")
    if value.startswith("daily"):
        _, _, at = value.partition("@")
        return Digest("daily", _parse_time(at or "08:00", "the daily digest"))
    raise ValueError(f"{text!r} is not a digest (\"hourly\" or \"daily@08:30\")")


def parse_quiet(text: str) -> QuietHours:
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a quiet period (example: \"22:00-07:00\")")
    q = QuietHours(_parse_time(start, "quiet hours"), _parse_time(end, "quiet hours"))
    if q.start == q.end:
        raise ValueError("quiet hours must not start and end at the same time")
    return q


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (example: \"Europe/Paris\")"
                         ) from None
