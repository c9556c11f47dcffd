"""Declaring a chat command once: its path, typed parameters, help and handler.

Each command is one decorated handler, as in discord.py's ``app_commands``::

    @COMMANDS.command("recent", summary="The latest matched items", params=(
        Query("target", "A topic id or a query", required=False, complete="topic"),
        Int("hours", "How far back to look, in hours", option=True, default=24,
            minimum=1, maximum=MAX_HOURS),
    ))
    async def recent(call: Call, *, target: str | None, hours: int) -> Reply: ...

Everything else is derived from these declarations: the text grammar
(:mod:`._grammar`), the help (:mod:`._help`), the admin check
(:class:`.CommandLayer`) and each platform's own command tree (Discord's
``app_commands`` in ``adapters/discord/commands.py``). A declaration that
disagrees with its handler's signature fails at import, not in chat.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from ..exceptions import CommandDeclarationError
from ..replies import Reply
from ._params import Param

#: Discord's limit on a command's or an option's description, kept by every declaration.
MAX_DESCRIPTION = 100

#: Where a platform lists a command: with everyone's commands, or apart with
#: the administration commands (a platform may hide those from non-admins by
#: default). Never a check: the layer checks admins itself.
Listing = Literal["general", "admin"]

#: A command's handler: ``handler(call, **arguments)``, its keyword-only
#: parameters being the declared ones (checked at declaration).
Handler = Callable[..., Awaitable[Reply]]

_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_WORD_RE = re.compile(r"[a-z][a-z0-9-]{0,31}")


# -- commands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One command: what it is called, what it takes, who may run it, what it does."""

    #: Its words: ``("recent",)``, ``("keywords", "add")``.
    path: tuple[str, ...]
    #: What it does, in one line (help lists, platform command descriptions).
    summary: str
    #: Its parameters: positional ones in order (required first), then options.
    params: tuple[Param, ...]
    #: Runs it, with the checked arguments.
    handler: Handler
    #: Only admins may run it; its answers are private.
    admin: bool
    #: Where a platform lists it.
    listing: Listing
    #: More about it, for ``help <command>``.
    details: str = ""
    #: Example lines.
    examples: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """Its words, as typed: ``keywords add``."""
        return " ".join(self.path)

    @property
    def usage(self) -> str:
        """How to type it, derived from its parameters."""
        return " ".join((self.name, *(p.usage() for p in self.params)))

    @property
    def positional(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.option)

    @property
    def options(self) -> dict[str, Param]:
        return {p.name: p for p in self.params if p.option}

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class Group:
    """The first word of commands that share it (``keywords`` of ``keywords add``)."""

    #: The word.
    name: str
    #: What its commands do, in one line.
    summary: str


