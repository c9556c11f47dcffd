"""Loading and validating the TOML configuration.

Validation collects every problem before failing, so that ``vigie check``
prints all of them at once as ``FILE: key.path: message``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exceptions import ConfigError, QuerySyntaxError
from .types import ALL_FIELDS, Field

#: Environment variable that may replace ``--config``.
CONFIG_ENV = "VIGIE_CONFIG"

MIN_INTERVAL = 10.0
DEFAULT_INTERVAL = 600.0
MAX_PHRASE_CHARS = 200
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.I)
_SIZE_UNITS = {
    "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3,
}


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
    #: A feed URL, or a site URL to autodiscover the feed from.
    url: str
    #: Seconds between polls.
    interval: float = DEFAULT_INTERVAL
    #: Whether to poll it.
    enabled: bool = True
    #: Language of the items when the feed does not say ("fr", "en" …).
    language: str | None = None


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
    #: At most this many alerts per period (``"10/h"``); the overflow is rolled up.
    limit: str | None = None
    #: Send as a digest: ``"hourly"`` or ``"daily@08:30"``.
    digest: str | None = None
    #: Hold alerts during this local-time window (``"22:00-07:00"``).
    quiet: str | None = None
    #: IANA time zone for ``digest`` and ``quiet``.
    timezone: str = "UTC"
    #: A role (Discord) or group to mention with each alert: the only way an alert pings.
    mention: str | None = None

    def options(self) -> dict[str, str]:
        """The set delivery options, as strings, for :attr:`bot.types.Alert.options`."""
        names = ("limit", "digest", "quiet", "timezone", "mention")
        options = {n: str(getattr(self, n)) for n in names if getattr(self, n) is not None}
        if options.get("timezone") == "UTC":
            del options["timezone"]  # the default says nothing
        return options


@dataclass(frozen=True)
class ConsoleConfig:
    #: "auto" (colour on a terminal), "always" or "never".
    color: str = "auto"


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
    #: Tables owned by adapters (``[discord]``, ``[slack]`` …), as written
    #: (``${VAR}`` expanded); each adapter validated its own.
    adapters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)

    def topic(self, topic_id: str) -> TopicConfig | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def source(self, name: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)


#: Validates an adapter's table: returns ``(key within the table, message)`` pairs.
SectionValidator = Callable[[Mapping[str, Any]], list[tuple[str, str]]]


# -- value parsers (pure) ----------------------------------------------------


def parse_duration(value: str | int | float) -> float:
    """Seconds from ``"90s"``, ``"10m"``, ``"1h"``, ``"2d"`` or a number of seconds.

    Raises ValueError with a message fit for a config error.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as \"10m\"")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION_RE.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a duration (examples: \"90s\", \"10m\", \"1h\")")
        seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2) or "s"]
    if seconds <= 0:
        raise ValueError("must be positive")
    return seconds


