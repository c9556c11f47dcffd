"""Feed dates: RFC 822 and its common deviations, ISO 8601 / RFC 3339."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_MONTHS = {
    "jan": 1, "january": 1, "janv": 1, "janvier": 1,
    "feb": 2, "february": 2, "fev": 2, "fév": 2, "fevr": 2, "févr": 2, "fevrier": 2,
    "février": 2,
    "mar": 3, "march": 3, "mars": 3,
    "apr": 4, "april": 4, "avr": 4, "avril": 4,
    "may": 5, "mai": 5,
    "jun": 6, "june": 6, "juin": 6,
    "jul": 7, "july": 7, "juil": 7, "juillet": 7,
    "aug": 8, "august": 8, "aou": 8, "aoû": 8, "aout": 8, "août": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9,
    "oct": 10, "october": 10, "octobre": 10,
    "nov": 11, "november": 11, "novembre": 11,
    "dec": 12, "december": 12, "déc": 12, "decembre": 12, "décembre": 12,
}  # fmt: skip
#: Named zones seen in feeds, in minutes east of UTC.
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420, "akst": -540, "akdt": -480, "hst": -600,
    "ast": -240, "adt": -180, "nst": -210, "ndt": -150,
    "bst": 60, "ist": 330, "cet": 60, "met": 60, "cest": 120, "mest": 120, "west": 60,
    "eet": 120, "eest": 180, "msk": 180,
    "jst": 540, "kst": 540, "hkt": 480, "sgt": 480, "awst": 480,
    "acst": 570, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
}  # fmt: skip
_ISO_DATE = re.compile(
    r"(\d{4})[-/]?(\d{2})[-/]?(\d{2})"
    r"(?:[Tt ]+(\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
_DATE_TOKENS = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?|[+-]\d{1,2}(?::?\d{2})?(?!\d)|\d+|[^\W\d_]+"
)


def _make_datetime(
    year: int, month: int, day: int, hour: int, minute: int, second: int, micro: int,
    offset_minutes: int,
) -> datetime | None:
    try:
        value = datetime(year, month, day, hour, minute, min(second, 59), micro, UTC)
        return value - timedelta(minutes=offset_minutes)
    except (ValueError, OverflowError):
        return None


def _parse_offset(token: str) -> int | None:
    sign = -1 if token[0] == "-" else 1
    digits = token[1:].replace(":", "")
    if len(digits) <= 2:
        hours, minutes = int(digits), 0
    elif len(digits) == 4:
        hours, minutes = int(digits[:2]), int(digits[2:])
    else:
        return None
    if hours > 14 or minutes > 59:
        return None
    return sign * (hours * 60 + minutes)


def _parse_iso(value: str) -> datetime | None:
    m = _ISO_DATE.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    offset = 0
    if zone and zone.upper() not in ("Z", "UTC", "GMT"):
        parsed = _parse_offset(zone)
        if parsed is None:
            return None
        offset = parsed
    micro = int((frac or "0")[:6].ljust(6, "0"))
    return _make_datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
        micro, offset,
    )


def _parse_rfc822(value: str) -> datetime | None:
    """RFC 822 and its common deviations (order, names, missing parts)."""
    day = month = year = None
    hour = minute = second = 0
    offset: int | None = None
    offset_from_name = False
    time_seen = False
    for token in _DATE_TOKENS.findall(value.lower()):
        first = token[0]
        if first.isdigit() and ":" in token:
            if time_seen:
                continue
            parts = re.split(r"[:.,]", token)
            hour, minute = int(parts[0]), int(parts[1])
            second = int(parts[2]) if token.count(":") == 2 else 0
            time_seen = True
        elif first in "+-":
            if time_seen and (offset is None or offset_from_name):
                parsed = _parse_offset(token)
                if parsed is not None:
                    offset = (offset or 0) + parsed
                    offset_from_name = False
                continue
            number = int(token[1:].replace(":", ""))
            if year is None and (len(token) - 1 == 4 or number > 31):
                year = number
            elif day is None:
                day = number
        elif first.isdigit():
            number = int(token)
            if len(token) >= 3 or number > 31:
                if year is None:
                    year = number
            elif day is None:
                day = number
            elif year is None:
                year = number
        elif token in _MONTHS:
            # The last month name wins: a French "mar." (mardi) may come first.
            month = _MONTHS[token]
        elif token in _ZONES and time_seen and offset is None:
            offset = _ZONES[token]
            offset_from_name = True
        elif token == "pm" and time_seen and hour < 12:
            hour += 12
        elif token == "am" and time_seen and hour == 12:
            hour = 0
    if day is None or month is None or year is None:
        return None
    if year < 100:
        # RFC 2822 §4.3: 00–49 are 2000–2049, 50–99 are 1950–1999.
        year += 2000 if year < 50 else 1900
    return _make_datetime(year, month, day, hour, minute, second, 0, offset or 0)


# The canonical RFC 822 form most feeds use, parsed without the general scanner.
_RFC822_COMMON = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?"
    r" ?(GMT|UTC|UT|Z|[+-]\d{4})"
)


def _parse_rfc822_common(value: str) -> datetime | None:
    m = _RFC822_COMMON.fullmatch(value)
    if m is None:
        return None
    day, mon, year, hour, minute, second, zone = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    offset = 0 if zone[0] not in "+-" else _parse_offset(zone)
    if offset is None:
        return None
    return _make_datetime(
        int(year), month, int(day), int(hour), int(minute), int(second or 0), 0, offset
    )


def parse_date(value: str | None) -> datetime | None:
    """Parse a feed date (RFC 822 or ISO 8601 / RFC 3339) to a UTC-aware datetime.

    A missing zone means UTC. Dates in the future are returned as given.
    Returns None for a missing or unreadable date; never raises.
    """
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > 100:
        return None
    if value[:4].isdigit() and (value[4:5] in ("-", "/") or value[4:8].isdigit()):
        result = _parse_iso(value)
        if result is not None:
            return result
    return _parse_rfc822_common(value) or _parse_rfc822(value)
