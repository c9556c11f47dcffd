"""Short help for every command, with examples."""

from __future__ import annotations

from dataclasses import dataclass

from ..replies import Code, Fields, Heading, Reply, Text


@dataclass(frozen=True)
class CommandHelp:
    #: How to type it.
    usage: str
    #: What it does, in one line.
    summary: str
    #: Examples.
    examples: tuple[str, ...] = ()
    #: Whether only admins may use it.
    admin: bool = False


COMMAND_HELP: dict[str, CommandHelp] = {
    "subscribe": CommandHelp(
        "subscribe <topic-id | query> [--limit 10/h] [--digest daily@08:30] "
        "[--quiet 22:00-07:00] [--tz Europe/Paris] [--mention <role id>]",
        "post new items matching a topic or a query in this channel",
        ("subscribe gpu", 'subscribe "IA générative" OR (GPU Nvidia) -crypto',
         "subscribe musk --digest daily@08:30 --tz Europe/Paris"), admin=True),
    "unsubscribe": CommandHelp("unsubscribe <topic-id | #subscription>",
                               "stop a subscription of this channel",
                               ("unsubscribe gpu", "unsubscribe #3"), admin=True),
    "list": CommandHelp("list [--all]", "this channel's subscriptions with their options "
                        "(--all: every channel of the workspace, admins only)",
                        ("list", "list --all")),
    "recent": CommandHelp("recent [topic-id | query] [--hours N] [--limit N]",
                          "the latest matched items, newest first (default: this channel's "
                          "subscriptions, 24 h, 5 items)",
                          ("recent", "recent gpu --hours 48", "recent Musk xAI --limit 10")),
    "search": CommandHelp("search <query> [--hours N] [--limit N]",
                          "full-text search over every stored item, accents and case ignored",
                          ("search musk", 'search "IA générative" -crypto --hours 72')),
    "topics": CommandHelp("topics", "every topic with its keywords"),
    "keywords": CommandHelp("keywords add|remove <topic-id> <phrase>",
                            "edit a topic's keywords (takes effect on the next poll)",
                            ("keywords add gpu H100", 'keywords remove gpu "carte graphique"'),
                            admin=True),
    "exclude": CommandHelp("exclude add|remove <topic-id> <phrase>",
                           "edit a topic's exclusions", ('exclude add gpu "GPU mining"',),
                           admin=True),
    "topic": CommandHelp("topic create|delete <topic-id> [name]",
                         "create or delete a topic of this workspace",
                         ('topic create quantum "Informatique quantique"', "topic delete quantum"),
                         admin=True),
    "sources": CommandHelp("sources add|remove|list|test <url | name> [name] [--interval 10m]",
                           "manage the watched feeds; `test` shows what a feed would match now",
                           ("sources add https://www.numerama.com/feed/ numerama",
                            "sources test numerama", "sources list"), admin=True),
    "digest": CommandHelp("digest <#subscription> <hourly | daily@HH:MM | off> [--tz Zone]",
                          "send a subscription's alerts as one digest",
                          ("digest #3 daily@08:30 --tz Europe/Paris", "digest #3 off"), admin=True),
    "quiet": CommandHelp("quiet <#subscription> <HH:MM-HH:MM | off> [--tz Zone]",
                         "hold alerts during quiet hours, then send them as a digest",
                         ("quiet #3 22:00-07:00 --tz Europe/Paris",), admin=True),
    "limit": CommandHelp("limit <#subscription> <N/period | off>",
                         "at most N alerts per period; the overflow is rolled into one message",
                         ("limit #3 10/h",), admin=True),
    "resume": CommandHelp("resume <#subscription | name>",
                          "resume a subscription Vigie paused after a delivery failed for good "
                          "(fix the cause first: channel access, token …)", ("resume #3",),
                          admin=True),
    "audit": CommandHelp("audit [--limit N]", "who changed what, when, in this workspace",
                         admin=True),
    "status": CommandHelp("status", "sources' health, last poll, items today, deliveries"),
    "help": CommandHelp("help [command]", "this help", ("help subscribe",)),
}


def help_reply(command: str | None) -> Reply:
    """General help, or one command's."""
    if command is None or command not in COMMAND_HELP:
        pairs = tuple((name + (" (admin)" if h.admin else ""), h.summary)
                      for name, h in COMMAND_HELP.items())
        blocks: list[Heading | Text | Fields | Code] = [Heading("Vigie commands"), Fields(pairs)]
        if command is not None:
            blocks.insert(0, Text(f"No command {command[:40]!r}."))
        blocks.append(Text("Queries: words and \"quoted phrases\" (all must match), OR, "
                           "( ), -word to exclude, word* for a prefix. `help <command>` "
                           "gives examples."))
        return Reply(tuple(blocks), ephemeral=True)
    h = COMMAND_HELP[command]
    blocks = [Heading(command), Text(h.summary + (" Admins only." if h.admin else "")),
              Code(h.usage)]
    if h.examples:
        blocks.append(Code("\n".join(h.examples)))
    return Reply(tuple(blocks), ephemeral=True)