class CommandTable:
    """Every declared command, in declaration order, and the groups they form."""

    def __init__(self) -> None:
        self._commands: dict[tuple[str, ...], Command] = {}
        self._groups: dict[str, Group] = {}
        #: The first words of every command, in declaration order (help, completion).
        self.names = _Names(self)

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    def __len__(self) -> int:
        return len(self._commands)

    def get(self, path: Sequence[str]) -> Command | None:
        """The command at ``path``, or None."""
        return self._commands.get(tuple(path))

    def group_of(self, name: str) -> Group | None:
        """The group called ``name``, or None."""
        return self._groups.get(name)

    def under(self, name: str) -> list[Command]:
        """The commands whose first word is ``name``."""
        return [c for c in self if c.path[0] == name]

    def group(self, name: str, summary: str) -> None:
        """Declare a group of commands (before its commands)."""
        if not _WORD_RE.fullmatch(name) or name in self._groups:
            raise CommandDeclarationError(f"bad or repeated group name {name!r}")
        _check_description(name, summary)
        self._groups[name] = Group(name, summary)

    def command(self, path: str, *, summary: str, params: Sequence[Param] = (),
                admin: bool = False, listing: Listing | None = None, details: str = "",
                examples: Sequence[str] = ()) -> Callable[[Handler], Handler]:
        """Declare the decorated function as the handler of the command at
        ``path`` ("recent", "keywords add").

        ``listing`` defaults to "admin" for admin commands, "general" otherwise.
        Raises CommandDeclarationError (at import) when the declaration is
        inconsistent or disagrees with the handler's signature.
        """
        words = tuple(path.split())

        def register(handler: Handler) -> Handler:
            command = Command(words, summary, tuple(params), handler, admin,
                              listing or ("admin" if admin else "general"), details,
                              tuple(examples))
            self._check(command)
            self._commands[words] = command
            return handler

        return register

    def _check(self, command: Command) -> None:
        path = command.path
        where = f"command {command.name!r}"
        if not 1 <= len(path) <= 2 or not all(_WORD_RE.fullmatch(w) for w in path):
            raise CommandDeclarationError(f"{where}: a path is one or two lowercase words")
        if path in self._commands:
            raise CommandDeclarationError(f"{where} is declared twice")
        if len(path) == 2 and path[0] not in self._groups:
            raise CommandDeclarationError(f"{where}: declare the group {path[0]!r} first")
        if len(path) == 1 and path[0] in self._groups:
            raise CommandDeclarationError(f"{where}: {path[0]!r} is a group")
        _check_description(command.name, command.summary)
        names = [p.name for p in command.params]
        if len(set(names)) != len(names):
            raise CommandDeclarationError(f"{where}: parameter names repeat")
        seen_optional = False
        positional = command.positional
        for p in command.params:
            _check_description(f"{command.name} {p.name}", p.description)
            if not _NAME_RE.fullmatch(p.name):
                raise CommandDeclarationError(f"{where}: bad parameter name {p.name!r}")
            if p.required and seen_optional:
                raise CommandDeclarationError(
                    f"{where}: required {p.name!r} after an optional parameter")
            seen_optional = seen_optional or not p.required
            if p.option and (p.takes_rest or p.required):
                raise CommandDeclarationError(
                    f"{where}: option --{p.name} must be optional and one word")
            if p.takes_rest and p is not positional[-1]:
                raise CommandDeclarationError(
                    f"{where}: {p.name!r} takes the rest of the line: put it last")
        _check_signature(command)


class _Names(Sequence[str]):
    """The first words of a table's commands, read when used (a live view, so
    a parameter declared before the last command still lists every command)."""

    def __init__(self, table: CommandTable) -> None:
        self._table = table

    def _names(self) -> list[str]:
        return list(dict.fromkeys(c.path[0] for c in self._table))

    @typing.overload
    def __getitem__(self, index: int) -> str: ...
    @typing.overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())


def _check_description(what: str, text: str) -> None:
    if not 1 <= len(text) <= MAX_DESCRIPTION:
        raise CommandDeclarationError(
            f"{what}: a description has 1 to {MAX_DESCRIPTION} characters")


def _check_signature(command: Command) -> None:
    """The handler takes ``(call, *, <each parameter>)`` with the declared types."""
    where = f"command {command.name!r}"
    signature = inspect.signature(command.handler)
    first, *rest = signature.parameters.values()
    if first.kind not in (first.POSITIONAL_ONLY, first.POSITIONAL_OR_KEYWORD):
        raise CommandDeclarationError(f"{where}: the handler's first parameter is the call")
    keywords = {p.name for p in rest if p.kind is p.KEYWORD_ONLY}
    if keywords != {p.name for p in command.params} or len(keywords) != len(rest):
        raise CommandDeclarationError(f"{where}: the handler's keyword-only parameters must be "
                                      f"exactly {sorted(p.name for p in command.params)}")
    hints = typing.get_type_hints(command.handler)
    for p in command.params:
        if hints.get(p.name) != p.value_type:
            raise CommandDeclarationError(f"{where}: {p.name} is typed {hints.get(p.name)}, "
                                          f"declared {p.value_type}")



#: Vigie's commands: each group module (``_reading``, ``_subscriptions`` …)
#: declares its own into this table.
COMMANDS = CommandTable()
