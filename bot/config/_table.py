"""Typed reading of TOML tables that records problems instead of raising."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from ..exceptions import InvalidValueError
from ._values import MAX_DURATION, MAX_SIZE, parse_duration, parse_size

T = TypeVar("T")

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_MAX_KEY_CHARS = 80


def key_path(parent: str, name: str) -> str:
    """The key path of ``name`` in the table at ``parent`` (``""``: the root).

    A key that is not a bare TOML key is quoted with its control characters
    escaped (and cut if long), so a problem always prints on one line.
    """
    if not _BARE_KEY_RE.fullmatch(name):
        cut = name if len(name) <= _MAX_KEY_CHARS else name[:_MAX_KEY_CHARS] + "…"
        name = '"' + "".join(_escape(ch) for ch in cut) + '"'
    return f"{parent}.{name}" if parent else name


def one_line(text: str) -> str:
    """``text`` with its line breaks and other unprintable characters escaped."""
    return text if text.isprintable() else "".join(_escape(ch, quoted=False) for ch in text)


def _escape(ch: str, quoted: bool = True) -> str:
    if quoted and ch in '"\\':
        return "\\" + ch
    if not ch.isprintable() and ch != " ":
        return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"
    return ch


class Problems:
    """Every problem found so far, as ``(key path, message)``."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, message: str) -> None:
        self.items.append((key, message))


class Table:
    """One TOML table at key path ``path``; each read records the key as known."""

    def __init__(self, data: Mapping[str, Any], path: str, problems: Problems) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return key_path(self.path, name)

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None,
            required: bool = False) -> Any:
        """The value of ``name`` if of type ``kind``; else ``default`` and a problem."""
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
                self.key(name), f"expected {_kind_name(kinds)}, got {toml_type(value)}")
            return default
        return value

    def str_list(self, name: str, required: bool = False) -> tuple[str, ...]:
        value = self.get(name, list, default=[], required=required)
        out: list[str] = []
        for i, v in enumerate(value):
            if not isinstance(v, str):
                self.problems.add(
                    f"{self.key(name)}[{i}]", f"expected a string, got {toml_type(v)}")
            else:
                out.append(v)
        return tuple(out)

    def table(self, name: str) -> Table:
        """The sub-table ``name`` (empty when absent or not a table)."""
        raw = self.get(name, dict, default={})
        return Table(raw, self.key(name), self.problems)

    def count(self, name: str, default: int, at_least: int, at_most: int) -> int:
        """An integer between ``at_least`` and ``at_most`` (else ``default`` and a problem)."""
        value = self.get(name, int, default=default)
        if not at_least <= value <= at_most:
            self.problems.add(self.key(name), f"must be at least {at_least} and at most {at_most}")
            return default
        return int(value)

    def duration(self, name: str, default: float, *, at_least: float | None = None,
                 at_most: float = MAX_DURATION) -> float:
        """Seconds (see :func:`parse_duration`), else ``default`` and a problem."""
        return self._parsed(name, (str, int, float), default,
                            lambda v: parse_duration(v, at_least=at_least, at_most=at_most))

    def size(self, name: str, default: int, *, at_least: int = 1, at_most: int = MAX_SIZE
             ) -> int:
        """Bytes (see :func:`parse_size`), else ``default`` and a problem."""
        return self._parsed(name, (str, int), default,
                            lambda v: parse_size(v, at_least=at_least, at_most=at_most))

    def _parsed(self, name: str, kinds: tuple[type, ...], default: T,
                parse: Callable[[Any], T]) -> T:
        raw = self.get(name, kinds)
        if raw is None:
            return default
        try:
            return parse(raw)
        except InvalidValueError as e:
            self.problems.add(self.key(name), str(e))
            return default

    def tables(self, name: str) -> Iterator[tuple[int, Table]]:
        """Each table of the array of tables ``name`` (``[[name]]``) with its
        index; an entry that is not a table is a problem."""
        for i, raw in enumerate(self.get(name, list, default=[])):
            key = f"{self.key(name)}[{i}]"
            if isinstance(raw, dict):
                yield i, Table(raw, key, self.problems)
            else:
                self.problems.add(key, f"expected a table ([[{name}]])")

    def check_unknown(self) -> None:
        for name in self.data:
            if name not in self.used:
                self.problems.add(self.key(name), "unknown key")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def toml_type(value: object) -> str:
    """What a TOML value is, in words ("a string", "a table" …)."""
    return {bool: "a boolean", str: "a string", int: "an integer", float: "a number",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)
