"""What Vigie counts, behind a tiny recording interface.

The poller, the deliverer and the command layer call a :class:`Metrics`
with plain values; nothing of Prometheus reaches them. With ``[metrics]``
off they get :data:`NO_METRICS`, which does nothing. :class:`PrometheusMetrics`
keeps its own registry per Vigie (never the process-wide default), so two
instances, or two tests, never add up.

Label values are bounded whatever the feeds or the chat users do:

- ``outcome``, ``reason``: fixed sets (the Literal types below);
- ``destination_kind``: the installed destination schemes, else ``other``
  (never a channel or a URL);
- ``topic``: the topic ids of the configuration file; topics created in
  chat (one set per workspace, without bound) all count as ``chat``;
- ``platform``: ``discord``, ``slack``, ``console``, else ``other``;
  ``command``: a declared command's name, ``help``, or ``unknown``.

No source name or URL is ever a label: a failing source is counted in
``vigie_sources_failing``, and named by ``vigie status``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Literal, Protocol

__all__ = [
    "COMMAND_OUTCOMES",
    "FAILURE_REASONS",
    "NO_METRICS",
    "POLL_OUTCOMES",
    "CommandOutcome",
    "FailureReason",
    "Metrics",
    "NoMetrics",
    "PollOutcome",
    "PrometheusMetrics",
]

#: How a poll ended: a feed read, a 304, or a failure (the source's own).
PollOutcome = Literal["ok", "not_modified", "error"]
POLL_OUTCOMES: tuple[PollOutcome, ...] = ("ok", "not_modified", "error")
#: Why a send failed: ``transient`` (tried again later), ``gave_up`` (a
#: transient failure past ``[delivery] max_attempts``), ``permanent`` (the
#: platform refused for good: the subscription is paused),
#: ``unknown_destination`` (no adapter or no such channel: paused too),
#: ``internal`` (an adapter raised something unexpected: tried again).
FailureReason = Literal["transient", "gave_up", "permanent", "unknown_destination", "internal"]
FAILURE_REASONS: tuple[FailureReason, ...] = (
    "transient", "gave_up", "permanent", "unknown_destination", "internal")
#: How a chat command ended: answered, refused as bad input (or an error
#: reply), refused to a non-admin, or stopped by the database.
CommandOutcome = Literal["ok", "error", "denied", "unavailable"]
COMMAND_OUTCOMES: tuple[CommandOutcome, ...] = ("ok", "error", "denied", "unavailable")

#: Label for a topic created in chat (see the module's docstring).
CHAT_TOPIC = "chat"
#: Label for anything outside its known set.
OTHER = "other"
_PLATFORMS = frozenset({"discord", "slack", "console"})
#: The Prometheus text format, which ``generate_latest`` writes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Bounds of the fetch-time histogram, in seconds (the fetch timeout is 60 s by default).
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics(Protocol):
    """What the core records. Never raises; label values are bounded by the
    implementation, so callers pass what they have."""

    def fetched(self, seconds: float) -> None:
        """One HTTP fetch of a source took ``seconds`` (failed ones too)."""

    def polled(self, outcome: PollOutcome) -> None:
        """One poll of a source ended so."""

    def items_stored(self, new: int, topics: Iterable[str]) -> None:
        """A poll stored ``new`` items; ``topics`` has one topic id per
        (stored item, topic it matched)."""

    def alert_sent(self, destination: str) -> None:
        """A message (an alert or a digest) went to ``destination``."""

    def alert_failed(self, destination: str, reason: FailureReason) -> None:
        """A send to ``destination`` failed."""

    def rate_limited(self, destination: str) -> None:
        """The platform of ``destination`` asked to wait (HTTP 429 and the like)."""

    def chat_command(self, platform: str, command: str, outcome: CommandOutcome) -> None:
        """A chat command was answered."""


class NoMetrics:
    """Records nothing: ``[metrics]`` is off."""

    def fetched(self, seconds: float) -> None:
        pass

    def polled(self, outcome: PollOutcome) -> None:
        pass

    def items_stored(self, new: int, topics: Iterable[str]) -> None:
        pass

    def alert_sent(self, destination: str) -> None:
        pass

    def alert_failed(self, destination: str, reason: FailureReason) -> None:
        pass

    def rate_limited(self, destination: str) -> None:
        pass

    def chat_command(self, platform: str, command: str, outcome: CommandOutcome) -> None:
        pass


#: The recorder when metrics are off.
NO_METRICS = NoMetrics()


class PrometheusMetrics:
    """The metrics of one Vigie in its own Prometheus registry.

    ``destination_kinds``: the destination schemes installed; ``topics``:
    the topic ids of the configuration file (see the module's docstring).
    The gauges read from the database (the outbox, failing sources) are set
    by :meth:`set_outbox` and :meth:`set_sources_failing` before a scrape.
    """

    def __init__(self, *, destination_kinds: Collection[str], topics: Collection[str]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self._kinds = frozenset(destination_kinds)
        self._topics = frozenset(topics)
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._polls = Counter("vigie_polls", "Polls of sources, by outcome.",
                              ["outcome"], registry=r)
        self._fetch = Histogram("vigie_fetch_seconds", "Time to fetch a source over HTTP.",
                                buckets=FETCH_BUCKETS, registry=r)
        self._new = Counter("vigie_items_new", "Items stored for the first time.", registry=r)
        self._matched = Counter("vigie_items_matched",
                                "New items that matched a topic, by topic (topics created "
                                "in chat count as \"chat\").", ["topic"], registry=r)
        self._sent = Counter("vigie_alerts_sent", "Messages sent (an alert or a digest), by "
                             "kind of destination.", ["destination_kind"], registry=r)
        self._failed = Counter("vigie_alerts_failed", "Failed sends, by kind of destination "
                               "and reason.", ["destination_kind", "reason"], registry=r)
        self._limited = Counter("vigie_rate_limited", "Sends the platform asked to retry "
                                "later (rate limits).", ["destination_kind"], registry=r)
        self._commands = Counter("vigie_chat_commands", "Chat commands answered.",
                                 ["platform", "command", "outcome"], registry=r)
        self._pending = Gauge("vigie_outbox_pending", "Deliveries waiting in the outbox "
                              "(held ones for digests and quiet hours included).", registry=r)
        self._oldest = Gauge("vigie_outbox_oldest_pending_seconds",
                             "Age of the oldest pending delivery not held for a digest, "
                             "quiet hours or a roll-up (0: none).", registry=r)
        self._failing = Gauge("vigie_sources_failing",
                              "Configured sources whose last poll failed, or disabled for "
                              "good by their server.", registry=r)
        # Every fixed label value shows from the start, at 0: a rate over a
        # series that appears late misses its first increase.
        for outcome in POLL_OUTCOMES:
            self._polls.labels(outcome=outcome)
        for topic in self._topics:
            self._matched.labels(topic=topic)
        for kind in self._kinds:
            self._sent.labels(destination_kind=kind)
            self._limited.labels(destination_kind=kind)

    # -- the recording interface --

    def fetched(self, seconds: float) -> None:
        self._fetch.observe(max(0.0, seconds))

    def polled(self, outcome: PollOutcome) -> None:
        self._polls.labels(outcome=outcome if outcome in POLL_OUTCOMES else "error").inc()

    def items_stored(self, new: int, topics: Iterable[str]) -> None:
        if new > 0:
            self._new.inc(new)
        for topic in topics:
            self._matched.labels(topic=topic if topic in self._topics else CHAT_TOPIC).inc()

    def alert_sent(self, destination: str) -> None:
        self._sent.labels(destination_kind=self.destination_kind(destination)).inc()

    def alert_failed(self, destination: str, reason: FailureReason) -> None:
        self._failed.labels(destination_kind=self.destination_kind(destination),
                            reason=reason if reason in FAILURE_REASONS else "internal").inc()

    def rate_limited(self, destination: str) -> None:
        self._limited.labels(destination_kind=self.destination_kind(destination)).inc()

    def chat_command(self, platform: str, command: str, outcome: CommandOutcome) -> None:
        self._commands.labels(platform=platform if platform in _PLATFORMS else OTHER,
                              command=command,
                              outcome=outcome if outcome in COMMAND_OUTCOMES else "error").inc()

    # -- gauges and exposition --

    def destination_kind(self, destination: str) -> str:
        """The label of a destination: its scheme if installed, else ``other``."""
        scheme = destination.partition(":")[0]
        return scheme if scheme in self._kinds else OTHER

    def set_outbox(self, pending: int, oldest_seconds: float) -> None:
        self._pending.set(pending)
        self._oldest.set(max(0.0, oldest_seconds))

    def set_sources_failing(self, count: int) -> None:
        self._failing.set(count)

    def render(self) -> tuple[bytes, str]:
        """The exposition (Prometheus text format) and its content type."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry), CONTENT_TYPE
