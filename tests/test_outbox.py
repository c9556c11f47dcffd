"""The outbox's pure decisions: digest times, quiet hours, burst limits, lane plans,
retry delays, idempotency keys and the plain-text rendering of digests."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot._outbox import (
    Hold,
    Send,
    digest_alert,
    digest_text,
    make_digest,
    next_digest_time,
    next_free_slot,
    plan_lane,
    quiet_until,
    release_times,
    retry_delay,
    window_words,
)
from bot._types import Delivery
from bot.options import SubscriptionOptions, parse_digest, parse_limit, parse_quiet
from bot.types import Alert, AlertDigest, Item

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def make_alert(n: int, *, options: dict[str, str] | None = None, topic: str = "GPU",
               destination: str = "slack:C1") -> Alert:
    item = Item(source="src", key=f"k{n}", url=f"https://news.example/{n}", title=f"Item {n}",
                summary_text="", content_text="", lead=f"Lead {n}.",
                published=T0 + timedelta(seconds=n), language="en")
    return Alert(item=item, subscription="gpu-news", destination=destination,
                 topics=(topic.lower(),), topic_names=(topic,), matched_terms=(topic,),
                 options=SubscriptionOptions.parse(options or {}))


def d(n: int, *, created: datetime = T0, options: dict[str, str] | None = None,
      hold: str | None = None, not_before: datetime | None = None,
      digest_id: int | None = None, last_error: str | None = None, attempts: int = 0,
      topic: str = "GPU") -> Delivery:
    return Delivery(id=n, alert=make_alert(n, options=options, topic=topic), status="pending",
                    attempts=attempts, last_error=last_error, not_before=not_before,
                    created_at=created, hold=hold, digest_id=digest_id)


def sent_ids(actions: Sequence[object]) -> list[tuple[int, ...]]:
    return [a.ids for a in actions if isinstance(a, Send)]


# -- time ------------------------------------------------------------------------------


def test_hourly_digests_go_out_at_the_top_of_the_local_hour() -> None:
    hourly = parse_digest("hourly")
    utc = ZoneInfo("UTC")
    assert next_digest_time(T0 + timedelta(minutes=10), hourly, utc) == T0 + timedelta(hours=1)
    # Strictly after: an alert queued at 13:00 waits for 14:00.
    assert next_digest_time(T0 + timedelta(hours=1), hourly, utc) == T0 + timedelta(hours=2)
    # India is UTC+5:30: its hours start at half past in UTC.
    kolkata = ZoneInfo("Asia/Kolkata")
    assert next_digest_time(T0 + timedelta(minutes=10), hourly, kolkata) == \
        T0 + timedelta(minutes=30)


def test_daily_digests_follow_the_local_clock_across_dst() -> None:
    daily = parse_digest("daily@08:30")
    # 14:00 in Paris (CEST): tomorrow 08:30 local = 06:30 UTC.
    assert next_digest_time(T0, daily, PARIS) == datetime(2024, 5, 2, 6, 30, tzinfo=UTC)
    # 07:00 local: today.
    assert next_digest_time(datetime(2024, 5, 1, 5, 0, tzinfo=UTC), daily, PARIS) == \
        datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    # Clocks go forward on 31 March 2024: 08:30 CET was 07:30 UTC, 08:30 CEST is 06:30 UTC.
    saturday = datetime(2024, 3, 30, 7, 30, tzinfo=UTC)
    assert next_digest_time(saturday - timedelta(seconds=1), daily, PARIS) == saturday
    assert next_digest_time(saturday, daily, PARIS) == datetime(2024, 3, 31, 6, 30, tzinfo=UTC)


def test_quiet_hours_end_in_the_subscription_zone() -> None:
    quiet = parse_quiet("22:00-07:00")
    late = datetime(2024, 5, 1, 21, 30, tzinfo=UTC)  # 23:30 in Paris
    assert quiet_until(late, quiet, PARIS) == datetime(2024, 5, 2, 5, 0, tzinfo=UTC)
    early = datetime(2024, 5, 2, 4, 59, tzinfo=UTC)  # 06:59 in Paris
    assert quiet_until(early, quiet, PARIS) == datetime(2024, 5, 2, 5, 0, tzinfo=UTC)
    assert quiet_until(datetime(2024, 5, 2, 5, 0, tzinfo=UTC), quiet, PARIS) is None
    assert quiet_until(T0, quiet, PARIS) is None
    # The same instant is quiet in UTC terms only if the zone says so.
    assert quiet_until(late, quiet, ZoneInfo("UTC")) is None


def test_next_free_slot_is_a_sliding_window() -> None:
    limit = parse_limit("3/h")
    sent = [T0 - timedelta(minutes=m) for m in (50, 30, 10)]
    assert next_free_slot(limit, sent, T0) == T0 + timedelta(minutes=10)
    assert next_free_slot(limit, sent[1:], T0) is None
    # Messages older than the window do not count.
    assert next_free_slot(limit, [T0 - timedelta(hours=2)] * 5, T0) is None
    assert window_words(limit) == "hour"
    assert window_words(parse_limit("5/10m")) == "10 minutes"
    assert window_words(parse_limit("50/d")) == "day"


def test_retry_delay_is_exponential_jittered_and_honours_retry_after() -> None:
    assert retry_delay(1, rand=lambda: 0.5) == 5.0
    assert retry_delay(3, rand=lambda: 0.5) == 20.0
    assert retry_delay(3, rand=lambda: 0.0) == 15.0  # -25 %
    assert retry_delay(3, rand=lambda: 0.999) < 25.0  # under +25 %
    assert retry_delay(30, rand=lambda: 0.5) == 3600.0  # capped
    assert retry_delay(1, 120.0, rand=lambda: 0.5) == 120.0  # the platform asks longer
    assert retry_delay(2, base=0.5, cap=2.0, rand=lambda: 0.5) == 1.0


def test_release_times_are_the_digest_time_and_the_end_of_quiet_hours() -> None:
    assert release_times(SubscriptionOptions.parse(
        {"digest": "daily@08:30", "quiet": "22:00-07:15", "timezone": "Europe/Paris"})) == [
        (8, 30, "Europe/Paris"), (7, 15, "Europe/Paris")]
    assert release_times(SubscriptionOptions.parse({"digest": "hourly"})) == [(None, 0, "UTC")]
    assert release_times(SubscriptionOptions()) == []


# -- idempotency -------------------------------------------------------------------------


def _digest(alerts: Sequence[Alert], destination: str = "slack:C1") -> AlertDigest:
    return AlertDigest("digest", "gpu-news", destination, "t", tuple(alerts))


def test_idempotency_keys_are_stable_and_distinct() -> None:
    a = make_alert(1)
    assert a.idempotency_key == dataclasses.replace(a, topics=("x",)).idempotency_key
    assert a.idempotency_key != make_alert(2).idempotency_key
    assert a.idempotency_key != make_alert(1, destination="slack:C2").idempotency_key
    alerts = [make_alert(n) for n in range(3)]
    key = _digest(alerts).idempotency_key
    assert key == _digest(alerts[::-1]).idempotency_key
    assert key == dataclasses.replace(_digest(alerts), kind="overflow", title="u").idempotency_key
    assert key != _digest(alerts[:2]).idempotency_key
    assert key != _digest(alerts, "slack:C2").idempotency_key
    assert key != alerts[0].idempotency_key


# -- plans ---------------------------------------------------------------------------------


def test_a_lane_without_options_sends_everything_in_order() -> None:
    plan = plan_lane([d(1), d(2), d(3)], T0)
    assert sent_ids(plan.actions) == [(1,), (2,), (3,)]
    assert all(isinstance(a, Send) and a.kind is None for a in plan.actions)
    assert plan.wake is None
    assert plan_lane([], T0).actions == ()


def test_past_the_limit_alerts_are_rolled_up_never_dropped() -> None:
    limit = {"limit": "3/h"}
    queue = [d(n, options=limit) for n in range(1, 6)]
    plan = plan_lane(queue, T0)
    assert sent_ids(plan.actions) == [(1,), (2,), (3,)]
    holds = [a for a in plan.actions if isinstance(a, Hold)]
    assert [(h.ids, h.kind, h.until) for h in holds] == [
        ((4,), "overflow", T0 + timedelta(hours=1)), ((5,), "overflow", T0 + timedelta(hours=1))]
    assert plan.wake == T0 + timedelta(hours=1)

    # Half an hour later a new alert joins the overflow; nothing is sent.
    later = T0 + timedelta(minutes=30)
    held = [d(n, options=limit, hold="overflow", not_before=T0 + timedelta(hours=1))
            for n in (4, 5)]
    plan = plan_lane([*held, d(6, options=limit, created=later)], later, [T0] * 3)
    assert sent_ids(plan.actions) == []
    assert [(a.ids, a.kind) for a in plan.actions] == [((6,), "overflow")]

    # When the window frees a slot, the overflow goes out as one roll-up.
    at = T0 + timedelta(hours=1)
    held.append(d(6, options=limit, hold="overflow", not_before=at))
    plan = plan_lane(held, at, [T0] * 3)
    (rollup,) = plan.sends
    assert rollup.ids == (4, 5, 6) and rollup.kind == "overflow" and rollup.digest_id is None
    assert plan.wake is None
    digest = make_digest("overflow", "gpu-news", "slack:C1",
                         [x.alert for x in rollup.deliveries], SubscriptionOptions.parse(limit))
    assert digest.title == "3 more items matched GPU in the last hour"


def test_a_lone_overflow_alert_goes_out_as_itself() -> None:
    at = T0 + timedelta(hours=1)
    plan = plan_lane([d(4, options={"limit": "3/h"}, hold="overflow", not_before=at)], at,
                     [T0] * 3)
    assert [(s.ids, s.kind) for s in plan.sends] == [((4,), None)]


def test_digests_collect_alerts_until_their_time() -> None:
    hourly = {"digest": "hourly"}
    plan = plan_lane([d(1, options=hourly, created=T0 + timedelta(minutes=5)),
                      d(2, options=hourly, created=T0 + timedelta(minutes=40))],
                     T0 + timedelta(minutes=41))
    top = T0 + timedelta(hours=1)
    assert [(a.ids, a.kind, a.until) for a in plan.actions if isinstance(a, Hold)] == [
        ((1,), "digest", top), ((2,), "digest", top)]
    assert plan.sends == () and plan.wake == top

    held = [d(n, options=hourly, hold="digest", not_before=top) for n in (1, 2)]
    # An alert queued after the top of the hour waits for the next one.
    fresh = d(3, options=hourly, created=top + timedelta(seconds=1))
    plan = plan_lane([*held, fresh], top + timedelta(seconds=2))
    assert [(s.ids, s.kind) for s in plan.sends] == [((1, 2), "digest")]
    assert plan.wake == top + timedelta(hours=1)
    # A digest of one is still a digest.
    plan = plan_lane(held[:1], top)
    assert [(s.ids, s.kind) for s in plan.sends] == [((1,), "digest")]
    # Queued before the digest time but not looked at until after it: in this digest.
    plan = plan_lane([d(4, options=hourly, created=top - timedelta(minutes=1))], top)
    assert [(s.ids, s.kind) for s in plan.sends] == [((4,), "digest")]


def test_quiet_hours_hold_alerts_and_send_them_as_one_message() -> None:
    quiet = {"quiet": "22:00-07:00", "timezone": "Europe/Paris"}
    night = datetime(2024, 5, 1, 21, 30, tzinfo=UTC)  # 23:30 in Paris
    end = datetime(2024, 5, 2, 5, 0, tzinfo=UTC)
    plan = plan_lane([d(1, options=quiet, created=night), d(2, options=quiet, created=night)],
                     night)
    assert plan.sends == ()
    assert {(a.ids, a.kind, a.until) for a in plan.actions if isinstance(a, Hold)} == {
        ((1,), "quiet", end), ((2,), "quiet", end)}
    assert plan.wake == end
    # A retry due during quiet hours waits for their end too.
    retrying = d(3, options=quiet, last_error="HTTP 503", not_before=night)
    plan = plan_lane([retrying], night)
    assert plan.actions == () and plan.wake == end

    held = [d(n, options=quiet, created=night, hold="quiet", not_before=end) for n in (1, 2)]
    morning = end + timedelta(seconds=1)
    plan = plan_lane([*held, d(3, options=quiet, created=morning)], morning)
    assert [(s.ids, s.kind) for s in plan.sends] == [((1, 2), "quiet"), ((3,), None)]
    digest = make_digest("quiet", "gpu-news", "slack:C1",
                         [x.alert for x in plan.sends[0].deliveries],
                         SubscriptionOptions.parse(quiet))
    assert digest.title == "2 items matched GPU during quiet hours"
    # Alone, a held alert goes out as itself.
    plan = plan_lane(held[:1], morning)
    assert [(s.ids, s.kind) for s in plan.sends] == [((1,), None)]


def test_a_digest_due_during_quiet_hours_waits_for_their_end() -> None:
    options = {"digest": "hourly", "quiet": "22:00-07:00"}
    at = datetime(2024, 5, 1, 23, 0, tzinfo=UTC)
    held = [d(1, options=options, hold="digest", not_before=at)]
    plan = plan_lane(held, at)
    assert plan.sends == () and plan.wake == datetime(2024, 5, 2, 7, 0, tzinfo=UTC)
    plan = plan_lane(held, datetime(2024, 5, 2, 7, 0, tzinfo=UTC))
    assert [(s.ids, s.kind) for s in plan.sends] == [((1,), "digest")]


def test_a_retry_blocks_the_lane_to_keep_order() -> None:
    later = T0 + timedelta(minutes=1)
    first = d(1, last_error="HTTP 503", attempts=1, not_before=later)
    plan = plan_lane([first, d(2), d(3)], T0)
    assert plan.actions == () and plan.wake == later
    plan = plan_lane([dataclasses.replace(first, not_before=T0), d(2), d(3)], T0)
    assert sent_ids(plan.actions) == [(1,), (2,), (3,)]


def test_a_collected_digest_is_sent_again_as_itself() -> None:
    # A crash between collecting and sending: the same members, the same message.
    at = T0 + timedelta(hours=1)
    members = [d(n, options={"digest": "hourly"}, hold="digest", not_before=at, digest_id=7)
               for n in (1, 2)]
    plan = plan_lane([*members, d(3, options={"digest": "hourly"}, created=at)], at)
    (send,) = plan.sends
    assert (send.ids, send.kind, send.digest_id) == ((1, 2), "digest", 7)
    # Retrying it waits for its backoff like any delivery.
    failed = [dataclasses.replace(m, last_error="HTTP 500", not_before=at + timedelta(minutes=1))
              for m in members]
    plan = plan_lane(failed, at)
    assert plan.sends == () and plan.wake == at + timedelta(minutes=1)


# -- the plans over time (simulated lane) -----------------------------------------------------


def simulate(arrivals: Sequence[timedelta], options: dict[str, str], *,
             until: timedelta = timedelta(days=3)) -> list[tuple[datetime, tuple[int, ...], str]]:
    """Run a lane through time with every send succeeding; returns (when, ids, kind)."""
    pending: dict[int, Delivery] = {}
    messages: list[tuple[datetime, tuple[int, ...], str]] = []
    times = sorted(arrivals)
    arrive = [(n + 1, T0 + t) for n, t in enumerate(times)]
    now = T0
    next_digest = 1
    for _ in range(10_000):
        for n, when in arrive:
            if when <= now and n not in pending and all(n not in m[1] for m in messages):
                pending[n] = d(n, options=options, created=when)
        queue = sorted(pending.values(), key=lambda x: x.id)
        plan = plan_lane(queue, now, [m[0] for m in messages])
        for action in plan.actions:
            if isinstance(action, Hold):
                for i in action.ids:
                    pending[i] = dataclasses.replace(pending[i], hold=action.kind,
                                                     not_before=action.until)
            else:
                if action.kind is not None and action.digest_id is None:
                    next_digest += 1
                for i in action.ids:
                    del pending[i]
                messages.append((now, action.ids, action.kind or "alert"))
        upcoming = [when for n, when in arrive if when > now]
        candidates = [t for t in (plan.wake, min(upcoming, default=None)) if t is not None]
        if not candidates:
            if not pending:
                break
            raise AssertionError(f"stuck with {sorted(pending)} at {now}")
        now = max(min(candidates), now + timedelta(seconds=1))
        if now > T0 + until:
            break
    assert not pending, f"left behind: {sorted(pending)}"
    return messages


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=36 * 3600), min_size=1, max_size=40),
    st.sampled_from(["2/h", "5/10m", "1/m"]),
)
def test_limited_lanes_deliver_everything_once_in_order_within_the_limit(
    offsets: list[int], limit_text: str
) -> None:
    options = {"limit": limit_text}
    messages = simulate([timedelta(seconds=s) for s in offsets], options)
    ids = [i for _, group, _ in messages for i in group]
    assert ids == list(range(1, len(offsets) + 1))  # all, once, in order
    limit = parse_limit(limit_text)
    window = timedelta(seconds=limit.per_seconds)
    for when, _, _ in messages:
        in_window = [m for m in messages if when - window < m[0] <= when]
        assert len(in_window) <= limit.count


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=48 * 3600), min_size=1, max_size=30),
       st.booleans())
def test_quiet_and_digest_lanes_never_send_in_quiet_hours(offsets: list[int],
                                                            digest: bool) -> None:
    options = {"quiet": "22:00-07:00", "timezone": "Europe/Paris"}
    if digest:
        options["digest"] = "daily@08:30"
    messages = simulate([timedelta(seconds=s) for s in offsets], options)
    quiet = parse_quiet("22:00-07:00")
    ids = [i for _, group, _ in messages for i in group]
    assert sorted(ids) == list(range(1, len(offsets) + 1)) and len(ids) == len(set(ids))
    for when, _, kind in messages:
        local = when.astimezone(PARIS)
        assert not quiet.contains(local.time()), when
        if digest:
            assert kind == "digest" and (local.hour, local.minute) == (8, 30)


# -- rendering -------------------------------------------------------------------------------


def test_a_rollup_lists_its_first_links_and_counts_the_rest() -> None:
    alerts = [make_alert(n) for n in range(14)]
    digest = make_digest("overflow", "gpu-news", "slack:C1", alerts,
                         SubscriptionOptions.parse({"limit": "10/h"}))
    assert digest.title == "14 more items matched GPU in the last hour"
    text = digest_text(digest)
    assert text.splitlines()[0] == "• Item 0 (src) https://news.example/0"
    assert text.count("•") == 5 and text.endswith("… and 9 more")
    assert digest.idempotency_key == _digest(alerts).idempotency_key


def test_a_digest_lists_items_by_topic_and_falls_back_to_one_alert() -> None:
    alerts = [make_alert(1, topic="GPU"), make_alert(2, topic="IA"), make_alert(3, topic="GPU")]
    digest = make_digest("digest", "news", "console", alerts,
                         SubscriptionOptions.parse({"digest": "daily@08:30", "mention": "here"}))
    assert digest.title == "Daily digest: 3 items matched GPU or IA"
    assert [(name, [a.item.key for a in group]) for name, group in digest.by_topic()] == [
        ("GPU", ["k1", "k3"]), ("IA", ["k2"])]
    assert digest_text(digest).splitlines() == [
        "GPU:", "• Item 1 (src) https://news.example/1", "• Item 3 (src) https://news.example/3",
        "IA:", "• Item 2 (src) https://news.example/2"]
    alert = digest_alert(digest)
    assert alert.item.source == "vigie" and alert.item.title == digest.title
    assert alert.item.lead == digest_text(digest)
    assert alert.item.key == "digest:" + digest.idempotency_key
    assert alert.topic_names == ("GPU", "IA") and alert.options.mention == "here"
    hourly = make_digest("digest", "news", "console", alerts[:1],
                         SubscriptionOptions.parse({"digest": "hourly"}))
    assert hourly.title == "Hourly digest: 1 item matched GPU"
