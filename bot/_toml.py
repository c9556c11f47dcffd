"""Writing the effective configuration back as TOML (pure).

``vigie config export`` prints it so an admin can move chat edits into the
file. Only what a configuration holds is supported: tables, arrays of
tables, strings, numbers, booleans and lists of strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._effective import visible_id
from .config import Config, format_duration

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _string(value: str) -> str:
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _table(header: str, values: Mapping[str, Any]) -> list[str]:
    lines = [header]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in values.items() if v is not None]
    return [*lines, ""]


def export_config(config: Config) -> str:
    """Topics, sources and subscriptions of ``config`` as TOML.

    Chat topics get their visible id (suffixed when two workspaces used the
    same one), and subscriptions follow the renaming.
    """
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for topic in config.topics:
        base = visible_id(topic.id)
        new, n = base, 2
        while new in taken:
            new, n = f"{base}-{n}", n + 1
        ids[topic.id] = new
        taken.add(new)

    lines = ["# Vigie: effective topics, sources and subscriptions (file + chat edits)", ""]
    for source in config.sources:
        lines += _table("[[sources]]", {
            "name": source.name, **source.keys(), "interval": format_duration(source.interval),
            "enabled": source.enabled, "language": source.language,
        })
    for topic in config.topics:
        values: dict[str, Any] = {"name": topic.name, "keywords": list(topic.keywords)}
        if topic.exclude:
            values["exclude"] = list(topic.exclude)
        if tuple(topic.fields) != ("title", "summary", "content"):
            values["fields"] = list(topic.fields)
        if topic.languages:
            values["languages"] = list(topic.languages)
        if topic.editable:
            values["editable"] = True
        lines += _table(f"[topics.{_key(ids[topic.id])}]", values)
    for sub in config.subscriptions:
        values = {"name": sub.name}
        if sub.topics:
            values["topics"] = [ids.get(t, t) for t in sub.topics]
        values.update({"query": sub.query, "destination": sub.destination})
        values.update(sub.options.as_strings())
        lines += _table("[[subscriptions]]", values)
    return "\n".join(lines)
