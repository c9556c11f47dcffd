"""The Discord adapter: alerts as embeds, and the ``/vigie`` slash commands.

Destinations (entry points of the ``vigie.destinations`` group):

- ``discord:<channel id>`` — :class:`DiscordAdapter`, posts as the bot;
- ``discord-webhook:<webhook URL>`` — :class:`DiscordWebhookAdapter`.

The ``[discord]`` table is described in :mod:`adapters.discord.settings`;
rendering (pure) is in :mod:`adapters.discord.markup` (limits, safe text)
and :mod:`adapters.discord.render` (the messages); the gateway bot with
the slash commands is in :mod:`adapters.discord.bot`, its command tree in
:mod:`adapters.discord.commands` and its paged answers in :mod:`adapters.discord.pages`.

Setting up the bot (for the README):

1. https://discord.com/developers/applications → New Application; in *Bot*,
   reset and copy the token into the ``DISCORD_TOKEN`` environment variable
   (the config says ``token = "${DISCORD_TOKEN}"``). No privileged gateway
   intent is needed: leave Presence, Server Members and Message Content off.
2. In *OAuth2 → URL Generator*, tick the scopes ``bot`` and
   ``applications.commands`` and the bot permissions *View Channels*,
   *Send Messages*, *Embed Links* (and *Send Messages in Threads* for
   threads); open the URL to add the bot to the server.
3. Copy channel ids with Developer Mode on (User Settings → Advanced), right
   click → Copy Channel ID: ``destination = "discord:<channel id>"``.
4. Optional: ``guilds = ["<server id>"]`` makes the slash commands appear at
   once in that server (global commands can take up to an hour the first
   time). ``/vigie-admin`` is shown to members with Manage Server; a server
   can grant it to other roles in Server Settings → Integrations, and
   ``admin_roles`` / ``admin_users`` make them Vigie admins.

A webhook needs no bot: Channel settings → Integrations → Webhooks → New
Webhook → Copy Webhook URL, then ``destination = "discord-webhook:<URL>"``
(add ``?thread_id=<id>`` to post in a thread). The URL is a secret.
"""

from __future__ import annotations

from .destination import (
    DiscordAdapter,
    DiscordChannelDestination,
    DiscordWebhookAdapter,
    DiscordWebhookDestination,
    alert_nonce,
    digest_nonce,
    parse_webhook_url,
    redact_webhook_url,
)
from .settings import DiscordSettings, configure_endpoints, settings_problems

# The bot module (discord.Client, slash commands) is imported on demand:
# ``from adapters.discord.bot import start_discord``.

__all__ = [
    "DiscordAdapter",
    "DiscordChannelDestination",
    "DiscordSettings",
    "DiscordWebhookAdapter",
    "DiscordWebhookDestination",
    "alert_nonce",
    "configure_endpoints",
    "digest_nonce",
    "parse_webhook_url",
    "redact_webhook_url",
    "settings_problems",
]
