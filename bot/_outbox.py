"""The outbox's decisions, as pure functions (no I/O).

Given one lane's pending deliveries (one subscription × one destination, in
published order), the time, and when the lane's recent messages went out,
:func:`plan_lane` decides what to do now: send an alert, hold alerts for a
digest, for the end of quiet hours or as overflow past the subscription's
``limit``, or collect due held alerts into one message. The worker in
``_delivery`` only carries the plan out.

Also here: retry delays, and the neutral text of digests for destinations
that cannot render :class:`bot.types.AlertDigest` themselves.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ._types import Delivery
from .options import DigestSchedule, QuietHours, RateLimit, SubscriptionOptions
from .plugins import LISTED_IN_DIGEST, LISTED_IN_ROLLUP
from .types import Alert, AlertDigest, DigestKind, Item

#: Most alerts collected into one digest message.
MAX_DIGEST_ALERTS = 200


# -- time --------------------------------------------------------------------


def next_digest_time(after: datetime, digest: DigestSchedule, tz: ZoneInfo) -> datetime:
    """The first digest time strictly after ``after``, in UTC.

    Hourly digests go out at the top of each local hour; daily ones at their
    local time (a time skipped by a daylight-saving change is read as the
    wall clock reads it, an hour later).
    """
    local = after.astimezone(tz)
    if digest.at is None:
        top = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        return top + timedelta(hours=1)
    day = local.date()
    for _ in range(3):
        candidate = datetime.combine(day, digest.at, tzinfo=tz).astimezone(UTC)
        if candidate > after:
            return candidate
        day += timedelta(days=1)
    raise AssertionError("unreachable: a daily time recurs within two days")


def quiet_until(now: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime | None:
    """When the quiet period around ``now`` ends (UTC), or None outside it."""
    local = now.astimezone(tz)
    if not quiet.contains(local.time()):
        return None
    return quiet.ends_after(local).astimezone(UTC)


def next_free_slot(limit: RateLimit, sent: Sequence[datetime], now: datetime) -> datetime | None:
    """When the lane may send its next message under ``limit``: None if now.

    ``sent`` are the times of its messages (a sliding window of
    ``limit.per_seconds``).
    """
    window = timedelta(seconds=limit.per_seconds)
    recent = sorted(t for t in sent if t > now - window)
    if len(recent) < limit.count:
        return None
    # The window must lose enough messages to leave one slot.
    return recent[len(recent) - limit.count] + window


def window_words(limit: RateLimit) -> str:
    """``"hour"``, ``"day"``, ``"10 minutes"`` …: the window of a limit, for "in the last …"."""
    seconds = limit.per_seconds
    names = {60: "minute", 3600: "hour", 86400: "day"}
    if seconds in names:
        return names[seconds]
    if seconds % 86400 == 0:
        return f"{seconds // 86400} days"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    return f"{seconds // 60} minutes"


def retry_delay(attempts: int, retry_after: float | None = None, *, base: float = 5.0,
                cap: float = 3600.0, rand: Callable[[], float] = random.random) -> float:
    """Seconds before retrying a send that failed ``attempts`` times in a row.

    Exponential from ``base``, capped at ``cap``, with ±25 % jitter so that
    lanes failing together do not retry together; a platform's Retry-After
    wins when it asks for longer.
    """
    exponent = min(max(0, attempts - 1), 40)
    delay: float = min(base * 2.0**exponent, cap) * (0.75 + rand() / 2)
    return max(delay, retry_after or 0.0)


def release_times(options: SubscriptionOptions) -> list[tuple[int | None, int, str]]:
    """When held alerts of a subscription fall due, as cron fields
    ``(hour or None for every hour, minute, IANA zone)``: its digest time
    and the end of its quiet hours. The outbox finds due alerts by itself;
    these only let ``run`` wake exactly then."""
    opts = options
    tz = opts.timezone.key
    times: list[tuple[int | None, int, str]] = []
    if opts.digest is not None:
        at = opts.digest.at
        times.append((None, 0, tz) if at is None else (at.hour, at.minute, tz))
    if opts.quiet is not None:
        times.append((opts.quiet.end.hour, opts.quiet.end.minute, tz))
    return times


# -- digests -------------------------------------------------------------------


def _topics_phrase(alerts: Sequence[Alert], subscription: str) -> str:
    names = list(dict.fromkeys(n for a in alerts for n in a.topic_names))
    if not names:
        return subscription
    if len(names) <= 3:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"{', '.join(names[:2])} or {len(names) - 2} other topics"


def digest_title(kind: DigestKind, alerts: Sequence[Alert], options: SubscriptionOptions,
                 subscription: str) -> str:
    """One line saying what a digest message is, in plain words."""
    n = len(alerts)
    items = f"{n} item{'s' if n != 1 else ''}"
    what = _topics_phrase(alerts, subscription)
    if kind == "overflow":
        window = window_words(options.limit) if options.limit else "hour"
        return f"{n} more item{'s' if n != 1 else ''} matched {what} in the last {window}"
    if kind == "quiet":
        return f"{items} matched {what} during quiet hours"
    every = "Daily" if options.digest is not None and options.digest.at is not None else "Hourly"
    return f"{every} digest: {items} matched {what}"


def make_digest(kind: DigestKind, lane_subscription: str, destination: str,
                alerts: Sequence[Alert], options: SubscriptionOptions) -> AlertDigest:
    """The neutral digest value for collected alerts."""
    return AlertDigest(
        kind=kind, subscription=lane_subscription, destination=destination,
        title=digest_title(kind, alerts, options, lane_subscription), alerts=tuple(alerts),
        options=options,
    )


def _line(alert: Alert) -> str:
    item = alert.item
    title = " ".join((item.title or "(no title)").split())
    return f"• {title} ({item.source})" + (f" {item.url}" if item.url else "")


def digest_text(digest: AlertDigest) -> str:
    """A digest as plain text: its alerts listed by topic (a roll-up lists
    its first few links), each as "• title (source) URL"."""
    lines: list[str] = []
    if digest.kind == "overflow":
        shown = digest.alerts[:LISTED_IN_ROLLUP]
        lines.extend(_line(a) for a in shown)
    else:
        shown_count = 0
        for name, alerts in digest.by_topic():
            if shown_count >= LISTED_IN_DIGEST:
                break
            take = alerts[:LISTED_IN_DIGEST - shown_count]
            lines.append(f"{name}:")
            lines.extend(_line(a) for a in take)
            shown_count += len(take)
        shown = digest.alerts[:shown_count]
    rest = len(digest.alerts) - len(shown)
    if rest > 0:
        lines.append(f"… and {rest} more")
    return "\n".join(lines)


def digest_alert(digest: AlertDigest) -> Alert:
    """A digest as one plain-text alert, for destinations without ``send_digest``.

    Its item is synthetic: source "vigie", a key fixed by the digest's
    members (its idempotency key, so a platform nonce derived from it is
    stable too), the title saying what it is and the listing as its lead.
    """
    text = digest_text(digest)
    key = digest.idempotency_key
    item = Item(
        source="vigie", key=f"digest:{key}", url=None, title=digest.title, summary_text=text,
        content_text="", lead=text, published=digest.alerts[-1].item.published if digest.alerts
        else None, language=None,
    )
    topics = tuple(dict.fromkeys(t for a in digest.alerts for t in a.topics))
    names = tuple(dict.fromkeys(n for a in digest.alerts for n in a.topic_names))
    terms = tuple(dict.fromkeys(t for a in digest.alerts for t in a.matched_terms))[:20]
    return Alert(
        item=item, subscription=digest.subscription, destination=digest.destination,
        topics=topics, topic_names=names, matched_terms=terms, options=digest.options,
    )


# -- planning --------------------------------------------------------------------


@dataclass(frozen=True)
class Hold:
    """Hold these deliveries until ``until`` (for a digest, quiet hours, or as overflow)."""

    ids: tuple[int, ...]
    kind: DigestKind
    until: datetime


@dataclass(frozen=True)
class Send:
    """Send these deliveries now: one alert (``kind`` None), or one digest
    message of several (``digest_id`` set when it was already collected)."""

    deliveries: tuple[Delivery, ...]
    kind: DigestKind | None = None
    digest_id: int | None = None

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(d.id for d in self.deliveries)


Action = Hold | Send


@dataclass(frozen=True)
class LanePlan:
    """What to do with a lane now, in order, and when to look at it again."""

    actions: tuple[Action, ...]
    #: When the lane next has something to do (None: only when new alerts come).
    wake: datetime | None

    @property
    def sends(self) -> tuple[Send, ...]:
        return tuple(a for a in self.actions if isinstance(a, Send))


def lane_options(queue: Sequence[Delivery]) -> SubscriptionOptions:
    """A lane's options: those of its newest delivery (the latest settings)."""
    if not queue:
        return SubscriptionOptions()
    return max(queue, key=lambda d: d.id).alert.options


