"""The gateway bot: Vigie's commands as Discord slash commands.

Every subcommand maps one to one onto a command of the command layer: the bot
rebuilds the command line in the command layer's grammar
(:data:`bot.commands._help.COMMAND_HELP`) from the typed options
(``/vigie-admin keywords add topic:gpu phrase:"h100 sxm"`` →
``keywords add gpu "h100 sxm"``), hands it to
:meth:`bot.chat.CommandHandler.handle` with a :class:`bot.chat.Caller`, and
renders the neutral reply as one Discord message (with Previous / Next
buttons, :class:`PageView`, when it has several pages). Queries (``subscribe``,
``recent``, ``search``) go into the line as typed, so their quotes and
operators mean what they mean on Slack; every other value is quoted so that
the command layer reads it back as exactly one word.

Discord honours ``default_member_permissions`` on top-level commands only
(discord.py ignores ``default_permissions`` on subcommands), so most admin
subcommands live under their own top-level command, ``/vigie-admin``, which
Discord shows only to members with Manage Server by default. ``subscribe``
and ``unsubscribe`` are admin-only too but stay under ``/vigie``, beside
``list`` and ``recent``, where a channel's members look for them. Neither
placement is a check: the bot checks every admin subcommand itself (Manage
Server, or a configured admin role or user), and the command layer checks
again.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot.chat import Caller, CommandHandler, CompletionKind
from bot.config import Config
from bot.exceptions import ConfigError
from bot.replies import Reply

from .destination import install_redaction
from .render import Message, reply_pages
from .settings import DiscordSettings, configure_endpoints

log = logging.getLogger(__name__)

#: A handler slower than this gets the interaction deferred ("Vigie is thinking…"):
#: Discord drops interactions not answered within 3 s.
DEFER_AFTER = 2.0

APOLOGY = "Sorry, something went wrong on Vigie's side. The error was logged; please try again."
NOT_ADMIN = ("/{command} is for Vigie admins: members with the Manage Server permission, "
             "or a role or user listed as admin in Vigie's configuration. Nothing was changed.")
NOT_IN_GUILD = "Vigie's commands work in a server channel."
ONLY_THE_ASKER = "Only the person who asked can page through these results."

#: Seconds after the last press when a paged answer's buttons stop working.
PAGE_TIMEOUT = 600.0

# The command layer's tokenizer opens a quoted phrase at any of these.
_OPENING_QUOTES = frozenset('"“”«„')


# -- the grammar ------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One typed option of a subcommand, and how it goes into the command line."""

    name: str
    description: str
    #: The option's Python type for discord.py: str, int, bool (a flag) or discord.Role.
    kind: Any = str
    required: bool = True
    #: A flag such as "--hours": written as ``--hours 24``; None: positional.
    flag: str | None = None
    #: What autocomplete proposes, if anything.
    complete: CompletionKind | None = None
    #: Bounds of an integer option.
    min_value: int | None = None
    max_value: int | None = None
    #: Written into the line as typed (a query: its quotes and operators count),
    #: instead of quoted as one word.
    raw: bool = False


@dataclass(frozen=True)
class Subcommand:
    """A slash subcommand: its path under ``/vigie`` (or ``/vigie-admin``) is the
    command line's leading words."""

    path: tuple[str, ...]
    description: str
    options: tuple[Option, ...] = ()
    #: Only Vigie admins may run it: the bot refuses others before the command layer.
    admin: bool = False
    #: An admin subcommand listed under ``/vigie`` rather than ``/vigie-admin``.
    public: bool = False

    @property
    def group(self) -> str:
        """The top-level command it lives under."""
        return "vigie-admin" if self.admin and not self.public else "vigie"

    @property
    def name(self) -> str:
        """``vigie subscribe``, ``vigie-admin sources add`` …"""
        return " ".join((self.group, *self.path))


_HOURS = Option("hours", "How far back to look, in hours (default 24)", int, False, "--hours",
                min_value=1, max_value=24 * 30)
_LIMIT = Option("limit", "How many items at most (default 5)", int, False, "--limit",
                min_value=1, max_value=25)