def parse_size(value: str | int) -> int:
    """Bytes from ``"10MB"``, ``"512KiB"`` or a number of bytes."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as \"10MB\"")
    if isinstance(value, int):
        size = value
    else:
        m = _SIZE_RE.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a size (examples: \"512KB\", \"10MB\")")
        size = int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])
    if size <= 0:
        raise ValueError("must be positive")
    return size


def expand_env(value: str, env: Mapping[str, str]) -> str:
    """Replace ``${NAME}`` with the environment variable NAME.

    Raises KeyError(NAME) when it is not set.
    """

    def repl(m: re.Match[str]) -> str:
        return env[m.group(1)]

    return _ENV_RE.sub(repl, value)


# -- validation --------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, message: str) -> None:
        self.items.append((key, message))


class _Table:
    """Typed access to one TOML table that records problems instead of raising."""

    def __init__(self, data: Mapping[str, Any], path: str, problems: _Problems) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None,
            required: bool = False) -> Any:
        self.used.add(name)
        if name not in self.data:
            if required:
                self.problems.add(self.key(name), "is required")
            return default
        value = self.data[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python, but `interval = true` is a mistake.
        ok = not (isinstance(value, bool) and bool not in kinds) and isinstance(value, kinds)
        if not ok:
            self.problems.add(
                self.key(name), f"expected {_kind_name(kinds)}, got {_toml_type(value)}")
            return default
        return value

    def str_list(self, name: str, required: bool = False) -> tuple[str, ...]:
        value = self.get(name, list, default=[], required=required)
        out: list[str] = []
        for i, v in enumerate(value):
            if not isinstance(v, str):
                self.problems.add(
                    f"{self.key(name)}[{i}]", f"expected a string, got {_toml_type(v)}")
            else:
                out.append(v)
        return tuple(out)

    def check_unknown(self) -> None:
        for name in self.data:
            if name not in self.used:
                self.problems.add(self.key(name), "unknown key")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _toml_type(value: object) -> str:
    return {bool: "a boolean", str: "a string", int: "an integer", float: "a number",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def phrase_problem(phrase: str) -> str | None:
    """What is wrong with a keyword or exclusion phrase, or None.

    The text completes "the phrase …" (config errors, chat replies).
    """
    from ._normalize import normalize

    if len(phrase) > MAX_PHRASE_CHARS:
        return f"is longer than {MAX_PHRASE_CHARS} characters"
    if not normalize(phrase.rstrip("*")):
        return "has no letters or digits"
    if "*" in phrase.rstrip("*") or phrase.endswith("**"):
        return "may use '*' only once, at its end (prefix)"
    return None


def _check_phrase(problems: _Problems, key: str, phrase: str) -> None:
    problem = phrase_problem(phrase)
    if problem:
        problems.add(key, problem)


def _duration(t: _Table, name: str, default: float | None, minimum: float | None = None
              ) -> float | None:
    raw = t.get(name, (str, int, float))
    if raw is None:
        return default
    try:
        seconds = parse_duration(raw)
    except ValueError as e:
        t.problems.add(t.key(name), str(e))
        return default
    if minimum is not None and seconds < minimum:
        t.problems.add(t.key(name), f"must be at least {minimum:g}s")
        return default
    return seconds


def _sub_table(parent: _Table, name: str) -> _Table:
    raw = parent.get(name, dict, default={})
    return _Table(raw, parent.key(name), parent.problems)


def _destination_problem(destination: str, schemes: frozenset[str] | None) -> str | None:
    scheme = destination.split(":", 1)[0]
    if schemes is not None and scheme not in schemes:
        known = ", ".join(sorted(schemes)) or "none"
        return f"unknown destination {scheme!r} (installed: {known})"
    if ":" in destination and not destination.split(":", 1)[1].strip():
        return f"destination {destination!r} names no target after ':'"
    return None


def validate(
    data: Mapping[str, Any],
    *,
    path: str = "<config>",
    env: Mapping[str, str] | None = None,
    destination_schemes: frozenset[str] | None = None,
    section_validators: Mapping[str, SectionValidator] | None = None,
) -> Config:
    """Build a :class:`Config` from parsed TOML.

    ``destination_schemes`` lists the installed destination schemes (None:
    do not check). ``section_validators`` maps the name of a top-level table
    that an adapter owns (``discord``) to a function returning that table's
    problems as ``(key relative to the table, message)``. Raises
    :class:`ConfigError` listing every problem.
    """
    from ._query import parse_query

    problems = _Problems()
    env = os.environ if env is None else env
    data = _expand_all(data, env, "", problems)
    root = _Table(data, "", problems)

    st = _sub_table(root, "storage")
    storage = StorageConfig(url=st.get("url", str, default=StorageConfig.url))
    if not re.match(r"^(sqlite|postgresql|postgres)(\+\w+)?://", storage.url):
        problems.add(st.key("url"), "must start with sqlite:/// or postgresql+asyncpg://")
    st.check_unknown()

    ft = _sub_table(root, "fetch")
    d = FetchConfig()
    timeout = _duration(ft, "timeout", d.total_timeout)
    max_body: int = d.max_body_bytes
    raw_size = ft.get("max_body", (str, int))
    if raw_size is not None:
        try:
            max_body = parse_size(raw_size)
        except ValueError as e:
            problems.add(ft.key("max_body"), str(e))
    per_host = ft.get("per_host", int, default=d.per_host_limit)
    if per_host < 1:
        problems.add(ft.key("per_host"), "must be at least 1")
    assert timeout is not None
    fetch = FetchConfig(
        user_agent=ft.get("user_agent", str, default=d.user_agent),
        connect_timeout=min(d.connect_timeout, timeout),
        read_timeout=min(d.read_timeout, timeout),
        total_timeout=timeout,
        max_body_bytes=max_body,
        per_host_limit=max(1, per_host),
        allow_private_addresses=ft.get("allow_private_addresses", bool, default=False),
    )
    ft.check_unknown()

    pt = _sub_table(root, "poll")
    pd = PollConfig()
    max_age: float | None = pd.max_age
    raw_age = pt.get("max_age", (str, int, float))
    if raw_age is not None:
        if raw_age in ("", "none", "off", 0):
            max_age = None
        else:
            max_age = _duration(pt, "max_age", pd.max_age)
    concurrency = pt.get("concurrency", int, default=pd.concurrency)
    if concurrency < 1:
        problems.add(pt.key("concurrency"), "must be at least 1")
    poll = PollConfig(
        first_poll_alerts=pt.get("first_poll_alerts", bool, default=False),
        same_story=pt.get("same_story", bool, default=True),
        max_age=max_age,
        concurrency=max(1, concurrency),
    )
    pt.check_unknown()

    sources = _validate_sources(root, problems)
    topics = _validate_topics(root, problems)
    topic_ids = {t.id for t in topics}

    subscriptions: list[SubscriptionConfig] = []
    raw_subs = root.get("subscriptions", list, default=[])
    seen_subs: set[str] = set()
    for i, raw in enumerate(raw_subs):
        key = f"subscriptions[{i}]"
        if not isinstance(raw, dict):
            problems.add(key, "expected a table ([[subscriptions]])")
            continue
        t = _Table(raw, key, problems)
        name = t.get("name", str, default=f"subscription-{i + 1}", required=True)
        if name in seen_subs:
            problems.add(t.key("name"), f"duplicate subscription name {name!r}")
        seen_subs.add(name)
        sub_topics = t.str_list("topics")
        for j, tid in enumerate(sub_topics):
            if tid not in topic_ids:
                problems.add(f"{t.key('topics')}[{j}]", f"unknown topic {tid!r}")
        query = t.get("query", str)
        if query is not None:
            try:
                parse_query(query)
            except QuerySyntaxError as e:
                problems.add(t.key("query"), str(e))
        if not sub_topics and query is None:
            problems.add(key, "needs topics, a query, or both")
        destination = t.get("destination", str, default="console")
        problem = _destination_problem(destination, destination_schemes)
        if problem:
            problems.add(t.key("destination"), problem)
        options = _subscription_options(t)
        t.check_unknown()
        subscriptions.append(SubscriptionConfig(name, sub_topics, query, destination, **options))

    ct = _sub_table(root, "console")
    color = ct.get("color", str, default="auto")
    if color not in ("auto", "always", "never"):
        problems.add(ct.key("color"), "must be \"auto\", \"always\" or \"never\"")
    ct.check_unknown()
    delivery = _validate_delivery(_sub_table(root, "delivery"))

    adapters: dict[str, Mapping[str, Any]] = {}
    for name, check in (section_validators or {}).items():
        if name not in data:
            continue
        table = root.get(name, dict, default=None)
        if table is None:
            continue
        for key, message in check(table):
            problems.add(f"{name}.{key}" if key else name, message)
        adapters[name] = table

    root.check_unknown()
    if problems.items:
        raise ConfigError(path, problems.items)
    return Config(
        path=path, storage=storage, fetch=fetch, poll=poll, sources=tuple(sources),
        topics=tuple(topics), subscriptions=tuple(subscriptions),
        console=ConsoleConfig(color=color), delivery=delivery, adapters=adapters,
    )


def _validate_delivery(t: _Table) -> DeliveryConfig:
    d = DeliveryConfig()
    ints: dict[str, int] = {}
    for name in ("batch", "concurrency", "max_attempts"):
        value = t.get(name, int, default=getattr(d, name))
        if value < 1:
            t.problems.add(t.key(name), "must be at least 1")
            value = getattr(d, name)
        ints[name] = value
    interval = _duration(t, "interval", d.interval, minimum=0.1)
    lease = _duration(t, "lease", d.lease, minimum=1.0)
    retry_min = _duration(t, "retry_min", d.retry_min, minimum=0.1)
    retry_max = _duration(t, "retry_max", d.retry_max, minimum=0.1)
    assert interval is not None and lease is not None
    assert retry_min is not None and retry_max is not None
    if retry_max < retry_min:
        t.problems.add(t.key("retry_max"), "must not be shorter than retry_min")
    t.check_unknown()
    return DeliveryConfig(interval=interval, lease=lease, retry_min=retry_min,
                          retry_max=max(retry_min, retry_max), **ints)


def _subscription_options(t: _Table) -> dict[str, Any]:
    from ._schedule import parse_digest, parse_limit, parse_quiet, parse_timezone

    options: dict[str, Any] = {}
    checks = {"limit": parse_limit, "digest": parse_digest, "quiet": parse_quiet,
              "timezone": parse_timezone}
    for key, check in checks.items():
        value = t.get(key, str)
        if value is None:
            continue
        try:
            check(value)
        except ValueError as e:
            t.problems.add(t.key(key), str(e))
            continue
        options[key] = value
    mention = t.get("mention", (str, int))
    if mention is not None:
        if not re.fullmatch(r"[0-9A-Za-z^_-]{1,64}", str(mention)):
            t.problems.add(t.key("mention"), "must be a role or group id")
        else:
            options["mention"] = str(mention)
    return options


def _validate_sources(root: _Table, problems: _Problems) -> list[SourceConfig]:
    from ._lang import normalize_language_tag

    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for i, raw in enumerate(root.get("sources", list, default=[])):
        key = f"sources[{i}]"
        if not isinstance(raw, dict):
            problems.add(key, "expected a table ([[sources]])")
            continue
        t = _Table(raw, key, problems)
        name = t.get("name", str, default=f"source-{i + 1}", required=True)
        if "name" in raw and isinstance(name, str) and not _NAME_RE.match(name):
            problems.add(t.key("name"), "use letters, digits, '-', '_' or '.' (at most 64)")
        if name in seen:
            problems.add(t.key("name"), f"duplicate source name {name!r}")
        seen.add(name)
        url = t.get("url", str, default="", required=True)
        if url and not re.match(r"^https?://[^\s/]+", url, re.I):
            problems.add(t.key("url"), "must be an http:// or https:// URL")
        interval = _duration(t, "interval", DEFAULT_INTERVAL, minimum=MIN_INTERVAL)
        language = t.get("language", str)
        lang = None
        if language is not None:
            lang = normalize_language_tag(language)
            if lang is None:
                problems.add(t.key("language"), f"{language!r} is not a language code")
        enabled = t.get("enabled", bool, True)
        t.check_unknown()
        assert interval is not None
        sources.append(SourceConfig(name, url, interval, enabled, lang))
    return sources


def _validate_topics(root: _Table, problems: _Problems) -> list[TopicConfig]:
    from ._lang import normalize_language_tag

    topics: list[TopicConfig] = []
    for tid, raw in root.get("topics", dict, default={}).items():
        key = f"topics.{tid}"
        if not _NAME_RE.match(tid):
            problems.add(key, "topic ids use letters, digits, '-', '_' or '.' (at most 64)")
        if not isinstance(raw, dict):
            problems.add(key, "expected a table ([topics.<id>])")
            continue
        t = _Table(raw, key, problems)
        keywords = t.str_list("keywords", required=True)
        if "keywords" in raw and not keywords:
            problems.add(t.key("keywords"), "needs at least one phrase")
        for j, phrase in enumerate(keywords):
            _check_phrase(problems, f"{t.key('keywords')}[{j}]", phrase)
        exclude = t.str_list("exclude")
        for j, phrase in enumerate(exclude):
            _check_phrase(problems, f"{t.key('exclude')}[{j}]", phrase)
        fields = t.str_list("fields") or ALL_FIELDS
        for j, f in enumerate(fields):
            if f not in ALL_FIELDS:
                problems.add(f"{t.key('fields')}[{j}]",
                             f"{f!r} is not one of title, summary, content")
        languages: list[str] = []
        for j, lang in enumerate(t.str_list("languages")):
            norm = normalize_language_tag(lang)
            if norm is None:
                problems.add(f"{t.key('languages')}[{j}]", f"{lang!r} is not a language code")
            else:
                languages.append(norm)
        name = t.get("name", str, default=tid)
        editable = t.get("editable", bool, default=False)
        t.check_unknown()
        topics.append(TopicConfig(
            tid, name, keywords, exclude,
            tuple(f for f in fields if f in ALL_FIELDS),  # type: ignore[misc]
            tuple(languages), editable,
        ))
    return topics


def _expand_all(value: Any, env: Mapping[str, str], key: str, problems: _Problems) -> Any:
    """Expand ``${VAR}`` in every string, recording missing variables."""
    if isinstance(value, str):
        try:
            return expand_env(value, env)
        except KeyError as e:
            problems.add(key or "<root>", f"environment variable {e.args[0]} is not set")
            return value
    if isinstance(value, dict):
        return {k: _expand_all(v, env, f"{key}.{k}" if key else k, problems)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_all(v, env, f"{key}[{i}]", problems) for i, v in enumerate(value)]
    return value


def load_config(
    path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    destination_schemes: frozenset[str] | None = None,
    section_validators: Mapping[str, SectionValidator] | None = None,
) -> Config:
    """Read and validate a TOML configuration file.

    Raises :class:`ConfigError` (unreadable file, TOML syntax, or every
    validation problem).
    """
    p = Path(path)
    name = str(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(name, [("<file>", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(name, [("<file>", f"cannot read: {e.__class__.__name__}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(name, [("<toml>", str(e))]) from None
    return validate(data, path=name, env=env, destination_schemes=destination_schemes,
                    section_validators=section_validators)
