"""The gateway bot: Vigie's commands as Discord slash commands.

The commands are generated from the core's declarations
(:mod:`adapters.discord.commands`); an interaction reaches the command layer
as the command's path and its typed options
(:meth:`bot.chat.CommandHandler.run`, with a :class:`bot.chat.Caller`),
which checks them (admins included) as it checks a text line. The neutral
reply is rendered as one Discord message, with Previous / Next buttons
(:class:`adapters.discord.pages.PageView`) when it has several pages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import aiohttp
import discord
from discord import app_commands

from bot.chat import Caller, CommandHandler, CompletionKind
from bot.commands import Command
from bot.config import Config
from bot.exceptions import ConfigError
from bot.replies import Reply

from .commands import command_groups
from .destination import install_redaction
from .pages import PAGE_TIMEOUT, PageView, message_kwargs
from .render import render_reply_pages
from .settings import DiscordSettings, configure_endpoints

log = logging.getLogger(__name__)

#: A handler slower than this gets the interaction deferred ("Vigie is thinking…"):
#: Discord drops interactions not answered within 3 s.
DEFER_AFTER = 2.0

APOLOGY = "Sorry, something went wrong on Vigie's side. The error was logged; please try again."
NOT_IN_GUILD = "Vigie's commands work in a server channel."


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
        for group in command_groups(self.run_command, self.complete):
            self.tree.add_command(group)

    async def complete(self, interaction: discord.Interaction[discord.Client],
                       kind: CompletionKind, current: str) -> list[app_commands.Choice[str]]:
        """Autocomplete: what the command layer proposes for ``current``."""
        caller = self.caller(interaction)
        if caller is None:
            return []
        try:
            values = await self.handler.complete(caller, kind, current)
        except Exception:
            log.exception("discord: completing %s %r failed", kind, current)
            return []
        return [app_commands.Choice(name=v[:100], value=v[:100]) for v in values[:25] if v]

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

    async def run_command(self, interaction: discord.Interaction[discord.Client],
                          command: Command, values: dict[str, object]) -> None:
        """Hand the command and its typed options to the command layer, answer
        with its reply (deferred first when it is slow)."""
        caller = self.caller(interaction)
        if caller is None:
            await self.answer(interaction, Reply.error(NOT_IN_GUILD))
            return
        task = asyncio.ensure_future(self.handler.run(caller, command.path, values))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        deferred_ephemeral: bool | None = None
        if not done:
            # Admin answers are private; others are public unless they turn out an error.
            deferred_ephemeral = command.admin
            await interaction.response.defer(ephemeral=command.admin, thinking=True)
        reply = await task
        await self.answer(interaction, reply, force_ephemeral=command.admin,
                          deferred_ephemeral=deferred_ephemeral)

    async def answer(self, interaction: discord.Interaction[discord.Client], reply: Reply, *,
                     force_ephemeral: bool = False,
                     deferred_ephemeral: bool | None = None) -> None:
        """Send ``reply`` as the interaction's response: one message, with
        Previous / Next buttons when it has several pages."""
        ephemeral = reply.ephemeral or reply.is_error or force_ephemeral
        pages = render_reply_pages(reply, colors=self.settings.colors)
        view = PageView(pages, owner_id=interaction.user.id, timeout=self.page_timeout) \
            if len(pages) > 1 else None
        kwargs = message_kwargs(pages[0])
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


async def run_chat(config: Config, handler: CommandHandler, stop: asyncio.Event, *,
                   http: object = None) -> None:
    """``vigie run``'s entry (group ``vigie.chat``): the bot when a token is set.

    A ``[discord]`` table for webhooks only has no token: nothing to run.
    Discord reaches the bot through its gateway: ``http``, the public
    server, is not needed.
    """
    table = config.adapters.get("discord") or {}
    if table.get("token"):
        await start_discord(config, handler, stop)
