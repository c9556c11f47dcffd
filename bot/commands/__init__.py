"""The command layer: what Vigie's chat commands do, platform-neutral."""

from ._grammar import tokenize
from ._help import COMMAND_HELP
from ._layer import CommandLayer, tenant_of

__all__ = ["COMMAND_HELP", "CommandLayer", "tenant_of", "tokenize"]
