"""The configuration model: frozen dataclasses, one per table.

Built by :func:`bot.config.validate`, which fills every default; code that
receives a :class:`Config` may trust every field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._sources import KindSettings
from ..options import SubscriptionOptions
from ..types import ALL_FIELDS, Field

#: Environment variable that may replace ``--config``.
CONFIG_ENV = "VIGIE_CONFIG"

#: Shortest and longest time between two polls of a source, in seconds.
MIN_INTERVAL = 10.0
MAX_INTERVAL = 30 * 86400.0
DEFAULT_INTERVAL = 600.0
#: Longest keyword or exclusion phrase, in characters.
MAX_PHRASE_CHARS = 200


# -- the configuration -------------------------------------------------------


@dataclass(frozen=True)
class StorageConfig:
    #: SQLAlchemy URL: ``sqlite:///vigie.db`` or ``postgresql+asyncpg://user@host/db``.
    url: str = "sqlite:///vigie.db"


@dataclass(frozen=True)
class FetchConfig:
    #: User-Agent header sent with every request.
    user_agent: str = "Vigie/0.1 (+https://github.com/vigie-bot/vigie; news-alert bot)"
    #: Seconds allowed to connect.
    connect_timeout: float = 10.0
    #: Seconds allowed between two reads.
    read_timeout: float = 30.0
    #: Seconds allowed for a whole fetch.
    total_timeout: float = 60.0
    #: Largest body accepted, in bytes (after decompression).
    max_body_bytes: int = 10 * 1024 * 1024
    #: Concurrent requests to one host.
    per_host_limit: int = 2
    #: Whether sources may live on private, loopback or link-local addresses.
    allow_private_addresses: bool = False


@dataclass(frozen=True)
class PollConfig:
    #: Whether the first poll of a new source alerts (default: it only records).
    first_poll_alerts: bool = False
    #: Items published longer ago than this never alert (seconds); None = no limit.
    max_age: float | None = 7 * 86400.0
    #: Sources polled at the same time, at most.
    concurrency: int = 8
    #: Whether a title repeating a story another source alerted in the last
    #: 48 h is held back (wire copy syndicated by many outlets).
    same_story: bool = True


@dataclass(frozen=True)
class SourceConfig:
    #: Unique name, used in alerts and commands.
    name: str
    #: A feed URL, or a site URL to autodiscover the feed from; for the other
    #: kinds, the URL of the source's first request (derived from its keys).
    url: str
    #: Seconds between polls.
    interval: float = DEFAULT_INTERVAL
    #: Whether to poll it.
    enabled: bool = True
    #: Language of the items when the feed does not say ("fr", "en" …).
    language: str | None = None
    #: What it is: "feed", "google-news", "hackernews" … (see ``bot._sources.KINDS``).
    kind: str = "feed"
    #: The keys of its kind ("query", "subreddit" …); empty for a feed.
    options: Mapping[str, str | int] = field(default_factory=dict, hash=False)

    def kind_keys(self) -> dict[str, str | int]:
        """The keys of its kind: ``url`` for a feed, else its options."""
        return {"url": self.url} if self.kind == "feed" else dict(self.options)

    def keys(self) -> dict[str, str | int]:
        """What defines it in a ``[[sources]]`` table besides name, interval,
        enabled and language: ``url`` for a feed, else ``kind`` and its keys."""
        return self.kind_keys() if self.kind == "feed" else {"kind": self.kind,
                                                             **self.kind_keys()}


@dataclass(frozen=True)
class TopicConfig:
    #: Topic id (the TOML table name).
    id: str
    #: Display name.
    name: str
    #: Phrases; any of them matches.
    keywords: tuple[str, ...]
    #: Phrases; any of them vetoes.
    exclude: tuple[str, ...] = ()
    #: Fields to look in.
    fields: tuple[Field, ...] = ALL_FIELDS
    #: Languages allowed; empty means any.
    languages: tuple[str, ...] = ()
    #: Whether chat admins may edit this topic (config topics are read-only from chat otherwise).
    editable: bool = False


@dataclass(frozen=True)
class SubscriptionConfig:
    #: Unique name.
    name: str
    #: Topic ids; any matching is enough.
    topics: tuple[str, ...] = ()
    #: A query (see the README's query syntax); matching it is enough too.
    query: str | None = None
    #: Where alerts go: ``console``, ``discord:<id>``, ``slack:<id>`` …
    destination: str = "console"
    #: How its alerts are delivered: ``limit``, ``digest``, ``quiet``,
    #: ``timezone`` and ``mention`` (see :mod:`bot.options`).
    options: SubscriptionOptions = field(default_factory=SubscriptionOptions)


@dataclass(frozen=True)
class ConsoleConfig:
    #: "auto" (colour on a terminal), "always" or "never".
    color: str = "auto"
    #: Where console alerts are written: "stdout" or "stderr" (``vigie poll
    #: --format json`` keeps standard output for its JSON).
    output: str = "stdout"


@dataclass(frozen=True)
class DeliveryConfig:
    """The ``[delivery]`` table: how the outbox is worked through."""

    #: Seconds between two passes over the outbox in ``vigie run``.
    interval: float = 2.0
    #: Deliveries of one lane (subscription × destination) read at a time.
    batch: int = 100
    #: Lanes worked on at once by one process.
    concurrency: int = 4
    #: Failed sends (429s aside) after which a delivery fails for good.
    max_attempts: int = 10
    #: Seconds a worker's claim on a lane lasts unless renewed (a dead
    #: worker's lanes are taken over after this).
    lease: float = 60.0
    #: First retry delay in seconds; it doubles with each failure, up to ``retry_max``.
    retry_min: float = 5.0
    retry_max: float = 3600.0


@dataclass(frozen=True)
class MetricsConfig:
    """The ``[metrics]`` table: the HTTP endpoint of ``/healthz`` and ``/metrics``."""

    #: TCP port to serve on; None (no ``[metrics]`` port): not served. 0 picks
    #: a free port, logged at start.
    port: int | None = None
    #: Address to listen on (``0.0.0.0`` in a container, for Prometheus to reach it).
    address: str = "127.0.0.1"


@dataclass(frozen=True)
class HttpConfig:
    """The ``[http]`` table: Vigie's public HTTP server (Slack's HTTP mode, WebSub)."""

    #: TCP port (0 picks a free one); ``[slack] http_port`` when this is not set.
    port: int | None = None
    #: Address to listen on.
    address: str = "0.0.0.0"


@dataclass(frozen=True)
class WebSubConfig:
    """The ``[websub]`` table: feeds that push their news through a hub."""

    #: The public URL that reaches the ``[http]`` server (each subscription
    #: gets a path under it); None: no WebSub.
    callback_url: str | None = None
    #: Signs what hubs push; each subscription gets its own secret derived from it.
    secret: str = field(default="", repr=False)
    #: Seconds of subscription asked of hubs (they may grant less); renewed before its end.
    lease: float = 7 * 86400.0
    #: A pushed feed is still polled, this often at most, in case a push is lost.
    safety_interval: float = 3600.0


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    #: Where the configuration was read from.
    path: str
    storage: StorageConfig = field(default_factory=StorageConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    poll: PollConfig = field(default_factory=PollConfig)
    sources: tuple[SourceConfig, ...] = ()
    topics: tuple[TopicConfig, ...] = ()
    subscriptions: tuple[SubscriptionConfig, ...] = ()
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    websub: WebSubConfig = field(default_factory=WebSubConfig)
    #: The ``[kinds.<kind>]`` tables: each kind's base URL and keys (secrets included).
    kinds: Mapping[str, KindSettings] = field(default_factory=dict, repr=False)
    #: Tables owned by adapters (``[discord]``, ``[slack]`` …), as written
    #: (``${VAR}`` expanded); each adapter validated its own.
    adapters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    #: The values ``${VAR}`` brought in (secrets, by the file's convention),
    #: kept out of the logs (see ``bot._logs``).
    secrets: frozenset[str] = field(default=frozenset(), repr=False)

    def topic(self, topic_id: str) -> TopicConfig | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def source(self, name: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)


#: Validates an adapter's table: returns ``(key within the table, message)`` pairs.
SectionValidator = Callable[[Mapping[str, Any]], list[tuple[str, str]]]

#: What ``vigie check`` must report about one destination of a destination
#: adapter's scheme: called with the validated configuration (defaults where
#: a value was wrong) and the target (the part after ``scheme:``), it returns
#: one message per problem, never quoting a secret (see
#: :class:`bot._types.DestinationAdapter`, ``config_problems``).
DestinationCheck = Callable[["Config", str], list[str]]