_TOPIC = Option("topic", "Topic id", complete="topic")
_PHRASE = Option("phrase", "A keyword or phrase; end with * for a prefix (gpu*)")
_SUBSCRIPTION = Option("subscription", "Subscription id, e.g. #3 (see /vigie list)",
                       complete="subscription")
_TZ = Option("tz", "Time zone of the times, e.g. Europe/Paris (default UTC)", required=False,
             flag="--tz")

#: Every subcommand, in the order Discord lists them; each builds a line of the
#: command layer's grammar (bot/commands/_help.py).
COMMANDS: tuple[Subcommand, ...] = (
    Subcommand(("subscribe",), "Send this channel alerts for a topic or a query (admins)", (
        Option("target", 'A topic id, or a query such as: "IA générative" OR (GPU Nvidia) '
                         "-crypto", complete="topic", raw=True),
        Option("limit", "At most N alerts per period, e.g. 10/h", required=False,
               flag="--limit"),
        Option("digest", "Group alerts: hourly, or daily@08:30", required=False,
               flag="--digest"),
        Option("quiet", "Hold alerts during quiet hours, e.g. 22:00-07:00", required=False,
               flag="--quiet"),
        _TZ,
        Option("mention", "A role to ping with each alert", discord.Role, False, "--mention"),
    ), admin=True, public=True),
    Subcommand(("unsubscribe",), "Stop a subscription of this channel (admins)", (
        Option("target", "Topic id, or subscription id such as #3",
               complete="subscription"),
    ), admin=True, public=True),
    Subcommand(("list",), "This channel's subscriptions", (
        Option("all", "Every channel of this server (admins)", bool, False, "--all"),
    )),
    Subcommand(("recent",), "The latest matched items", (
        Option("target", "A topic id or a query (default: this channel's subscriptions)",
               required=False, complete="topic", raw=True),
        _HOURS, _LIMIT,
    )),
    Subcommand(("search",), "Search every stored item", (
        Option("query", "Words to find; accents and case do not matter", raw=True),
        _HOURS, _LIMIT,
    )),
    Subcommand(("topics",), "Every topic with its keywords"),
    Subcommand(("status",), "Sources, last poll, items today, pending deliveries"),
    Subcommand(("help",), "How to use Vigie", (
        Option("command", "A command to explain", required=False),
    )),
    Subcommand(("keywords", "add"), "Add a keyword to a topic", (_TOPIC, _PHRASE), admin=True),
    Subcommand(("keywords", "remove"), "Remove a keyword from a topic", (_TOPIC, _PHRASE),
               admin=True),
    Subcommand(("topic", "create"), "Create a topic", (
        Option("topic_id", "The new topic's id (letters, digits, - _ .)"),
        Option("name", "Its display name", required=False),
    ), admin=True),
    Subcommand(("topic", "delete"), "Delete a topic", (
        Option("topic_id", "Topic id", complete="topic"),
    ), admin=True),
    Subcommand(("exclude", "add"), "Add an exclusion to a topic", (_TOPIC, _PHRASE),
               admin=True),
    Subcommand(("exclude", "remove"), "Remove an exclusion from a topic", (_TOPIC, _PHRASE),
               admin=True),
    Subcommand(("sources", "add"), "Watch a new feed (or a site's feed)", (
        Option("url", "Feed or site URL (http or https)"),
        Option("name", "A short name for it", required=False),
        Option("interval", "How often to poll it, e.g. 10m (default), 1h; at least 10s",
               required=False, flag="--interval"),
    ), admin=True),
    Subcommand(("sources", "remove"), "Stop watching a source", (
        Option("source", "Source name", complete="source"),
    ), admin=True),
    Subcommand(("sources", "list"), "Every source and its health", admin=True),
    Subcommand(("sources", "test"), "What a source would match right now", (
        Option("source", "Source name or feed URL", complete="source"),
    ), admin=True),
    Subcommand(("digest",), "Group a subscription's alerts into a digest", (
        _SUBSCRIPTION, Option("schedule", "hourly, daily@08:30, or off"), _TZ,
    ), admin=True),
    Subcommand(("quiet",), "Quiet hours of a subscription", (
        _SUBSCRIPTION, Option("window", "e.g. 22:00-07:00, or off"), _TZ,
    ), admin=True),
    Subcommand(("limit",), "Rate limit of a subscription", (
        _SUBSCRIPTION, Option("rate", "e.g. 10/h, 3/10m, or off"),
    ), admin=True),
    Subcommand(("resume",), "Resume a subscription paused after a delivery failure", (
        _SUBSCRIPTION,
    ), admin=True),
    Subcommand(("audit",), "Who changed what, and when", (
        Option("limit", "How many changes at most (default 10)", int, False, "--limit",
               min_value=1, max_value=100),
    ), admin=True),
)

_GROUP_DESCRIPTIONS = {
    "keywords": "Edit a topic's keywords", "topic": "Create or delete topics",
    "exclude": "Edit a topic's exclusions", "sources": "Manage the watched feeds",
}


def quote(arg: str) -> str:
    """``arg`` as one word of a command line: the command layer's tokenizer
    (:func:`bot.commands._grammar.tokenize`) reads it back as exactly ``arg``.

    Plain words stay as they are. Anything else is put in quotes: ``"…"``, or
    ``«…»`` around a stretch containing a ``"`` (the tokenizer has no escapes,
    but joins adjacent quoted stretches into one word). A word starting with
    ``--`` is quoted too, so a value never reads as an option. Line breaks
    become spaces.
    """
    if "\n" in arg or "\r" in arg:
        arg = " ".join(arg.split())
    if arg and not arg.startswith("--") and not any(
            c.isspace() or c in _OPENING_QUOTES for c in arg):
        return arg
    parts: list[str] = []
    chunk = ""
    for ch in arg:
        # A stretch may hold one of the two closing quotes, not both.
        if (ch == '"' and "»" in chunk) or (ch == "»" and '"' in chunk):
            parts.append(_enclose(chunk))
            chunk = ""
        chunk += ch
    parts.append(_enclose(chunk))
    return "".join(parts)


def _enclose(chunk: str) -> str:
    return f"«{chunk}»" if '"' in chunk else f'"{chunk}"'


def command_line(spec: Subcommand, values: Mapping[str, Any]) -> str:
    """The command layer's line for ``spec`` with the option ``values`` Discord sent."""
    words = list(spec.path)
    for opt in spec.options:
        value = values.get(opt.name)
        if value is None:
            continue
        if opt.kind is bool:  # a flag: present or not
            if value and opt.flag:
                words.append(opt.flag)
            continue
        text = str(value.id) if isinstance(value, discord.Role | discord.Object) else str(value)
        if opt.raw:
            text = " ".join(text.split())
            if not text:
                continue
        word = text if opt.raw else quote(text)
        words += [opt.flag, word] if opt.flag else [word]
    return " ".join(words)


# -- the client -------------------------------------------------------------------------


class VigieCommandTree(app_commands.CommandTree[discord.Client]):
    """The command tree, with an error handler that apologises and logs."""

    async def on_error(self, interaction: discord.Interaction[discord.Client],
                       error: app_commands.AppCommandError, /) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) \
            else error
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("discord: /%s failed (guild %s, channel %s, user %s)", command,
                  interaction.guild_id, interaction.channel_id, interaction.user.id,
                  exc_info=original)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(APOLOGY, ephemeral=True)
            else:
                await interaction.response.send_message(APOLOGY, ephemeral=True)
        except (discord.HTTPException, aiohttp.ClientError, OSError):
            log.warning("discord: could not send the apology for /%s", command)


