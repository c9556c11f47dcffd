"""One exception tree: every error Vigie raises on purpose is a VigieError,
and errors about bad input are also ValueErrors."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import bot.exceptions as exceptions
from adapters.slack.app import SlackUnavailableError
from bot.exceptions import (
    CommandDeclarationError,
    CorruptDataError,
    InvalidOptionError,
    InvalidTermError,
    InvalidValueError,
    NaiveDatetimeError,
    PlatformUnavailableError,
    ResolutionBlockedError,
    RuleError,
    VigieError,
)

ROOT = Path(__file__).resolve().parent.parent


def test_every_exception_is_in_the_tree() -> None:
    classes = [c for _, c in inspect.getmembers(exceptions, inspect.isclass)
               if issubclass(c, BaseException) and c.__module__ == exceptions.__name__]
    assert len(classes) > 20
    assert all(issubclass(c, VigieError) for c in classes)
    for bad_input in (InvalidValueError, InvalidOptionError, InvalidTermError, RuleError,
                      CorruptDataError, NaiveDatetimeError, CommandDeclarationError):
        assert issubclass(bad_input, ValueError), bad_input
    # aiohttp's connector keeps a resolver's OSError as the cause of its error.
    assert issubclass(ResolutionBlockedError, OSError)
    assert issubclass(SlackUnavailableError, PlatformUnavailableError)


def test_the_core_and_the_adapters_raise_no_bare_value_error() -> None:
    # Bad input raises an error of the tree (a ValueError too); TypeError and
    # RuntimeError stay for programming errors (a wrong type, a closed fetcher).
    bare: list[str] = []
    for path in sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "adapters").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(exc, ast.Name) and exc.id in ("ValueError", "Exception"):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []
