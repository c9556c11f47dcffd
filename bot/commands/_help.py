"""The help, generated from the command declarations."""

from __future__ import annotations

from ..replies import Code, Fields, Heading, Reply, Text
from ._declare import CommandTable

QUERY_HELP = ("Queries: words and \"quoted phrases\" (all must match), OR, ( ), -word to "
              "exclude, word* for a prefix. `help <command>` gives examples.")


def help_reply(table: CommandTable, name: str | None) -> Reply:
    """The list of commands, or the help of the command (or group) ``name``."""
    if name is None:
        pairs = []
        for first in table.names:
            summary, admin = _summary(table, first)
            pairs.append((first + (" (admin)" if admin else ""), summary))
        return Reply((Heading("Vigie commands"), Fields(tuple(pairs)), Text(QUERY_HELP)),
                     ephemeral=True)
    commands = table.under(name)
    summary, admin = _summary(table, name)
    details = "".join(f" {c.details}" for c in commands if c.details)
    blocks: list[Heading | Text | Code] = [
        Heading(name), Text(f"{summary}.{details}" + (" Admins only." if admin else "")),
        Code("\n".join(c.usage for c in commands))]
    examples = [e for c in commands for e in c.examples]
    if examples:
        blocks.append(Code("\n".join(examples)))
    return Reply(tuple(blocks), ephemeral=True)


def _summary(table: CommandTable, name: str) -> tuple[str, bool]:
    """What the command or group ``name`` does, and whether it is for admins only."""
    commands = table.under(name)
    group = table.group_of(name)
    return (group.summary if group else commands[0].summary), all(c.admin for c in commands)