class DiscordBot(discord.Client):
    """The Discord client serving ``/vigie`` and ``/vigie-admin``."""

    def __init__(self, settings: DiscordSettings, handler: CommandHandler, *,
                 guild_ready_timeout: float = 2.0, defer_after: float = DEFER_AFTER,
                 page_timeout: float = PAGE_TIMEOUT) -> None:
        # Vigie never joins voice: missing voice libraries deserve no warning.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        # No privileged intent: slash commands need none, only the guild list.
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents, guild_ready_timeout=guild_ready_timeout,
                         allowed_mentions=discord.AllowedMentions.none())
        self.settings = settings
        self.handler = handler
        self.defer_after = defer_after
        self.page_timeout = page_timeout
        self.tree = VigieCommandTree(self)
        #: Set once the gateway has sent every guild.
        self.ready_event = asyncio.Event()
        #: What each sync registered: (guild id or None, number of commands).
        self.synced: list[tuple[int | None, int]] = []
        self.user_group = app_commands.Group(
            name="vigie", description="Vigie news alerts", guild_only=True)
        self.admin_group = app_commands.Group(
            name="vigie-admin", description="Vigie administration (Manage Server)",
            guild_only=True, default_permissions=discord.Permissions(manage_guild=True))
        subgroups: dict[tuple[str, str], app_commands.Group] = {}
        for spec in COMMANDS:
            parent = self.admin_group if spec.group == "vigie-admin" else self.user_group
            for name in spec.path[:-1]:
                key = (parent.name, name)
                if key not in subgroups:
                    # A Group made with a parent adds itself to it.
                    subgroups[key] = app_commands.Group(
                        name=name, description=_GROUP_DESCRIPTIONS[name], parent=parent)
                parent = subgroups[key]
            parent.add_command(self._command(spec, parent))
        self.tree.add_command(self.user_group)
        self.tree.add_command(self.admin_group)

    # -- building commands --

    def _command(self, spec: Subcommand, parent: app_commands.Group
                 ) -> app_commands.Command[Any, ..., None]:
        async def callback(interaction: discord.Interaction[discord.Client],
                           **values: Any) -> None:
            await self.run_command(interaction, spec, values)

        params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=discord.Interaction)]
        for opt in spec.options:
            annotation: Any = opt.kind
            if opt.kind is int and (opt.min_value is not None or opt.max_value is not None):
                annotation = app_commands.Range[int, opt.min_value, opt.max_value]
            params.append(inspect.Parameter(
                opt.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation,
                default=inspect.Parameter.empty if opt.required else None))
        callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        described = app_commands.describe(**{o.name: o.description for o in spec.options})(
            callback)
        command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=spec.path[-1], description=spec.description, callback=described,
            parent=parent)
        for opt in spec.options:
            if opt.complete is not None:
                command.autocomplete(opt.name)(self._completer(opt.complete))
        return command

    def _completer(self, kind: CompletionKind) -> Callable[
            [discord.Interaction[discord.Client], str],
            Coroutine[Any, Any, list[app_commands.Choice[str]]]]:
        async def complete(interaction: discord.Interaction[discord.Client],
                           current: str) -> list[app_commands.Choice[str]]:
            caller = self.caller(interaction)
            if caller is None:
                return []
            try:
                values = await self.handler.complete(caller, kind, current)
            except Exception:
                log.exception("discord: completing %s %r failed", kind, current)
                return []
            return [app_commands.Choice(name=v[:100], value=v[:100]) for v in values[:25] if v]

        return complete

    # -- running commands --

    def caller(self, interaction: discord.Interaction[discord.Client]) -> Caller | None:
        """Who runs a command, for the command layer; None outside a guild."""
        if interaction.guild_id is None or interaction.channel_id is None:
            return None
        user = interaction.user
        perms = interaction.permissions
        roles: tuple[str, ...] = ()
        if isinstance(user, discord.Member):
            # The raw role ids: the guild's role cache may not know every role yet.
            roles = tuple(str(r) for r in user._roles)
        return Caller(
            platform="discord", workspace=str(interaction.guild_id),
            channel=str(interaction.channel_id), user=str(user.id),
            user_name=user.display_name, is_platform_admin=perms.manage_guild
            or perms.administrator, roles=roles,
            destination=f"discord:{interaction.channel_id}")

    def is_admin(self, caller: Caller) -> bool:
        """Manage Server, or a configured admin user or role."""
        return caller.is_platform_admin or caller.user in self.settings.admin_users \
            or any(r in self.settings.admin_roles for r in caller.roles)

    async def run_command(self, interaction: discord.Interaction[discord.Client],
                          spec: Subcommand, values: Mapping[str, Any]) -> None:
        """Check, hand the line to the command layer, answer with its reply."""
        caller = self.caller(interaction)
        if caller is None:
            await self.answer(interaction, Reply.error(NOT_IN_GUILD))
            return
        if spec.admin and not self.is_admin(caller):
            log.info("discord: refused /%s to user %s in guild %s", spec.name, caller.user,
                     caller.workspace)
            await self.answer(interaction, Reply.error(NOT_ADMIN.format(command=spec.name)))
            return
        line = command_line(spec, values)
        task = asyncio.ensure_future(self.handler.handle(caller, line))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        deferred_ephemeral: bool | None = None
        if not done:
            # Admin answers are private; others are public unless they turn out an error.
            deferred_ephemeral = spec.admin
            await interaction.response.defer(ephemeral=spec.admin, thinking=True)
        reply = await task
        await self.answer(interaction, reply, force_ephemeral=spec.admin,
                          deferred_ephemeral=deferred_ephemeral)

    async def answer(self, interaction: discord.Interaction[discord.Client], reply: Reply, *,
                     force_ephemeral: bool = False,
                     deferred_ephemeral: bool | None = None) -> None:
        """Send ``reply`` as the interaction's response: one message, with
        Previous / Next buttons when it has several pages."""
        ephemeral = reply.ephemeral or reply.is_error or force_ephemeral
        pages = reply_pages(reply, colors=self.settings.colors)
        view = PageView(pages, owner_id=interaction.user.id, timeout=self.page_timeout) \
            if len(pages) > 1 else None
        kwargs = _kwargs(pages[0])
        if view is not None:
            kwargs["view"] = view
        if deferred_ephemeral is None:
            await interaction.response.send_message(**kwargs, ephemeral=ephemeral)
            if view is not None:
                view.editor = interaction
            return
        if deferred_ephemeral != ephemeral and ephemeral:
            # The "thinking" message is public but the answer is private: replace it.
            await interaction.delete_original_response()
        sent = await interaction.followup.send(**kwargs, ephemeral=ephemeral, wait=True)
        if view is not None:
            view.message = sent

    # -- lifecycle --

    async def setup_hook(self) -> None:
        if not self.settings.sync_commands:
            return
        try:
            if self.settings.guilds:
                for gid in self.settings.guilds:
                    guild = discord.Object(gid)
                    self.tree.copy_global_to(guild=guild)
                    synced = await self.tree.sync(guild=guild)
                    self.synced.append((gid, len(synced)))
            else:
                synced = await self.tree.sync()
                self.synced.append((None, len(synced)))
        except discord.HTTPException as e:
            # The commands registered earlier keep working; say why these were not.
            log.error("discord: syncing slash commands failed: %s %s", e.status,
                      (e.text or "").splitlines()[0] if e.text else "")

    async def on_ready(self) -> None:
        log.info("discord: connected as %s to %d guild(s)", self.user, len(self.guilds))
        self.ready_event.set()


