"""Reading a command line (pure): words, quoted phrases and ``--options``.

One grammar for every platform: Slack users type it after ``/vigie``, the
console reads it from standard input, Discord rebuilds it from typed options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..exceptions import CommandError

#: A command line longer than this is refused before anything else.
MAX_LINE_CHARS = 2000
_QUOTES = {'"': '"', "“": "”", "”": "”", "«": "»", "„": "“"}


@dataclass(frozen=True)
class Token:
    """One word or quoted phrase of a command line."""

    #: The text, without quotes.
    value: str
    #: The text as typed, quotes included (queries need them).
    raw: str


def tokenize(line: str) -> list[Token]:
    """Split a line into words and quoted phrases.

    Raises :class:`CommandError` for an unterminated quote.
    """
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        start = i
        value: list[str] = []
        while i < n and not line[i].isspace():
            ch = line[i]
            if ch in _QUOTES:
                close = _QUOTES[ch]
                end = line.find(close, i + 1)
                if end < 0:
                    raise CommandError(f"unterminated quote at position {i + 1}",
                                       hint=f"close it with {close}")
                value.append(line[i + 1:end])
                i = end + 1
            else:
                value.append(ch)
                i += 1
        tokens.append(Token("".join(value), line[start:i]))
    return tokens


@dataclass(frozen=True)
class Option:
    """An option a command accepts."""

    #: "int", "str" or "flag" (takes no value).
    kind: str = "str"
    #: Smallest and largest value of an int option.
    minimum: int = 1
    maximum: int = 10_000


@dataclass(frozen=True)
class Parsed:
    """A command line split into positional tokens and options."""

    #: Positional tokens, in order.
    args: tuple[Token, ...]
    #: Options given, by name (ints converted).
    options: dict[str, int | str] = field(default_factory=dict)

    def rest(self, start: int = 0) -> str:
        """Positional tokens from ``start`` on, as typed (quotes kept)."""
        return " ".join(t.raw for t in self.args[start:])

    def phrase(self, start: int = 0) -> str:
        """Positional tokens from ``start`` on, as one phrase (quotes removed)."""
        return " ".join(t.value for t in self.args[start:]).strip()

    def int(self, name: str, default: int) -> int:
        value = self.options.get(name, default)
        assert isinstance(value, int)
        return value

    def flag(self, name: str) -> bool:
        return name in self.options

    def str(self, name: str) -> str | None:
        value = self.options.get(name)
        return None if value is None else str(value)


def parse_args(tokens: list[Token], spec: Mapping[str, Option]) -> Parsed:
    """Separate ``--name value`` options (as ``spec`` allows) from positional tokens.

    Raises :class:`CommandError` for an unknown option, a missing or bad value.
    """
    args: list[Token] = []
    options: dict[str, int | str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.raw.startswith("--") and len(tok.raw) > 2:
            name = tok.raw[2:].lower()
            if name not in spec:
                known = ", ".join(f"--{k}" for k in spec) or "none"
                raise CommandError(f"unknown option --{name}", hint=f"options here: {known}")
            opt = spec[name]
            if opt.kind == "flag":
                options[name] = 1
                i += 1
                continue
            if i + 1 >= len(tokens):
                raise CommandError(f"--{name} needs a value")
            raw = tokens[i + 1].value
            if opt.kind == "int":
                if not raw.isdigit() or not opt.minimum <= int(raw) <= opt.maximum:
                    raise CommandError(
                        f"--{name} takes a whole number from {opt.minimum} to {opt.maximum}")
                options[name] = int(raw)
            else:
                options[name] = raw
            i += 2
            continue
        args.append(tok)
        i += 1
    return Parsed(tuple(args), options)
