"""Subscription options: their typed values, parsed and checked here, once.

A subscription may set ``limit = "10/h"``, ``digest = "hourly" |
"daily@08:30"``, ``quiet = "22:00-07:00"``, ``timezone = "Europe/Paris"`` and
``mention = "<role or group id>"``. The configuration, the chat commands and
the outbox all go through :meth:`SubscriptionOptions.parse`; they are stored
(with the alerts in the outbox, with chat subscriptions) as the strings of
:meth:`SubscriptionOptions.as_strings`, read back by the same parser. Bad
values raise :class:`bot.exceptions.InvalidOptionError` (a ``ValueError``),
whose message is fit for a config error or a chat reply.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .exceptions import InvalidOptionError

__all__ = [
    "OPTION_NAMES",
    "UTC_ZONE",
    "DigestSchedule",
    "OptionName",
    "QuietHours",
    "RateLimit",
    "SubscriptionOptions",
    "parse_digest",
    "parse_limit",
    "parse_mention",
    "parse_quiet",
    "parse_timezone",
]

log = logging.getLogger(__name__)

OptionName = Literal["limit", "digest", "quiet", "timezone", "mention"]
#: The options a subscription may set, in the order they are shown and stored.
OPTION_NAMES: tuple[OptionName, ...] = ("limit", "digest", "quiet", "timezone", "mention")
#: The default zone of digest and quiet-hours times.
UTC_ZONE = ZoneInfo("UTC")
#: Words that turn an option off in a command (``limit #3 off``).
OFF_WORDS = ("off", "none")

_LIMIT_RE = re.compile(r"^\s*(\d{1,5})\s*/\s*(\d*)\s*(m|min|minute|h|hour|d|day)\s*$", re.I)
_LIMIT_UNITS = {"m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400,
                "day": 86400}
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_MENTION_RE = re.compile(r"[0-9A-Za-z^_-]{1,64}")
#: Longer names are no IANA zone (the longest is 32 characters); the zone
#: database would answer with an OSError.
_MAX_ZONE_CHARS = 64


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
class DigestSchedule:
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


@dataclass(frozen=True)
class SubscriptionOptions:
    """How a subscription's alerts are delivered; every field parsed and checked."""

    #: At most so many alerts per window; the overflow is rolled into one message.
    limit: RateLimit | None = None
    #: Send the alerts as one digest, hourly or daily.
    digest: DigestSchedule | None = None
    #: Hold alerts during this local-time window, then send them as one message.
    quiet: QuietHours | None = None
    #: The zone of the ``digest`` and ``quiet`` times.
    timezone: ZoneInfo = field(default=UTC_ZONE)
    #: A role (Discord) or group (Slack) to mention with each alert: the only
    #: way an alert pings anyone.
    mention: str | None = None

    @classmethod
    def parse(cls, values: Mapping[str, str],
              on_error: Callable[[InvalidOptionError], None] | None = None
              ) -> SubscriptionOptions:
        """The options written as ``values`` (by name; other names are ignored).

        Raises :class:`InvalidOptionError` for the first bad value; with
        ``on_error``, every bad value is handed to it and left out instead
        (the configuration reports them all; values read back from storage
        that no longer parse must not block a lane).
        """
        parsed: dict[str, object] = {}
        for name in OPTION_NAMES:
            text = values.get(name)
            if text is None:
                continue
            try:
                parsed[name] = _PARSERS[name](text)
            except InvalidOptionError as e:
                if on_error is None:
                    raise
                on_error(e)
        return cls(**parsed)  # type: ignore[arg-type]

    @classmethod
    def from_stored(cls, values: Mapping[str, str]) -> SubscriptionOptions:
        """Options read back from storage: they were checked when written, so
        a value that no longer parses (a zone gone from the database) is
        logged and left out rather than blocking a lane."""
        return cls.parse(values, on_error=_ignore)

    def as_strings(self) -> dict[str, str]:
        """The options set, as they are written and stored (the default
        time zone, UTC, says nothing and is left out)."""
        values: dict[str, str] = {name: str(getattr(self, name)) for name in OPTION_NAMES
                  if getattr(self, name) is not None}
        if self.timezone == UTC_ZONE:
            del values["timezone"]
        return values

    def with_option(self, name: OptionName, text: str) -> SubscriptionOptions:
        """These options with ``name`` set to ``text`` once parsed, or, with
        "off" or "none", unset (the time zone goes back to UTC).

        Raises :class:`InvalidOptionError` for a bad value.
        """
        value = None if text.strip().lower() in OFF_WORDS and name != "timezone" \
            else _PARSERS[name](text)
        return dataclasses.replace(self, **{name: value})  # type: ignore[arg-type]


def _ignore(error: InvalidOptionError) -> None:
    log.warning("ignoring the stored subscription option %s: %s", error.option, error)


# -- the parsers ---------------------------------------------------------------


def parse_limit(text: str) -> RateLimit:
    m = _LIMIT_RE.match(text)
    if not m:
        raise InvalidOptionError(
            "limit", f"{text!r} is not a limit (examples: \"10/h\", \"50/d\", \"3/10m\")")
    count = int(m.group(1))
    mult = int(m.group(2)) if m.group(2) else 1
    if count < 1 or mult < 1:
        raise InvalidOptionError("limit", "a limit needs at least 1 alert per period")
    return RateLimit(count, mult * _LIMIT_UNITS[m.group(3).lower()])


def _parse_time(text: str, option: OptionName, what: str) -> time:
    m = _TIME_RE.match(text.strip())
    if not m:
        raise InvalidOptionError(option, f"{text!r} is not a time for {what} "
                                          "(example: \"08:30\")")
    return time(int(m.group(1)), int(m.group(2)))


def parse_digest(text: str) -> DigestSchedule:
    value = text.strip().lower()
    if value == "hourly":
        return DigestSchedule("hourly")
    if value.startswith("daily"):
        _, _, at = value.partition("@")
        return DigestSchedule("daily", _parse_time(at or "08:00", "digest", "the daily digest"))
    raise InvalidOptionError("digest", f"{text!r} is not a digest (\"hourly\" or "
                                       "\"daily@08:30\")")


def parse_quiet(text: str) -> QuietHours:
    start, sep, end = text.partition("-")
    if not sep:
        raise InvalidOptionError("quiet", f"{text!r} is not a quiet period "
                                          "(example: \"22:00-07:00\")")
    q = QuietHours(_parse_time(start, "quiet", "quiet hours"),
                   _parse_time(end, "quiet", "quiet hours"))
    if q.start == q.end:
        raise InvalidOptionError("quiet", "quiet hours must not start and end at the same time")
    return q


def parse_timezone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; a directory of the zone database ("Europe"), a
    name too long or one that escapes the database is not a zone either."""
    error = InvalidOptionError("timezone", f"{name[:_MAX_ZONE_CHARS]!r} is not an IANA time "
                                           "zone (example: \"Europe/Paris\")")
    if len(name) > _MAX_ZONE_CHARS:
        raise error
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise error from None


def parse_mention(text: str) -> str:
    """A role or group id, as platforms spell them (digits, letters, ``^_-``)."""
    if not _MENTION_RE.fullmatch(text):
        raise InvalidOptionError("mention", "must be a role or group id")
    return text


_PARSERS: Mapping[str, Callable[[str], object]] = {
    "limit": parse_limit, "digest": parse_digest, "quiet": parse_quiet,
    "timezone": parse_timezone, "mention": parse_mention,
}
