"""The command layer: what Vigie's chat commands do, platform-neutral.

Each command is declared once (:data:`COMMANDS`, filled by the group modules
below); the text grammar, the help, the admin check and each platform's own
command tree are derived from the declarations.
"""

# The group modules declare their commands into COMMANDS when imported, in
# this order (the order of the help and of platform command lists).
from . import _reading, _subscriptions, _topics, _sources, _audit  # noqa: F401  isort: skip
from ._call import tenant_of
from ._context import AdminPolicy, CommandContext, ConfigView, Engine, ItemReader, OutboxControl
from ._declare import COMMANDS, Command, CommandTable, Group, Listing
from ._grammar import Token, tokenize
from ._layer import CommandLayer
from ._params import MAX_LINE_CHARS, Choice, Flag, Int, Param, Phrase, Query, RoleId, Text
from ._reading import MAX_HOURS

__all__ = [
    "COMMANDS",
    "MAX_HOURS",
    "MAX_LINE_CHARS",
    "AdminPolicy",
    "Choice",
    "Command",
    "CommandContext",
    "CommandLayer",
    "CommandTable",
    "ConfigView",
    "Engine",
    "Flag",
    "Group",
    "Int",
    "ItemReader",
    "Listing",
    "OutboxControl",
    "Param",
    "Phrase",
    "Query",
    "RoleId",
    "Text",
    "Token",
    "tenant_of",
    "tokenize",
]