def plan_lane(queue: Sequence[Delivery], now: datetime, sent: Sequence[datetime] = ()
              ) -> LanePlan:
    """Decide what to do with one lane's pending deliveries at ``now``.

    ``queue`` is in published order; ``sent`` are the times of the lane's
    recent messages (for the ``limit``). The rules:

    - during the subscription's quiet hours nothing is sent: new alerts are
      held until the quiet period ends (or for the digest);
    - with a ``digest``, each alert is held until the first digest time after
      it was queued, and the alerts held until then go out as one message;
    - alerts queued during quiet hours go out as one message when they end;
    - past the ``limit``, alerts are held as overflow until the window frees
      a slot, then all of them go out as one roll-up; meanwhile newer alerts
      join the overflow, so order is kept;
    - a delivery waiting to be retried blocks the lane's later deliveries
      (order), and deliveries already collected into a digest message go out
      as that message, at the place of its first member.

    Due held alerts are collected into one digest message, except a lone
    quiet-hours or overflow alert, which goes out as itself.
    """
    if not queue:
        return LanePlan((), None)
    opts = lane_options(queue)
    tz = opts.timezone
    actions: list[Action] = []
    wake: list[datetime] = []

    def hold(d: Delivery, kind: DigestKind, until: datetime) -> None:
        if d.hold != kind or d.not_before != until:
            actions.append(Hold((d.id,), kind, until))
        wake.append(until)

    def fresh_hold(d: Delivery) -> tuple[DigestKind, datetime] | None:
        """How a delivery not held yet is to be held (None: send it)."""
        created = d.created_at or now
        if opts.digest is not None:
            return "digest", next_digest_time(created, opts.digest, tz)
        if opts.quiet is not None:
            end = quiet_until(created, opts.quiet, tz)
            if end is not None:
                return "quiet", end
        return None

    units: list[Delivery | list[Delivery]] = []
    bundles: dict[int, list[Delivery]] = {}
    for d in queue:
        if d.digest_id is None:
            units.append(d)
        elif d.digest_id in bundles:
            bundles[d.digest_id].append(d)
        else:
            bundles[d.digest_id] = [d]
            units.append(bundles[d.digest_id])

    quiet_end = quiet_until(now, opts.quiet, tz) if opts.quiet is not None else None
    if quiet_end is not None:
        # Nothing goes out before the quiet period ends.
        for unit in units:
            members = unit if isinstance(unit, list) else [unit]
            if isinstance(unit, Delivery) and unit.hold is None and not unit.retrying:
                kind, until = fresh_hold(unit) or ("quiet", quiet_end)
                hold(unit, kind, until)
                wake[-1] = max(wake[-1], quiet_end)
                continue
            latest = max((m.not_before for m in members if m.not_before), default=quiet_end)
            wake.append(max(latest, quiet_end))
        return LanePlan(tuple(actions), min(wake))

    sent_times = list(sent)
    due: list[Delivery] = []  # held for a digest or quiet hours, due now
    overflow: list[Delivery] = []  # past the limit, in order

    def send(deliveries: Sequence[Delivery], kind: DigestKind | None,
             digest_id: int | None = None) -> None:
        actions.append(Send(tuple(deliveries), kind, digest_id))
        sent_times.append(now)

    def send_collected(collected: list[Delivery], kind: DigestKind) -> None:
        if len(collected) == 1 and kind != "digest":
            send(collected, None)
        else:
            for start in range(0, len(collected), MAX_DIGEST_ALERTS):
                send(collected[start:start + MAX_DIGEST_ALERTS], kind)
        collected.clear()

    def flush_due() -> None:
        if due:
            send_collected(due, "digest" if any(d.hold == "digest" for d in due) else "quiet")

    for unit in units:
        if isinstance(unit, list):
            retry_at = max((m.not_before for m in unit if m.not_before), default=None)
            if any(m.retrying for m in unit) and retry_at is not None and retry_at > now:
                wake.append(retry_at)
                break
            flush_due()
            kinds = {m.hold for m in unit}
            bundle_kind: DigestKind = ("overflow" if "overflow" in kinds
                                       else "digest" if "digest" in kinds else "quiet")
            send(unit, bundle_kind, unit[0].digest_id)
            continue
        d = unit
        if d.retrying:
            if d.not_before is not None and d.not_before > now:
                wake.append(d.not_before)
                break
        elif d.hold in ("digest", "quiet"):
            if d.not_before is None or d.not_before <= now:
                due.append(d)
            else:
                wake.append(d.not_before)
            continue
        elif d.hold == "overflow":
            overflow.append(d)
            continue
        else:
            how = fresh_hold(d)
            if how is not None:
                kind, until = how
                if until <= now:
                    due.append(dataclasses.replace(d, hold=kind, not_before=until))
                else:
                    hold(d, kind, until)
                continue
        # An alert to send as itself, unless it is past the limit.
        if overflow or (opts.limit is not None
                        and next_free_slot(opts.limit, sent_times, now) is not None):
            overflow.append(d)
            continue
        flush_due()
        send([d], None)

    # Everything collected comes before any delivery the loop stopped at.
    flush_due()
    if overflow:
        free = next_free_slot(opts.limit, sent_times, now) if opts.limit is not None else None
        if free is None:
            send_collected(overflow, "overflow")
        else:
            for d in overflow:
                hold(d, "overflow", free)
    return LanePlan(tuple(actions), min(wake) if wake else None)


__all__ = [
    "Action",
    "Hold",
    "LanePlan",
    "Send",
    "digest_alert",
    "digest_text",
    "digest_title",
    "lane_options",
    "make_digest",
    "next_digest_time",
    "next_free_slot",
    "plan_lane",
    "quiet_until",
    "release_times",
    "retry_delay",
    "window_words",
]
