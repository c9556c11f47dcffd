"""What chat adapters hand to the command layer, and what they get back.

An adapter translates a platform event into a :class:`Caller` and either the
text of the command (Slack, the console: ``subscribe gpu --limit 10/h``) for
:meth:`CommandHandler.handle`, or the command's path and typed arguments
(Discord's options) for :meth:`CommandHandler.run`; it renders the neutral
:class:`bot.replies.Reply` natively. The commands themselves are declared in
:data:`bot.commands.COMMANDS`, which a platform with its own command tree
walks to build it. The core never sees a platform type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    async def run(self, caller: Caller, path: Sequence[str],
                  arguments: Mapping[str, object]) -> Reply:
        """Run the command declared at ``path`` (``("keywords", "add")``) with
        typed ``arguments`` by parameter name (None or absent: not given).
        The same checks as :meth:`handle`, and it never raises either."""

    async def complete(self, caller: Caller, kind: CompletionKind, prefix: str) -> list[str]:
        """Up to 25 completions of ``prefix`` visible to ``caller``."""

    def is_admin(self, caller: Caller) -> bool:
        """Whether ``caller`` administers Vigie: a platform admin, or a user or
        role listed as admin in the configuration (``admin_users``,
        ``admin_roles``). Adapters never read those lists themselves."""
