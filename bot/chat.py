"""What chat adapters hand to the command layer, and what they get back.

An adapter translates a platform event into a :class:`Caller` and the text of
the command (Slack grammar: ``subscribe gpu --limit 10/h``), calls
:meth:`CommandHandler.handle`, and renders the neutral
:class:`bot.replies.Reply` natively. The core never sees a platform type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from .replies import Reply

#: What an adapter may ask completions for (Discord autocomplete).
CompletionKind = Literal["topic", "subscription", "source"]


@dataclass(frozen=True)
class Caller:
    """Who runs a command, and where."""

    #: "discord", "slack" or "console".
    platform: str
    #: The Discord guild id, the Slack team id, or "console".
    workspace: str
    #: The channel id the command was typed in.
    channel: str
    #: The user's platform id.
    user: str
    #: A display name for the audit log.
    user_name: str = ""
    #: Whether the platform says the user administers the workspace (Discord
    #: Manage Server, Slack workspace admin/owner); the adapter supplies it.
    is_platform_admin: bool = False
    #: The user's role ids (Discord), for configured admin roles.
    roles: tuple[str, ...] = ()
    #: Where alerts for this channel go ("discord:123", "slack:C1", "console").
    destination: str = "console"


class CommandHandler(Protocol):
    """The command layer as adapters see it."""

    async def handle(self, caller: Caller, text: str) -> Reply:
        """Run one command line; never raises for bad input or refusals
        (they come back as an error :class:`Reply`)."""

    async def complete(self, caller: Caller, kind: CompletionKind, prefix: str) -> list[str]:
        """Up to 25 completions of ``prefix`` visible to ``caller``."""
