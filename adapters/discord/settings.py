"""The ``[discord]`` configuration table, and where discord.py connects to.

::

    [discord]
    token = "${DISCORD_TOKEN}"          # the bot token (not needed for webhooks only)
    guilds = ["123456789012345678"]     # sync slash commands to these guilds (instant)
    admin_roles = ["234567890123456789"]
    admin_users = ["345678901234567890"]
    colors = { gpu = "#76b900" }        # embed colour per topic id
    webhook_username = "Vigie"          # display name of webhook alerts
    webhook_avatar_url = "https://example.org/vigie.png"
    sync_commands = true                # register /vigie at start
    api_base = "https://discord.com/api/v10"     # a REST proxy, or the test fake
    gateway_url = "wss://gateway.discord.gg/"

discord.py reads its REST base from the class attribute
``discord.http.Route.BASE`` and its first gateway from
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``; neither can be set per
client, so :func:`configure_endpoints` sets them for the whole process. That
is acceptable because one Vigie process talks to one Discord (or one proxy).
Webhook executions go to ``api_base`` too, whatever host their URL names:
discord.py takes only the webhook's id and token from the URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import discord.gateway
import discord.http
import yarl

from bot.config import key_path
from bot.exceptions import InvalidValueError

from .markup import parse_color

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"

_SNOWFLAKE_RE = re.compile(r"^\d{15,21}\Z")
KNOWN_KEYS = frozenset({
    "token", "guilds", "admin_roles", "admin_users", "api_base", "gateway_url", "colors",
    "webhook_username", "webhook_avatar_url", "sync_commands",
})


@dataclass(frozen=True)
class DiscordSettings:
    """The validated ``[discord]`` table."""

    #: The bot token; None when only webhooks are used.
    token: str | None = None
    #: Guild ids to sync slash commands to; empty means globally.
    guilds: tuple[int, ...] = ()
    #: REST base URL (with the API version), e.g. ``https://discord.com/api/v10``.
    api_base: str = DEFAULT_API_BASE
    #: Gateway URL for the first connection.
    gateway_url: str = DEFAULT_GATEWAY_URL
    #: Embed colour per topic id.
    colors: Mapping[str, int] = field(default_factory=dict)
    #: Display name of webhook alerts (None: the webhook's own).
    webhook_username: str | None = None
    #: Avatar of webhook alerts (None: the webhook's own).
    webhook_avatar_url: str | None = None
    #: Whether to register the slash commands at start.
    sync_commands: bool = True

    def __repr__(self) -> str:
        # The token must never reach a log through a repr.
        token = "<set>" if self.token else None
        return (f"DiscordSettings(token={token}, guilds={self.guilds}, api_base={self.api_base!r}, "
                f"gateway_url={self.gateway_url!r})")

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None) -> DiscordSettings:
        """Settings from a table that :func:`settings_problems` accepted
        (values it would reject are ignored)."""
        table = table or {}
        colors: dict[str, int] = {}
        raw_colors = table.get("colors")
        for topic, value in (raw_colors if isinstance(raw_colors, dict) else {}).items():
            try:
                colors[str(topic)] = parse_color(value)
            except InvalidValueError:
                continue
        token = table.get("token")

        def ids(key: str) -> list[object]:
            value = table.get(key)
            return [v for v in value if _is_snowflake(v)] if isinstance(value, list) else []

        return cls(
            token=token.strip() if isinstance(token, str) and token.strip() else None,
            guilds=tuple(int(str(g)) for g in ids("guilds")),
            api_base=str(table.get("api_base") or DEFAULT_API_BASE).rstrip("/"),
            gateway_url=str(table.get("gateway_url") or DEFAULT_GATEWAY_URL),
            colors=colors,
            webhook_username=table.get("webhook_username") or None,
            webhook_avatar_url=table.get("webhook_avatar_url") or None,
            sync_commands=bool(table.get("sync_commands", True)),
        )


def _is_snowflake(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0 and _SNOWFLAKE_RE.match(str(value)) is not None
    return isinstance(value, str) and _SNOWFLAKE_RE.match(value) is not None


def _url_problem(value: object, schemes: tuple[str, ...]) -> str | None:
    if not isinstance(value, str):
        return "expected a string"
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in schemes or not host:
        return "must be a " + " or ".join(f"{s}://" for s in schemes) + " URL"
    return None


def settings_problems(table: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem of a ``[discord]`` table, as ``(key, message)``.

    Messages never quote the token.
    """
    problems: list[tuple[str, str]] = []
    for key in table:
        if key not in KNOWN_KEYS:
            problems.append((key_path("", key), "unknown key"))
    token = table.get("token")
    if "token" in table:
        if not isinstance(token, str):
            problems.append(("token", "expected a string"))
        elif not token.strip():
            problems.append(("token", "is empty"))
        elif token.strip().lower().startswith("bot "):
            problems.append(("token", "write the token without the \"Bot \" prefix"))
        elif any(c.isspace() for c in token.strip()):
            problems.append(("token", "contains whitespace; is it the bot token?"))
    for key in ("guilds", "admin_roles", "admin_users"):
        if key not in table:
            continue
        value = table[key]
        if not isinstance(value, list):
            problems.append((key, "expected a list of ids"))
            continue
        for i, item in enumerate(value):
            if not _is_snowflake(item):
                problems.append((f"{key}[{i}]", "expected a Discord id (digits, as a string)"))
    if "api_base" in table:
        problem = _url_problem(table["api_base"], ("http", "https"))
        if problem:
            problems.append(("api_base", problem))
    if "gateway_url" in table:
        problem = _url_problem(table["gateway_url"], ("ws", "wss"))
        if problem:
            problems.append(("gateway_url", problem))
    if "colors" in table:
        colors = table["colors"]
        if not isinstance(colors, dict):
            problems.append(("colors", "expected a table of topic id = \"#rrggbb\""))
        else:
            for topic, value in colors.items():
                try:
                    parse_color(value)
                except InvalidValueError as e:
                    problems.append((key_path("colors", str(topic)), str(e)))
    if "webhook_username" in table:
        name = table["webhook_username"]
        if not isinstance(name, str):
            problems.append(("webhook_username", "expected a string"))
        elif not 1 <= len(name.strip()) <= 80:
            problems.append(("webhook_username", "must be 1 to 80 characters"))
        elif "discord" in name.lower() or "clyde" in name.lower():
            # Discord refuses such webhook names with a 400.
            problems.append(("webhook_username", "Discord refuses names containing "
                                                 "\"discord\" or \"clyde\""))
    if "webhook_avatar_url" in table:
        problem = _url_problem(table["webhook_avatar_url"], ("http", "https"))
        if problem:
            problems.append(("webhook_avatar_url", problem))
    if "sync_commands" in table and not isinstance(table["sync_commands"], bool):
        problems.append(("sync_commands", "expected true or false"))
    return problems


def configure_endpoints(api_base: str = DEFAULT_API_BASE,
                        gateway_url: str = DEFAULT_GATEWAY_URL) -> None:
    """Point discord.py (REST, webhooks, gateway) at ``api_base`` and ``gateway_url``.

    Process-wide: see the module docstring.
    """
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def current_endpoints() -> tuple[str, str]:
    """The REST base and gateway discord.py uses now."""
    return discord.http.Route.BASE, str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
