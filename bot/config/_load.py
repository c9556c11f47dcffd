"""Reading a configuration file and validating it, table by table."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from ._model import Config, DestinationCheck, SectionValidator
from ._sources import validate_kinds, validate_sources, validate_topics
from ._subscriptions import destination_problems, validate_subscriptions
from ._table import Problems, Table, key_path, one_line
from ._tables import (
    validate_console,
    validate_delivery,
    validate_fetch,
    validate_http,
    validate_metrics,
    validate_poll,
    validate_storage,
    validate_websub,
)
from ._values import env_references, expand_env

#: A value from ``${VAR}`` shorter than this is not treated as a secret: it
#: would blank every occurrence of a common word or number in the logs.
MIN_SECRET_CHARS = 6

#: Deepest nesting of tables and lists a configuration may have; the deepest
#: legitimate one (``[discord] colors``, a subscription's topics) is 3.
MAX_NESTING = 10
#: TOML integers are 64-bit signed (the spec); Python's reader takes any.
_INT_RANGE = range(-(2**63), 2**63)


class _TooDeep(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def validate(
    data: Mapping[str, Any],
    *,
    path: str = "<config>",
    env: Mapping[str, str] | None = None,
    destination_schemes: frozenset[str] | None = None,
    section_validators: Mapping[str, SectionValidator] | None = None,
    destination_checks: Mapping[str, DestinationCheck] | None = None,
) -> Config:
    """Build a :class:`Config` from parsed TOML.

    ``destination_schemes`` lists the installed destination schemes (None:
    do not check). ``section_validators`` maps the name of a top-level table
    that an adapter owns (``discord``) to a function returning that table's
    problems as ``(key relative to the table, message)``.
    ``destination_checks`` maps a destination scheme to what its adapter
    says a destination of that scheme lacks (see :data:`DestinationCheck`).

    Raises :class:`ConfigError` listing every problem, each key path and
    message on one line; data nested deeper than :data:`MAX_NESTING` is
    refused at once, with that problem alone.
    """
    problems = Problems()
    env = os.environ if env is None else env
    secrets: set[str] = set()
    try:
        data = _prepare(data, env, "", 0, problems, secrets)
    except _TooDeep as e:
        raise ConfigError(path, [(e.key, f"is nested too deeply (at most {MAX_NESTING} levels "
                                         "of tables and lists)")]) from None
    root = Table(data, "", problems)

    storage = validate_storage(root.table("storage"))
    fetch = validate_fetch(root.table("fetch"))
    poll = validate_poll(root.table("poll"))
    kinds = validate_kinds(root.table("kinds"))
    sources = validate_sources(root, kinds)
    topics = validate_topics(root)
    subscriptions = validate_subscriptions(root, {t.id for t in topics}, destination_schemes)
    console = validate_console(root.table("console"))
    delivery = validate_delivery(root.table("delivery"))
    metrics = validate_metrics(root.table("metrics"))
    http = validate_http(root.table("http"))
    websub = validate_websub(root.table("websub"))

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
    config = Config(
        path=path, storage=storage, fetch=fetch, poll=poll, sources=tuple(sources),
        topics=tuple(topics), subscriptions=tuple(subscriptions),
        console=console, delivery=delivery, metrics=metrics, http=http, websub=websub,
        kinds=kinds, adapters=adapters,
        secrets=frozenset(secrets),
    )
    problems.items += destination_problems(config, destination_checks or {})
    if problems.items:
        # One problem, one line: keys and values may hold any character.
        raise ConfigError(path, [(one_line(k), one_line(m)) for k, m in problems.items])
    return config


def _prepare(value: Any, env: Mapping[str, str], key: str, depth: int,
             problems: Problems, secrets: set[str]) -> Any:
    """``value`` with ``${VAR}`` expanded in every string, recording missing
    variables and integers TOML cannot hold, and adding the values brought
    in to ``secrets``; raises _TooDeep past MAX_NESTING."""
    if isinstance(value, str):
        try:
            expanded = expand_env(value, env)
        except KeyError as e:
            problems.add(key or "<root>", f"environment variable {e.args[0]} is not set")
            return value
        secrets.update(env[name] for name in env_references(value)
                       if len(env[name]) >= MIN_SECRET_CHARS)
        return expanded
    if isinstance(value, int) and not isinstance(value, bool) and value not in _INT_RANGE:
        problems.add(key or "<root>", "is out of range (TOML integers are 64-bit)")
        return 0
    if isinstance(value, dict | list) and depth >= MAX_NESTING:
        raise _TooDeep(key or "<root>")
    if isinstance(value, dict):
        return {k: _prepare(v, env, key_path(key, str(k)), depth + 1, problems, secrets)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_prepare(v, env, f"{key}[{i}]", depth + 1, problems, secrets)
                for i, v in enumerate(value)]
    return value


def load_config(
    path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    destination_schemes: frozenset[str] | None = None,
    section_validators: Mapping[str, SectionValidator] | None = None,
    destination_checks: Mapping[str, DestinationCheck] | None = None,
) -> Config:
    """Read and validate a TOML configuration file.

    Raises :class:`ConfigError` (unreadable file, TOML syntax, nesting too
    deep for the reader, or every validation problem).
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
        raise ConfigError(name, [("<toml>", one_line(str(e)))]) from None
    except RecursionError:
        # tomllib reads nested arrays and inline tables recursively.
        raise ConfigError(name, [("<toml>", "nested too deeply to read")]) from None
    except ValueError as e:
        # tomllib lets Python's own limits through (an integer of 5,000 digits).
        raise ConfigError(name, [("<toml>", one_line(f"unreadable value: {e}"))]) from None
    return validate(data, path=name, env=env, destination_schemes=destination_schemes,
                    section_validators=section_validators,
                    destination_checks=destination_checks)


def idle_problems(config: Config, chat_platforms: Collection[str],
                  installed_chat: Collection[str] = ()) -> list[tuple[str, str]]:
    """Why ``config`` gives a running bot nothing to do, as problems (none: it has work).

    A bot watches sources and posts into subscriptions. Without a source
    (or with every source disabled) or without a subscription it is idle,
    unless a chat platform is set up (``chat_platforms``, the ones ``vigie
    run`` would start): chat admins may add sources and chat users
    subscribe. ``installed_chat`` names the platforms one could set up, for
    the hint.
    """
    if chat_platforms:
        return []
    tables = " or ".join(f"[{name}]" for name in sorted(installed_chat))

    def hint(who: str) -> str:
        return f" (or set up {tables} for chat {who})" if tables else ""

    problems: list[tuple[str, str]] = []
    if not any(s.enabled for s in config.sources):
        what = "every source is disabled" if config.sources else "add a [[sources]] table"
        problems.append(("sources", f"nothing to watch: {what}{hint('admins to add sources')}"))
    if not config.subscriptions:
        problems.append(("subscriptions", "nowhere to post alerts: add a [[subscriptions]] "
                                          f"table{hint('users to subscribe')}"))
    return problems
