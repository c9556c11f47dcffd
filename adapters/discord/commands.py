"""Vigie's commands as Discord slash commands, generated from the core's declarations.

Nothing here lists a command: :func:`command_groups` walks
:data:`bot.commands.COMMANDS`. A one-word command becomes a subcommand, a
two-word one (``keywords add``) a subcommand of a subcommand group, and each
declared parameter an option typed from its kind: text with its maximum
length, an integer with its bounds (``Range[int, 1, 25]``), a boolean for a
flag, a role, a fixed set of choices, and autocomplete where the declaration
names a completion. Discord's typed values go back to the core as they are
(a role as its id) through :meth:`bot.chat.CommandHandler.run`: no command
line is rebuilt.

Discord honours ``default_member_permissions`` on top-level commands only
(discord.py ignores ``default_permissions`` on subcommands), so the commands
a declaration lists with the administration ones live under their own
top-level command, ``/vigie-admin``, which Discord shows only to members
with Manage Server by default; the others (``subscribe`` and ``unsubscribe``
among them, admin-only but listed where a channel's members look) live under
``/vigie``. Neither placement is a check: the command layer checks every
admin command (Manage Server, or a configured admin role or user).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import discord
from discord import app_commands

from bot.chat import CompletionKind
from bot.commands import (
    COMMANDS,
    Choice,
    Command,
    CommandTable,
    Flag,
    Int,
    Listing,
    Param,
    RoleId,
)

#: The top-level command each listing of the declarations goes under.
TOP_LEVEL: dict[Listing, str] = {"general": "vigie", "admin": "vigie-admin"}

#: Runs a command with the options Discord sent (not given: absent).
OnCommand = Callable[[discord.Interaction[discord.Client], Command, dict[str, object]],
                     Awaitable[None]]
#: Completes the value being typed.
OnComplete = Callable[[discord.Interaction[discord.Client], CompletionKind, str],
                      Awaitable[list[app_commands.Choice[str]]]]


def qualified_name(command: Command) -> str:
    """How Discord users type it: ``vigie recent``, ``vigie-admin keywords add``."""
    return f"{TOP_LEVEL[command.listing]} {command.name}"


def command_groups(on_command: OnCommand, on_complete: OnComplete, *,
                   commands: CommandTable = COMMANDS) -> list[app_commands.Group]:
    """``/vigie`` and ``/vigie-admin``, with a subcommand for every declared command."""
    top = {
        "general": app_commands.Group(name=TOP_LEVEL["general"],
                                      description="Vigie news alerts", guild_only=True),
        "admin": app_commands.Group(
            name=TOP_LEVEL["admin"], description="Vigie administration (Manage Server)",
            guild_only=True, default_permissions=discord.Permissions(manage_guild=True)),
    }
    subgroups: dict[tuple[str, str], app_commands.Group] = {}
    for command in commands:
        parent = top[command.listing]
        if len(command.path) == 2:
            key = (parent.name, command.path[0])
            if key not in subgroups:
                group = commands.group_of(command.path[0])
                assert group is not None  # the table checks every path's group
                # A Group made with a parent adds itself to it.
                subgroups[key] = app_commands.Group(name=group.name, description=group.summary,
                                                    parent=parent)
            parent = subgroups[key]
        parent.add_command(_slash_command(command, parent, on_command, on_complete))
    return list(top.values())


def _slash_command(command: Command, parent: app_commands.Group, on_command: OnCommand,
                   on_complete: OnComplete) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction[discord.Client], **values: Any) -> None:
        await on_command(interaction, command,
                         {k: _core_value(v) for k, v in values.items() if v is not None})

    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=discord.Interaction)]
    params += [inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                 annotation=_annotation(p),
                                 default=inspect.Parameter.empty if p.required else None)
               for p in command.params]
    # discord.py reads the options from the callback's signature, as from a
    # handwritten ``async def`` with annotations.
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    decorated = app_commands.describe(**{p.name: p.description for p in command.params})(
        callback)
    choices = {p.name: [app_commands.Choice(name=c, value=c) for c in p.choices]
               for p in command.params if isinstance(p, Choice)}
    if choices:
        decorated = app_commands.choices(**choices)(decorated)
    slash: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=command.path[-1], description=command.summary, callback=decorated, parent=parent)
    for p in command.params:
        if p.complete is not None:
            slash.autocomplete(p.name)(_completer(p.complete, on_complete))
    return slash


def _annotation(param: Param) -> Any:
    """The type discord.py derives the option from."""
    if isinstance(param, Int):
        return app_commands.Range[int, param.minimum, param.maximum]
    if isinstance(param, Flag):
        return bool
    if isinstance(param, RoleId):
        return discord.Role
    if isinstance(param, Choice):
        return str
    return app_commands.Range[str, None, param.max_length]


def _core_value(value: Any) -> object:
    """A Discord option's value as the core takes it: a role (or an unresolved
    object) by its id."""
    if isinstance(value, discord.Role | discord.Object):
        return str(value.id)
    return value


def _completer(kind: CompletionKind, on_complete: OnComplete) -> Callable[
        [discord.Interaction[discord.Client], str],
        Coroutine[Any, Any, list[app_commands.Choice[str]]]]:
    async def complete(interaction: discord.Interaction[discord.Client], current: str
                       ) -> list[app_commands.Choice[str]]:
        return await on_complete(interaction, kind, current)

    return complete

