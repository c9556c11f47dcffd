"""Subscription options: one parser for the configuration, the commands and
what the outbox stores; bad values raise InvalidOptionError, a ValueError."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.exceptions import InvalidOptionError, VigieError
from bot.options import (
    UTC_ZONE,
    DigestSchedule,
    QuietHours,
    RateLimit,
    SubscriptionOptions,
    parse_timezone,
)

WRITTEN = {"limit": "3/10m", "digest": "daily@08:30", "quiet": "22:00-07:00",
           "timezone": "Europe/Paris", "mention": "412345678901234567"}


def test_options_parse_to_typed_values_and_write_back_the_same() -> None:
    options = SubscriptionOptions.parse(WRITTEN)
    assert options == SubscriptionOptions(
        limit=RateLimit(3, 600), digest=DigestSchedule("daily", time(8, 30)),
        quiet=QuietHours(time(22), time(7)), timezone=ZoneInfo("Europe/Paris"),
        mention="412345678901234567")
    assert options.as_strings() == WRITTEN
    assert SubscriptionOptions.parse(options.as_strings()) == options
    # UTC is the default and is not written; other names are not options.
    assert SubscriptionOptions.parse({"timezone": "UTC", "color": "#fff"}).as_strings() == {}


@pytest.mark.parametrize(("name", "value", "message"), [
    ("limit", "lots", "'lots' is not a limit"),
    ("limit", "0/h", "at least 1 alert"),
    ("digest", "weekly", "'weekly' is not a digest"),
    ("digest", "daily@25:00", "not a time for the daily digest"),
    ("quiet", "22:00", "not a quiet period"),
    ("quiet", "07:00-07:00", "must not start and end at the same time"),
    ("timezone", "Mars/Olympus", "not an IANA time zone"),
    # A directory of the zone database, a name too long for a file, a path
    # out of the database: never an OSError.
    ("timezone", "Europe", "not an IANA time zone"),
    ("timezone", "A" * 300, "not an IANA time zone"),
    ("timezone", "../../etc/passwd", "not an IANA time zone"),
    ("timezone", "", "not an IANA time zone"),
    ("mention", "@everyone", "must be a role or group id"),
])
def test_a_bad_value_says_which_option_and_why(name: str, value: str, message: str) -> None:
    with pytest.raises(InvalidOptionError) as err:
        SubscriptionOptions.parse({**WRITTEN, name: value})
    assert err.value.option == name and message in str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, VigieError)
    assert len(str(err.value)) < 200


def test_every_bad_value_can_be_collected_and_left_out() -> None:
    errors: list[InvalidOptionError] = []
    options = SubscriptionOptions.parse(
        {"limit": "lots", "digest": "hourly", "timezone": "Mars/Base"}, on_error=errors.append)
    assert [e.option for e in errors] == ["limit", "timezone"]
    assert options == SubscriptionOptions(digest=DigestSchedule("hourly"))
    # Stored values are read the same way, leniently.
    assert SubscriptionOptions.from_stored({"limit": "lots", "digest": "hourly"}) == options


def test_an_option_is_set_or_turned_off_by_name() -> None:
    options = SubscriptionOptions.parse(WRITTEN)
    assert options.with_option("limit", "off").limit is None
    assert options.with_option("digest", "None").digest is None
    assert options.with_option("quiet", "01:00-02:00").quiet == QuietHours(time(1), time(2))
    assert options.with_option("timezone", "UTC").timezone == UTC_ZONE
    with pytest.raises(InvalidOptionError):
        options.with_option("timezone", "off")  # a zone is never off
    with pytest.raises(InvalidOptionError):
        options.with_option("limit", "10 per hour")


@given(st.text(max_size=80))
def test_any_time_zone_name_parses_or_raises_invalid_option(name: str) -> None:
    try:
        zone = parse_timezone(name)
    except InvalidOptionError as e:
        assert e.option == "timezone"
    else:
        assert isinstance(zone, ZoneInfo)
