"""Validators of the single tables: ``[storage]``, ``[fetch]``, ``[poll]``,
``[console]``, ``[delivery]``, ``[metrics]``, ``[http]`` and ``[websub]``.

Each takes its table (empty when absent) and returns its part of the model
with defaults where a value is wrong, the problems recorded on the way.
Every number is bounded: a value a scheduler, a timer or a database could
not hold is refused here, saying the range.
"""

from __future__ import annotations

import ipaddress
import re

from ._model import (
    ConsoleConfig,
    DeliveryConfig,
    FetchConfig,
    HttpConfig,
    MetricsConfig,
    PollConfig,
    StorageConfig,
    WebSubConfig,
)
from ._table import Table

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_MAX_USER_AGENT_CHARS = 500
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME_RE = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")


def validate_storage(t: Table) -> StorageConfig:
    storage = StorageConfig(url=t.get("url", str, default=StorageConfig.url))
    if not re.match(r"^(sqlite|postgresql|postgres)(\+\w+)?://", storage.url):
        t.problems.add(t.key("url"), "must start with sqlite:/// or postgresql+asyncpg://")
    t.check_unknown()
    return storage


def validate_fetch(t: Table) -> FetchConfig:
    d = FetchConfig()
    timeout = t.duration("timeout", d.total_timeout, at_least=1.0, at_most=3600.0)
    max_body = t.size("max_body", d.max_body_bytes, at_least=1024, at_most=1024**3)
    per_host = t.count("per_host", d.per_host_limit, 1, 100)
    user_agent = t.get("user_agent", str, default=d.user_agent)
    if _CONTROL_RE.search(user_agent) or len(user_agent) > _MAX_USER_AGENT_CHARS:
        # An HTTP header cannot carry a line break; aiohttp would refuse every request.
        t.problems.add(t.key("user_agent"), "must be one line of at most "
                                            f"{_MAX_USER_AGENT_CHARS} characters")
        user_agent = d.user_agent
    allow_private = t.get("allow_private_addresses", bool, default=False)
    t.check_unknown()
    return FetchConfig(
        user_agent=user_agent,
        connect_timeout=min(d.connect_timeout, timeout),
        read_timeout=min(d.read_timeout, timeout),
        total_timeout=timeout,
        max_body_bytes=max_body,
        per_host_limit=per_host,
        allow_private_addresses=allow_private,
    )


def validate_poll(t: Table) -> PollConfig:
    d = PollConfig()
    max_age: float | None = d.max_age
    raw_age = t.get("max_age", (str, int, float))
    if raw_age is not None:
        if raw_age in ("", "none", "off", 0):
            max_age = None
        else:
            max_age = t.duration("max_age", d.max_age or 0.0)
    concurrency = t.count("concurrency", d.concurrency, 1, 100)
    poll = PollConfig(
        first_poll_alerts=t.get("first_poll_alerts", bool, default=False),
        same_story=t.get("same_story", bool, default=True),
        max_age=max_age,
        concurrency=concurrency,
    )
    t.check_unknown()
    return poll


def validate_console(t: Table) -> ConsoleConfig:
    console = ConsoleConfig()
    values: dict[str, str] = {}
    for key, choices in (("color", ("auto", "always", "never")), ("output", ("stdout", "stderr"))):
        value = t.get(key, str, default=getattr(console, key))
        if value in choices:
            values[key] = value
        else:
            quoted = [f'"{c}"' for c in choices]
            t.problems.add(t.key(key), f"must be {', '.join(quoted[:-1])} or {quoted[-1]}")
    t.check_unknown()
    return ConsoleConfig(**values)


def validate_delivery(t: Table) -> DeliveryConfig:
    d = DeliveryConfig()
    batch = t.count("batch", d.batch, 1, 10_000)
    concurrency = t.count("concurrency", d.concurrency, 1, 100)
    max_attempts = t.count("max_attempts", d.max_attempts, 1, 1000)
    interval = t.duration("interval", d.interval, at_least=0.1, at_most=3600.0)
    lease = t.duration("lease", d.lease, at_least=1.0, at_most=86400.0)
    retry_min = t.duration("retry_min", d.retry_min, at_least=0.1, at_most=86400.0)
    retry_max = t.duration("retry_max", d.retry_max, at_least=0.1, at_most=30 * 86400.0)
    if retry_max < retry_min:
        t.problems.add(t.key("retry_max"), "must not be shorter than retry_min")
    t.check_unknown()
    return DeliveryConfig(interval=interval, lease=lease, retry_min=retry_min,
                          retry_max=max(retry_min, retry_max), batch=batch,
                          concurrency=concurrency, max_attempts=max_attempts)


def validate_metrics(t: Table) -> MetricsConfig:
    port, address = _listening(t, MetricsConfig().address)
    return MetricsConfig(port=port, address=address)


def validate_http(t: Table) -> HttpConfig:
    port, address = _listening(t, HttpConfig().address)
    return HttpConfig(port=port, address=address)


def _listening(t: Table, default_address: str) -> tuple[int | None, str]:
    """A server's ``port`` (None when not set) and ``address``, the table's only keys."""
    port: int | None = None
    if t.get("port", int) is not None:
        port = t.count("port", 0, 0, 65535)
    address = t.get("address", str, default=default_address)
    if not _is_address(address):
        examples = ", ".join(f'"{a}"' for a in dict.fromkeys(
            (default_address, "127.0.0.1", "0.0.0.0", "::")))
        t.problems.add(t.key("address"), f"must be an IP address ({examples}) or a host name")
        address = default_address
    t.check_unknown()
    return port, address


#: Shortest ``[websub] secret``.
MIN_WEBSUB_SECRET = 16


def validate_websub(t: Table) -> WebSubConfig:
    d = WebSubConfig()
    url = t.get("callback_url", str)
    if url is not None and not re.fullmatch(r"(?i)https?://[^\s/?#]+(/[^\s?#]*)?", url):
        t.problems.add(t.key("callback_url"), "must be an http:// or https:// URL without "
                                              "query or fragment")
        url = None
    secret = t.get("secret", str, default="", required=url is not None)
    if url is not None and secret and len(secret) < MIN_WEBSUB_SECRET:
        t.problems.add(t.key("secret"), f"must be at least {MIN_WEBSUB_SECRET} characters")
    lease = t.duration("lease", d.lease, at_least=3600.0, at_most=365 * 86400.0)
    safety = t.duration("safety_interval", d.safety_interval, at_least=60.0,
                        at_most=30 * 86400.0)
    t.check_unknown()
    return WebSubConfig(callback_url=url.rstrip("/") if url else None, secret=secret,
                        lease=lease, safety_interval=safety)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return len(text) <= 253 and _HOST_NAME_RE.fullmatch(text) is not None
    return True
