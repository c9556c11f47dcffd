"""The parameters a command may declare, by kind, and how each checks its value.

Every kind reads a value typed in a command line (:meth:`Param.read`) and
checks a value however it came (:meth:`Param.accept`: typed by a platform, or
read from a line), with the same messages. Platforms map each kind to their
own option types (Discord: ``adapters/discord/commands.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

from ..chat import CompletionKind
from ..exceptions import CommandError, InvalidOptionError
from ..options import parse_mention

#: A command line longer than this is refused before anything else; no text
#: argument may be longer either, however it arrives.
MAX_LINE_CHARS = 2000

_DIGITS_RE = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Param:
    """One parameter of a command: a word by position, or an ``--option``."""

    #: Its name: the handler's keyword argument, and ``--name`` for an option.
    name: str
    #: What it holds, in one line (platforms show it beside the field).
    description: str
    _: KW_ONLY
    #: Given as ``--name value`` rather than by position.
    option: bool = False
    #: Whether it must be given (an option never is); when not given it is :attr:`default`.
    required: bool = True
    #: Its value when not given.
    default: str | int | bool | None = None
    #: What a platform may propose while it is typed.
    complete: CompletionKind | None = None
    #: How usage strings show its value ("topic-id", "N"); the name by default.
    metavar: str = ""
    #: Only admins may give it (``list --all``); others are refused.
    admin: bool = False
    #: What to answer when it is missing ("search what?"); a usage line otherwise.
    missing: str = ""
    #: The longest text value accepted.
    max_length: int = MAX_LINE_CHARS

    #: A positional parameter of this kind takes the rest of the line.
    takes_rest = False

    def __post_init__(self) -> None:
        if self.option:
            object.__setattr__(self, "required", False)

    @property
    def label(self) -> str:
        """How errors name it: ``--hours``, or ``<topic-id>``."""
        return f"--{self.name}" if self.option else f"<{self.metavar or self.name}>"

    @property
    def value_type(self) -> object:
        """The type of the handler's argument (checked against the signature)."""
        return str if self.required or self.default is not None else str | None

    def usage(self) -> str:
        """How usage strings show it."""
        if self.option:
            return f"[--{self.name} {self.metavar or f'<{self.name}>'}]"
        shown = self.metavar or self.name
        return f"<{shown}>" if self.required else f"[{shown}]"

    def read(self, text: str) -> object:
        """The value of ``text`` as typed in a command line (before :meth:`accept`)."""
        return text

    def accept(self, value: object) -> object:
        """``value`` checked and normalised, or None for "not given".

        Raises :class:`CommandError` (saying what is expected) for a wrong
        type, a bound or length exceeded, or control characters.
        """
        if not isinstance(value, str):
            raise CommandError(f"{self.label} takes text")
        bad = next((ch for ch in value if _is_control(ch)), None)
        if bad is not None:
            raise CommandError(f"{self.label} contains a control character "
                               f"(U+{ord(bad):04X})")
        text = " ".join(value.split())
        if len(text) > self.max_length:
            raise CommandError(f"{self.label} is longer than {self.max_length:,} characters")
        return text or None


@dataclass(frozen=True)
class Text(Param):
    """One word or "quoted phrase" by position, or an option's value."""


@dataclass(frozen=True)
class Query(Param):
    """The rest of the line as typed, quotes and operators kept: a query,
    or a topic id (``recent gpu``)."""

    takes_rest = True


@dataclass(frozen=True)
class Phrase(Param):
    """The rest of the line as one phrase, quotes removed (``keywords add gpu carte
    graphique``)."""

    takes_rest = True


@dataclass(frozen=True, kw_only=True)
class Int(Param):
    """A whole number from :attr:`minimum` to :attr:`maximum`."""

    minimum: int
    maximum: int

    @property
    def value_type(self) -> object:
        return int if self.required or self.default is not None else int | None

    def _bounds_error(self) -> CommandError:
        return CommandError(
            f"{self.label} takes a whole number from {self.minimum} to {self.maximum}")

    def read(self, text: str) -> object:
        if not _DIGITS_RE.fullmatch(text):
            raise self._bounds_error()
        return int(text)

    def accept(self, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._bounds_error()
        if not self.minimum <= value <= self.maximum:
            raise self._bounds_error()
        return value


@dataclass(frozen=True, kw_only=True)
class Flag(Param):
    """An option that takes no value: ``--all``."""

    option: bool = True
    default: str | int | bool | None = False

    @property
    def value_type(self) -> object:
        return bool

    def usage(self) -> str:
        return f"[--{self.name}]"

    def accept(self, value: object) -> object:
        if not isinstance(value, bool):
            raise CommandError(f"{self.label} is a flag: given or not")
        return value


@dataclass(frozen=True)
class RoleId(Param):
    """A role's id (``<@&id>`` accepted)."""

    def accept(self, value: object) -> object:
        text = super().accept(value)
        if text is None:
            return None
        assert isinstance(text, str)
        try:
            return parse_mention(text.strip("<@&>"))
        except InvalidOptionError:
            raise CommandError(f"{self.label} takes a role id") from None


@dataclass(frozen=True, kw_only=True)
class Choice(Param):
    """One of a fixed set of words (case does not matter)."""

    #: The accepted values, as shown.
    choices: Sequence[str]

    def accept(self, value: object) -> object:
        text = super().accept(value)
        if text is None:
            return None
        assert isinstance(text, str)
        found = next((c for c in self.choices if c.lower() == text.lower()), None)
        if found is None:
            raise CommandError(f"{self.label} takes one of: {', '.join(self.choices)}")
        return found


def _is_control(ch: str) -> bool:
    # Line breaks and tabs are spaces between words; other control characters
    # (and lone surrogates, which no store can encode) are never wanted.
    return unicodedata.category(ch) in ("Cc", "Cs") and not ch.isspace()