class _PageButton(discord.ui.Button["PageView"]):
    """Previous (``step`` -1) or Next (+1)."""

    def __init__(self, label: str, step: int) -> None:
        super().__init__(label=label, style=discord.ButtonStyle.secondary)
        self.step = step

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        if self.view is not None:
            await self.view.turn(interaction, self.step)


class PageView(discord.ui.View):
    """The Previous / Next buttons under a reply of several pages.

    Only the member who ran the command may turn the pages; anyone else is
    told so privately. Each button is disabled where it leads nowhere, and
    both once the view times out (``timeout`` seconds after the last press).
    """

    def __init__(self, pages: Sequence[Message], *, owner_id: int,
                 timeout: float = PAGE_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.pages = tuple(pages)
        self.owner_id = owner_id
        self.index = 0
        #: The latest interaction whose token may edit the message: the command's
        #: (when the answer was its response) or the last button press's.
        self.editor: discord.Interaction[discord.Client] | None = None
        #: The message, when it was sent as a followup.
        self.message: discord.WebhookMessage | None = None
        self.previous = _PageButton("Previous", -1)
        self.next = _PageButton("Next", +1)
        self.add_item(self.previous)
        self.add_item(self.next)
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction[discord.Client], /
                                ) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(ONLY_THE_ASKER, ephemeral=True)
        return False

    async def turn(self, interaction: discord.Interaction[discord.Client], step: int) -> None:
        """Show the page ``step`` away from the current one (within bounds)."""
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._sync_buttons()
        page = self.pages[self.index]
        # A component interaction's token stays valid 15 minutes from the press,
        # longer than the view's timeout from the same moment.
        self.editor = interaction
        await interaction.response.edit_message(
            content=page.content, embeds=[discord.Embed.from_dict(e) for e in page.embeds],
            view=self, allowed_mentions=discord.AllowedMentions.none())

    async def on_timeout(self) -> None:
        self.previous.disabled = self.next.disabled = True
        try:
            if self.editor is not None:
                await self.editor.edit_original_response(view=self)
            elif self.message is not None:
                await self.message.edit(view=self)
        except (discord.HTTPException, aiohttp.ClientError, OSError) as e:
            # The message may be gone, or its token expired: the buttons just stay.
            log.debug("discord: could not disable the page buttons: %s", e)

    async def on_error(self, interaction: discord.Interaction[discord.Client],
                       error: Exception, item: discord.ui.Item[Any], /) -> None:
        log.error("discord: turning a page failed (guild %s, channel %s, user %s)",
                  interaction.guild_id, interaction.channel_id, interaction.user.id,
                  exc_info=error)


