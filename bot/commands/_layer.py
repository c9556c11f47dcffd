"""The command layer: runs the declared commands for callers, the same on every platform.

Text lines (Slack, the console) and typed invocations (Discord's options)
meet here: both name a declared command, go through the same admin check and
the same argument checks, and reach the same handler. Every refusal and
every bad input comes back as an error :class:`bot.replies.Reply`, in one
place (:meth:`CommandLayer._answer`); nothing is changed for a non-admin.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Mapping, Sequence

from .._effective import visible_id
from .._metrics import NO_METRICS, CommandOutcome, Metrics
from ..chat import Caller, CompletionKind
from ..exceptions import CommandError, PermissionDeniedError, StorageError, VigieError
from ..replies import Reply
from ._call import Call, show, tenant_of
from ._context import CommandContext
from ._declare import COMMANDS, Command, CommandTable
from ._grammar import check_arguments, parse_arguments, resolve, split_line
from ._help import help_reply

log = logging.getLogger(__name__)

#: At most this many completions are offered.
MAX_COMPLETIONS = 25


class CommandLayer:
    """Runs commands for callers; implements :class:`bot.chat.CommandHandler`."""

    def __init__(self, context: CommandContext, *, commands: CommandTable = COMMANDS,
                 metrics: Metrics = NO_METRICS) -> None:
        #: What commands may use.
        self.context = context
        #: The declared commands.
        self.commands = commands
        #: Where answered commands are counted.
        self.metrics = metrics

    # -- entry points --

    async def handle(self, caller: Caller, text: str) -> Reply:
        """Run one command line (an empty one is the help). Never raises for bad
        input, refusals or storage trouble: those come back as an error reply
        safe to show."""
        named = _Named()
        return await self._answer(caller, self._run_line(caller, text, named), named)

    async def run(self, caller: Caller, path: Sequence[str],
                  arguments: Mapping[str, object]) -> Reply:
        """Run the command at ``path`` with typed ``arguments`` (None: not given),
        checked as a text line's would be. Never raises, as :meth:`handle`."""
        named = _Named()
        return await self._answer(caller, self._run_typed(caller, path, arguments, named),
                                  named)

    async def complete(self, caller: Caller, kind: CompletionKind, prefix: str) -> list[str]:
        """Up to 25 completions of ``prefix`` that ``caller`` may see."""
        call = Call(self.context, caller)
        prefix = prefix.lower()
        if kind == "topic":
            values = [visible_id(t.id) for t in call.visible_topics()]
        elif kind == "subscription":
            state = await call.state()
            values = [f"#{s.id}" for s in state.subscriptions
                      if s.tenant == call.tenant and s.channel == caller.channel]
        else:
            values = [s.name for s in self.context.engine.config.sources]
        return sorted(v for v in set(values) if v.lower().startswith(prefix.lstrip("#")) or
                      v.lower().startswith(prefix))[:MAX_COMPLETIONS]

    def is_admin(self, caller: Caller) -> bool:
        return self.context.admins.allows(caller)

    # -- running --

    async def _run_line(self, caller: Caller, text: str, named: _Named) -> Reply:
        tokens = split_line(text)
        if not tokens:
            named.command = "help"
            return help_reply(self.commands, None)
        command, rest = resolve(self.commands, tokens)
        named.command = command.name
        self._check_admin(caller, command)
        return await self._invoke(caller, command, parse_arguments(command, rest))

    async def _run_typed(self, caller: Caller, path: Sequence[str],
                         arguments: Mapping[str, object], named: _Named) -> Reply:
        command = self.commands.get(path)
        if command is None:
            raise CommandError(f"unknown command {show(' '.join(map(str, path)), 40)!r}",
                               hint="type `help` for the list")
        named.command = command.name
        self._check_admin(caller, command)
        return await self._invoke(caller, command, check_arguments(command, arguments))

    def _check_admin(self, caller: Caller, command: Command) -> None:
        """Raises :class:`PermissionDeniedError` for an admin command and a non-admin."""
        if command.admin and not self.is_admin(caller):
            raise PermissionDeniedError(command.name)

    async def _invoke(self, caller: Caller, command: Command,
                      arguments: dict[str, object]) -> Reply:
        for param in command.params:
            if param.admin and arguments[param.name] and not self.is_admin(caller):
                raise PermissionDeniedError(f"{command.name} {param.label}")
        reply = await command.handler(Call(self.context, caller), **arguments)
        return dataclasses.replace(reply, ephemeral=True) if command.admin else reply

    async def _answer(self, caller: Caller, work: Awaitable[Reply], named: _Named) -> Reply:
        """The reply of ``work``, or the error reply its refusal or failure calls for."""
        outcome: CommandOutcome = "error"
        try:
            reply = await work
            outcome = "error" if reply.is_error else "ok"
            return reply
        except PermissionDeniedError as e:
            outcome = "denied"
            log.info("refused %s to %s on %s", e.command, caller.user, tenant_of(caller))
            return Reply.error(e.user_message)
        except StorageError as e:
            outcome = "unavailable"
            log.error("storage error during a command: %s", e.user_message)
            return Reply.error("Vigie cannot reach its database right now; nothing was "
                               "changed. Try again in a minute.")
        except VigieError as e:  # CommandError and the rest of the tree: safe to show
            return Reply.error(e.user_message)
        finally:
            self.metrics.chat_command(caller.platform, named.command, outcome)


class _Named:
    """The command a call resolved to, for the metrics (``unknown`` until it does)."""

    command = "unknown"


__all__ = ["CommandLayer"]
