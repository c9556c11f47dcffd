"""The text grammar (pure), generated from the command declarations.

One grammar for every platform that sends text: Slack users type it after
``/vigie``, the console reads it from standard input. A line is words and
quoted phrases (``"…"``, ``“…”``, ``«…»``, ``„…“``); its first words name a
command (:func:`resolve`), the rest fill its declared parameters in order,
with ``--name value`` options anywhere (:func:`parse_arguments`). Typed
invocations (Discord's options) skip the words but not the checks: both
paths end in :func:`check_arguments`, which enforces types, bounds and
choices with the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..exceptions import CommandError
from ._call import show
from ._declare import Command, CommandTable
from ._params import MAX_LINE_CHARS, Flag, Param, Query

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


def split_line(line: str) -> list[Token]:
    """The tokens of a command line. Raises :class:`CommandError` for a line
    over :data:`MAX_LINE_CHARS` or an unterminated quote."""
    if len(line) > MAX_LINE_CHARS:
        raise CommandError(f"that command is {len(line)} characters long; the limit is "
                           f"{MAX_LINE_CHARS}")
    return tokenize(line.strip())


def resolve(table: CommandTable, tokens: Sequence[Token]) -> tuple[Command, list[Token]]:
    """The command the first words name, and the tokens after them.

    Raises :class:`CommandError` for an unknown command (``tokens`` is not empty).
    """
    word = tokens[0].value.lower()
    command = table.get((word,))
    if command is not None:
        return command, list(tokens[1:])
    group = table.group_of(word)
    if group is None:
        raise CommandError(f"unknown command {show(tokens[0].value, 40)!r}",
                           hint="type `help` for the list")
    leaves = table.under(word)
    if len(tokens) > 1:
        command = table.get((word, tokens[1].value.lower()))
        if command is not None:
            return command, list(tokens[2:])
    choices = ", ".join(c.path[1] for c in leaves)
    raise CommandError(f"`{word}` takes one of: {choices}",
                       hint="usage: " + " · ".join(f"`{c.usage}`" for c in leaves))


def parse_arguments(command: Command, tokens: Sequence[Token]) -> dict[str, object]:
    """The arguments of ``command`` in ``tokens``, checked (:func:`check_arguments`).

    Raises :class:`CommandError` for an unknown option, a missing or bad value,
    or words left over.
    """
    options = command.options
    given: dict[str, object] = {}
    words: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.raw.startswith("--") and len(tok.raw) > 2:
            name = tok.raw[2:].lower()
            param = options.get(name)
            if param is None:
                known = ", ".join(f"--{k}" for k in options) or "none"
                raise CommandError(f"unknown option --{show(name, 40)}",
                                   hint=f"options here: {known}")
            if isinstance(param, Flag):
                given[name] = True
                i += 1
                continue
            if i + 1 >= len(tokens):
                raise CommandError(f"--{name} needs a value")
            given[name] = param.read(tokens[i + 1].value)
            i += 2
            continue
        words.append(tok)
        i += 1
    for param in command.positional:
        if not words:
            break
        if param.takes_rest:
            taken, words = words, []
            given[param.name] = " ".join(
                t.raw if isinstance(param, Query) else t.value for t in taken)
        else:
            given[param.name] = param.read(words.pop(0).value)
    if words:
        raise CommandError(f"too many words for `{command.name}`: "
                           f"{show(' '.join(t.raw for t in words), 40)!r}",
                           hint=f"usage: `{command.usage}`")
    return check_arguments(command, given)


def check_arguments(command: Command, arguments: Mapping[str, object]) -> dict[str, object]:
    """Every parameter of ``command`` with its checked value, or its default.

    A value of None counts as not given. Raises :class:`CommandError` for an
    unknown parameter, a missing required one or a bad value.
    """
    unknown = sorted(set(arguments) - {p.name for p in command.params})
    if unknown:
        raise CommandError(f"`{command.name}` has no parameter {show(unknown[0], 40)!r}",
                           hint=f"usage: `{command.usage}`")
    checked: dict[str, object] = {}
    for param in command.params:
        value = arguments.get(param.name)
        value = None if value is None else param.accept(value)
        if value is None:
            if param.required:
                raise _missing(command, param)
            value = param.default
        checked[param.name] = value
    return checked


def _missing(command: Command, param: Param) -> CommandError:
    message = param.missing or f"`{command.name}` needs {param.label}"
    return CommandError(message, hint=f"usage: `{command.usage}`")


def single_word(text: str) -> str | None:
    """The one word or quoted phrase ``text`` is (quotes removed), or None when
    it is several (``recent gpu`` names a topic, ``recent gpu nvidia`` is a query).

    Raises :class:`CommandError` for an unterminated quote.
    """
    tokens = tokenize(text)
    return tokens[0].value if len(tokens) == 1 else None