def _kwargs(message: Message) -> dict[str, Any]:
    return {
        "content": message.content,
        "embeds": [discord.Embed.from_dict(e) for e in message.embeds],
        "allowed_mentions": discord.AllowedMentions.none(),
    }


# -- running it ---------------------------------------------------------------------------

#: Seconds between attempts to reach Discord at start, doubling up to the last.
RETRY_DELAYS: Sequence[float] = (5.0, 10.0, 30.0, 60.0, 300.0)


async def start_discord(config: Config, handler: CommandHandler, stop: asyncio.Event, *,
                        ready: asyncio.Event | None = None,
                        guild_ready_timeout: float = 2.0) -> None:
    """Run the Discord bot until ``stop`` is set.

    Reconnects by itself (discord.py resumes the gateway); when Discord
    cannot be reached at start it tries again with growing delays. Sets
    ``ready`` once connected. Raises ConfigError when there is no token or
    Discord refuses it.
    """
    settings = DiscordSettings.from_table(config.adapters.get("discord"))
    if not settings.token:
        raise ConfigError(config.path, [("discord.token", "is required to run the Discord bot")])
    configure_endpoints(settings.api_base, settings.gateway_url)
    install_redaction(settings.token)
    attempt = 0
    while not stop.is_set():
        client = DiscordBot(settings, handler, guild_ready_timeout=guild_ready_timeout)
        run = asyncio.ensure_future(client.start(settings.token))
        stopped = asyncio.ensure_future(stop.wait())
        watch = asyncio.ensure_future(_signal_ready(client, ready))
        try:
            await asyncio.wait({run, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            watch.cancel()
            await client.close()
            if not run.done():
                await asyncio.wait({run}, timeout=10)
        error = run.exception() if run.done() and not run.cancelled() else None
        if stop.is_set():
            return
        if isinstance(error, discord.LoginFailure):
            raise ConfigError(config.path, [("discord.token", "Discord refused the token")])
        if error is not None and not isinstance(
                error, OSError | aiohttp.ClientError | discord.HTTPException
                | discord.GatewayNotFound | discord.ConnectionClosed | TimeoutError):
            raise error
        if client.ready_event.is_set():
            attempt = 0  # it worked for a while: start the delays over
        delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
        attempt += 1
        log.warning("discord: connection failed (%s); trying again in %.0f s",
                    error.__class__.__name__ if error else "closed", delay)
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            continue


async def _signal_ready(client: DiscordBot, ready: asyncio.Event | None) -> None:
    await client.ready_event.wait()
    if ready is not None:
        ready.set()


async def run_chat(config: Config, handler: CommandHandler, stop: asyncio.Event) -> None:
    """``vigie run``'s entry (group ``vigie.chat``): the bot when a token is set.

    A ``[discord]`` table for webhooks only has no token: nothing to run.
    """
    table = config.adapters.get("discord") or {}
    if table.get("token"):
        await start_discord(config, handler, stop)
