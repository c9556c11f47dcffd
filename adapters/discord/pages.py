"""Paged answers: one message with Previous / Next buttons (:class:`PageView`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord

from .render import Message

log = logging.getLogger(__name__)

ONLY_THE_ASKER = "Only the person who asked can page through these results."

#: Seconds after the last press when a paged answer's buttons stop working.
PAGE_TIMEOUT = 600.0


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
        await interaction.response.edit_message(**message_kwargs(page), view=self)

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


def message_kwargs(message: Message) -> dict[str, Any]:
    """How discord.py sends ``message``: embeds, and no mention ever pings."""
    return {
        "content": message.content,
        "embeds": [discord.Embed.from_dict(e) for e in message.embeds],
        "allowed_mentions": discord.AllowedMentions.none(),
    }
