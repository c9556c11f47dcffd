"""A local Discord: enough of REST API v10 and the gateway for the real discord.py.

Usage::

    async with FakeDiscord() as fake:
        guild = fake.add_guild(channels=["general"])
        channel = guild.channel_ids[0]
        configure_endpoints(fake.api_base, fake.gateway_url)   # point discord.py here
        ... post as the bot with token fake.token ...
        assert fake.messages(channel)[0]["embeds"][0]["title"] == "…"
        fake.fail_next(channel, 429, count=3, retry_after=0.05)

Messages made by interaction answers are kept (:meth:`FakeDiscord.interaction_message`)
and follow their edits (UPDATE_MESSAGE callbacks, PATCH of ``@original`` or a
followup), so a test can press one of their buttons: a MESSAGE_COMPONENT
interaction from :meth:`FakeDiscord.component_interaction`, injected with
:meth:`FakeDiscord.inject_interaction` like a command.

What it checks, as Discord does: the ``Authorization: Bot <token>`` header
(401 otherwise), every posted message against Discord's limits (400 with code
50035 and Discord's nested ``errors``), unknown channels (404, code 10003),
channels the bot may not post in (403, code 50001), webhook ids and tokens,
interaction tokens and double acknowledgements, the callback types each
kind of interaction allows, message components (at most 5 action rows of at
most 5 buttons, custom ids of at most 100 characters, unique; labels of at
most 80), the nonce of ``enforce_nonce`` messages (the same message comes
back instead of a duplicate), synced command definitions (names, descriptions,
options, choices, string lengths) and the option values its client would send.
It computes which mentions a message really pings from its content and
``allowed_mentions`` (``mention_everyone``, ``mention_roles``, ``mentions`` in
each recorded message), like Discord.

Protocol details discord.py depends on: JSON responses carry
``Content-Type: application/json`` exactly (with a charset discord.py reads
the body as text); discord.py retries a 429 only when it has a ``Via``
header; the gateway speaks uncompressed JSON text frames even when the
client asks for ``compress=zlib-stream`` (discord.py accepts both); an
interaction needs ``attachment_size_limit``; a callback ``?with_response=1``
answers ``{"interaction": {"id", "type", "response_message_id", …},
"resource": {"type", "message"}}``, where discord.py finds the message id it
keys a view's buttons by (a press is routed by ``message.id`` and
``data.custom_id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

API_VERSION = 10
DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
USE_APPLICATION_COMMANDS = 1 << 31
#: What an ordinary member may do in a channel.
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | USE_APPLICATION_COMMANDS

# Gateway opcodes.
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME = 0, 1, 2, 6
OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 9, 10, 11

EPHEMERAL = 1 << 6

_JSON = "application/json"


def snowflake_at(ms: int, counter: int) -> str:
    """A snowflake id for a Unix time in milliseconds."""
    return str(((ms - DISCORD_EPOCH_MS) << 22) | (counter & 0xFFF))


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds")


def _now_iso() -> str:
    return _iso(datetime.now(UTC))


# -- payload validation (pure) -------------------------------------------------


class _Errors:
    """Collects Discord's nested ``errors`` object."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: Iterable[str | int], code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def __bool__(self) -> bool:
        return bool(self.tree)


def _max_len(errors: _Errors, path: list[str | int], value: Any, limit: int) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        errors.add(path, "STRING_TYPE_CONVERT", "Could not interpret value as string.")
    elif len(value) > limit:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _url(errors: _Errors, path: list[str | int], value: Any) -> None:
    if value is None:
        return
    ok = isinstance(value, str) and len(value) <= 2048 and not any(c.isspace() for c in value)
    if ok:
        try:
            parts = urlsplit(value)
            ok = (parts.scheme in ("http", "https") and bool(parts.hostname)) \
                or parts.scheme == "attachment"
        except ValueError:
            ok = False
    if not ok:
        errors.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def embed_size(embed: Mapping[str, Any]) -> int:
    """Characters of an embed counted toward the 6,000 of a message."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or ():
        if isinstance(f, dict):
            total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def _validate_embed(errors: _Errors, i: int, embed: Any) -> None:
    base: list[str | int] = ["embeds", i]
    if not isinstance(embed, dict):
        errors.add(base, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    _max_len(errors, [*base, "title"], embed.get("title"), 256)
    _max_len(errors, [*base, "description"], embed.get("description"), 4096)
    _url(errors, [*base, "url"], embed.get("url"))
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or isinstance(color, bool)
                              or not 0 <= color <= 0xFFFFFF):
        errors.add([*base, "color"], "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    ts = embed.get("timestamp")
    if ts is not None:
        try:
            datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
        except ValueError:
            errors.add([*base, "timestamp"], "DATE_TIME_TYPE_PARSE",
                       "Could not parse " + str(ts)[:40])
    footer = embed.get("footer")
    if footer is not None:
        if not isinstance(footer, dict) or not footer.get("text"):
            errors.add([*base, "footer", "text"], "BASE_TYPE_REQUIRED", "This field is required")
        else:
            _max_len(errors, [*base, "footer", "text"], footer.get("text"), 2048)
            _url(errors, [*base, "footer", "icon_url"], footer.get("icon_url"))
    author = embed.get("author")
    if author is not None:
        if not isinstance(author, dict) or not author.get("name"):
            errors.add([*base, "author", "name"], "BASE_TYPE_REQUIRED", "This field is required")
        else:
            _max_len(errors, [*base, "author", "name"], author.get("name"), 256)
            _url(errors, [*base, "author", "url"], author.get("url"))
            _url(errors, [*base, "author", "icon_url"], author.get("icon_url"))
    for key in ("thumbnail", "image"):
        part = embed.get(key)
        if part is not None:
            if not isinstance(part, dict) or not part.get("url"):
                errors.add([*base, key, "url"], "BASE_TYPE_REQUIRED", "This field is required")
            else:
                _url(errors, [*base, key, "url"], part.get("url"))
    fields = embed.get("fields")
    if fields is not None:
        if not isinstance(fields, list):
            errors.add([*base, "fields"], "LIST_TYPE_CONVERT",
                       "Only iterables may be used in a ListType")
            return
        if len(fields) > 25:
            errors.add([*base, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            fpath: list[str | int] = [*base, "fields", j]
            if not isinstance(f, dict):
                errors.add(fpath, "DICT_TYPE_CONVERT",
                           "Only dictionaries may be used in a DictType")
                continue
            for key, limit in (("name", 256), ("value", 1024)):
                if not f.get(key):
                    errors.add([*fpath, key], "BASE_TYPE_REQUIRED", "This field is required")
                else:
                    _max_len(errors, [*fpath, key], f.get(key), limit)


#: Button styles: primary, secondary, success, danger, link, premium.
_LINK_STYLE, _PREMIUM_STYLE = 5, 6
#: Select menus (string, user, role, mentionable, channel): one fills an action row.
_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


def _validate_components(errors: _Errors, components: Any) -> None:
    """Discord's checks on message components (action rows of buttons or a select)."""
    if not isinstance(components, list):
        errors.add(["components"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        return
    if len(components) > 5:
        errors.add(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for i, row in enumerate(components):
        rpath: list[str | int] = ["components", i]
        if not isinstance(row, dict) or row.get("type") != 1:
            errors.add([*rpath, "type"], "UNION_TYPE_CHOICES",
                       'Value of field "type" must be one of (1,).')
            continue
        children = row.get("components")
        if not isinstance(children, list) or not 1 <= len(children) <= 5:
            errors.add([*rpath, "components"], "BASE_TYPE_BAD_LENGTH",
                       "Must be between 1 and 5 in length.")
            continue
        for j, child in enumerate(children):
            cpath: list[str | int] = [*rpath, "components", j]
            if not isinstance(child, dict):
                errors.add(cpath, "DICT_TYPE_CONVERT",
                           "Only dictionaries may be used in a DictType")
                continue
            kind = child.get("type")
            if kind in _SELECT_TYPES:
                if len(children) > 1:
                    errors.add(rpath, "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                               "The specified component exceeds the maximum width")
                _custom_id(errors, cpath, child.get("custom_id"), seen)
                continue
            if kind != 2:
                errors.add([*cpath, "type"], "UNION_TYPE_CHOICES",
                           'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).')
                continue
            style = child.get("style")
            if not isinstance(style, int) or isinstance(style, bool) or not 1 <= style <= 6:
                errors.add([*cpath, "style"], "BASE_TYPE_CHOICES",
                           "Value must be one of (1, 2, 3, 4, 5, 6).")
                continue
            _max_len(errors, [*cpath, "label"], child.get("label"), 80)
            if style == _LINK_STYLE:
                if child.get("custom_id") is not None:
                    errors.add([*cpath, "custom_id"], "BUTTON_COMPONENT_LINK_CUSTOM_ID",
                               "A link button cannot have a custom id")
                if child.get("url") is None:
                    errors.add([*cpath, "url"], "BASE_TYPE_REQUIRED", "This field is required")
                _url(errors, [*cpath, "url"], child.get("url"))
            elif style != _PREMIUM_STYLE:
                if child.get("url") is not None:
                    errors.add([*cpath, "url"], "BUTTON_COMPONENT_URL_NON_LINK",
                               "Only link buttons can have a url")
                _custom_id(errors, cpath, child.get("custom_id"), seen)
            if style != _PREMIUM_STYLE and not child.get("label") and not child.get("emoji"):
                errors.add([*cpath], "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED",
                           "A button needs a label or an emoji")


def _custom_id(errors: _Errors, path: list[str | int], value: Any, seen: set[str]) -> None:
    if not isinstance(value, str) or not value:
        errors.add([*path, "custom_id"], "BASE_TYPE_REQUIRED", "This field is required")
        return
    _max_len(errors, [*path, "custom_id"], value, 100)
    if value in seen:
        errors.add([*path, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED",
                   "Component custom id cannot be duplicated")
    seen.add(value)


def validate_message(payload: Any, *, webhook: bool = False,
                     edit: bool = False) -> dict[str, Any] | None:
    """Discord's verdict on a message body: None when accepted, else the 400 error body.

    ``edit``: the body of an edit, which need not carry any content.
    """
    if not isinstance(payload, dict):
        return {"message": "Invalid Form Body", "code": 50035,
                "errors": {"_errors": [{"code": "DICT_TYPE_CONVERT",
                                        "message": "Only dictionaries may be used in a DictType"}]}}
    errors = _Errors()
    _max_len(errors, ["content"], payload.get("content"), 2000)
    embeds = payload.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            errors.add(["embeds"], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
            embeds = []
        elif len(embeds) > 10:
            errors.add(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        for i, embed in enumerate(embeds):
            _validate_embed(errors, i, embed)
        total = sum(embed_size(e) for e in embeds if isinstance(e, dict))
        if total > 6000:
            errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED",
                       "Embed size exceeds maximum size of 6000")
    if payload.get("components") is not None:
        _validate_components(errors, payload["components"])
    nonce = payload.get("nonce")
    if nonce is not None:
        if isinstance(nonce, str):
            _max_len(errors, ["nonce"], nonce, 25)
        elif not isinstance(nonce, int) or isinstance(nonce, bool):
            errors.add(["nonce"], "STRING_TYPE_CONVERT", "Could not interpret value as string.")
    am = payload.get("allowed_mentions")
    if am is not None:
        if not isinstance(am, dict):
            errors.add(["allowed_mentions"], "DICT_TYPE_CONVERT",
                       "Only dictionaries may be used in a DictType")
        else:
            parse = am.get("parse", [])
            if not isinstance(parse, list) or any(p not in ("roles", "users", "everyone")
                                                  for p in parse):
                errors.add(["allowed_mentions", "parse"], "BASE_TYPE_CHOICES",
                           "Value must be one of {'roles', 'users', 'everyone'}.")
                parse = []
            for kind in ("roles", "users"):
                ids = am.get(kind)
                if ids is None:
                    continue
                if not isinstance(ids, list) or len(ids) > 100:
                    errors.add(["allowed_mentions", kind], "BASE_TYPE_MAX_LENGTH",
                               "Must be 100 or fewer in length.")
                elif ids and kind in parse:
                    errors.add(["allowed_mentions"], "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                               f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.')
    if webhook:
        name = payload.get("username")
        if name is not None:
            if not isinstance(name, str) or not 1 <= len(name) <= 80:
                errors.add(["username"], "BASE_TYPE_BAD_LENGTH",
                           "Must be between 1 and 80 in length.")
            elif "discord" in name.lower() or "clyde" in name.lower():
                errors.add(["username"], "USERNAME_INVALID_CONTAINS",
                           "Username cannot contain \"discord\"")
        _url(errors, ["avatar_url"], payload.get("avatar_url"))
    if errors:
        return {"message": "Invalid Form Body", "code": 50035, "errors": errors.tree}
    if edit:
        return None
    if not payload.get("content") and not payload.get("embeds") \
            and not payload.get("components") and not payload.get("sticker_ids"):
        return {"message": "Cannot send an empty message", "code": 50006}
    return None


def pinged(payload: Mapping[str, Any]) -> tuple[bool, list[str], list[str]]:
    """What a message's content really pings: (everyone/here, role ids, user ids).

    Embeds never ping; ``allowed_mentions`` filters what the content names,
    and parses everything when absent, as Discord does.
    """
    content = str(payload.get("content") or "")
    am = payload.get("allowed_mentions")
    parse = {"everyone", "roles", "users"} if am is None else set(am.get("parse") or [])
    allowed_roles = set(map(str, (am or {}).get("roles") or []))
    allowed_users = set(map(str, (am or {}).get("users") or []))
    everyone = "everyone" in parse and re.search(r"@(everyone|here)", content) is not None
    roles = [r for r in re.findall(r"<@&(\d+)>", content)
             if "roles" in parse or r in allowed_roles]
    users = [u for u in re.findall(r"<@!?(\d+)>", content)
             if "users" in parse or u in allowed_users]
    return everyone, roles, users


# -- the server ----------------------------------------------------------------


@dataclass(frozen=True)
class FakeMember:
    """A guild member who runs commands."""

    user_id: str
    username: str = "member"
    #: Role ids.
    roles: tuple[str, ...] = ()
    #: Permissions in the channel (bitfield); add MANAGE_GUILD for a server admin.
    permissions: int = MEMBER_PERMISSIONS


@dataclass
class FakeGuild:
    """A guild the bot is in."""

    id: str
    name: str
    owner_id: str
    #: Channel id → channel object.
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Role id → role object (the @everyone role has the guild's id).
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def channel_ids(self) -> list[str]:
        return [cid for cid, c in self.channels.items() if c["type"] == 0]


@dataclass
class _Failure:
    status: int
    retry_after: float
    via: bool
    is_global: bool


@dataclass
class InteractionRecord:
    """One answer the bot gave to an interaction."""

    #: The interaction's id.
    interaction_id: str
    #: "callback" (the initial response), "followup" or "edit" (of the original).
    kind: str
    #: The callback type (4 message, 5 deferred, 8 autocomplete …); None for followups/edits.
    type: int | None
    #: The callback's data, or the message body of a followup or edit.
    data: dict[str, Any]
    #: The message this answer created or changed, if any (its current state:
    #: :meth:`FakeDiscord.interaction_message`).
    message_id: str | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)


@dataclass
class _Interaction:
    id: str
    token: str
    guild_id: str | None
    channel_id: str
    user: dict[str, Any] = field(default_factory=dict)
    #: 2 application command, 3 message component, 4 autocomplete, 5 modal submit.
    type: int = 2
    #: The message "@original" names: the response's, or the component's message.
    original_id: str | None = None
    responded: bool = False
    answered: asyncio.Event = field(default_factory=asyncio.Event)


class FakeDiscord:
    """A Discord on 127.0.0.1 for one test."""

    def __init__(self, *, token: str | None = None, bot_name: str = "Vigie",
                 heartbeat_interval_ms: int = 41250) -> None:
        #: The bot token the fake accepts.
        self.token = token or f"fake.{secrets.token_urlsafe(24)}"
        self.bot_name = bot_name
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._ids = itertools.count(1)
        self.application_id = self.new_id()
        self.bot_user: dict[str, Any] = {
            "id": self.application_id, "username": bot_name, "discriminator": "0",
            "global_name": None, "avatar": None, "bot": True, "flags": 0, "verified": True,
            "mfa_enabled": False, "public_flags": 0,
        }
        self.owner_id = self.new_id()
        self.guilds: dict[str, FakeGuild] = {}
        self._channel_guild: dict[str, str | None] = {}
        self._forbidden: set[str] = set()
        self._messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._nonces: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._failures: dict[str, list[_Failure]] = defaultdict(list)
        #: Webhook id → (token, channel id).
        self._webhooks: dict[str, tuple[str, str]] = {}
        #: Global commands, and guild commands by guild id, as the last PUT left them.
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[str, list[dict[str, Any]]] = {}
        #: Every PUT of commands: (guild id or None, the body).
        self.command_syncs: list[tuple[str | None, list[dict[str, Any]]]] = []
        #: Every answer to an interaction, in order.
        self.interaction_responses: list[InteractionRecord] = []
        #: Every IDENTIFY payload received.
        self.identifies: list[dict[str, Any]] = []
        #: Every REST request: (method, path with query, headers, JSON body or None).
        self.requests: list[tuple[str, str, Mapping[str, str], Any]] = []
        self._interactions: dict[str, _Interaction] = {}
        #: Messages made by interaction answers (responses and followups), by id.
        self._interaction_messages: dict[str, dict[str, Any]] = {}
        self._sockets: list[_GatewaySession] = []
        self._ready = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle --

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v{version:\\d+}/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        for session in list(self._sockets):
            with contextlib.suppress(Exception):
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        """The REST base URL (what ``[discord] api_base`` takes)."""
        return f"http://127.0.0.1:{self.port}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        """The gateway URL (what ``[discord] gateway_url`` takes)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- set-up --

    def new_id(self) -> str:
        """A fresh snowflake."""
        return snowflake_at(int(time.time() * 1000), next(self._ids))

    def add_guild(self, *, name: str = "Test guild", channels: Iterable[str] = ("general",),
                  roles: Iterable[str] = (), guild_id: str | None = None) -> FakeGuild:
        """A guild the bot is in, with text channels and roles (by name)."""
        gid = guild_id or self.new_id()
        guild = FakeGuild(gid, name, self.owner_id)
        guild.roles[gid] = self._role(gid, "@everyone", MEMBER_PERMISSIONS, 0)
        for i, rname in enumerate(roles, start=1):
            rid = self.new_id()
            guild.roles[rid] = self._role(rid, rname, 0, i)
        for i, cname in enumerate(channels):
            self.add_channel(guild=guild, name=cname, position=i)
        self.guilds[gid] = guild
        return guild

    def role_id(self, guild: FakeGuild, name: str) -> str:
        """The id of a guild's role by name."""
        return next(rid for rid, r in guild.roles.items() if r["name"] == name)

    @staticmethod
    def _role(rid: str, name: str, permissions: int, position: int) -> dict[str, Any]:
        return {"id": rid, "name": name, "color": 0, "colors": {"primary_color": 0},
                "hoist": False, "icon": None, "unicode_emoji": None, "position": position,
                "permissions": str(permissions), "managed": False, "mentionable": False,
                "flags": 0}

    def add_channel(self, *, guild: FakeGuild | None = None, name: str = "general",
                    position: int = 0, parent_id: str | None = None) -> str:
        """A text channel (or a thread of ``parent_id``) the bot can post in; returns its id."""
        cid = self.new_id()
        self._channel_guild[cid] = guild.id if guild else None
        if guild is not None:
            if parent_id is None:
                guild.channels[cid] = {
                    "id": cid, "type": 0, "guild_id": guild.id, "name": name,
                    "position": position, "permission_overwrites": [], "nsfw": False,
                    "parent_id": None, "topic": None, "last_message_id": None,
                    "rate_limit_per_user": 0, "flags": 0,
                }
            else:
                guild.channels[cid] = {
                    "id": cid, "type": 11, "guild_id": guild.id, "name": name,
                    "parent_id": parent_id, "owner_id": self.application_id,
                    "message_count": 0, "member_count": 1, "rate_limit_per_user": 0,
                    "flags": 0, "thread_metadata": {
                        "archived": False, "auto_archive_duration": 1440,
                        "archive_timestamp": _now_iso(), "locked": False},
                }
        return cid

    def add_thread(self, guild: FakeGuild, parent_id: str, name: str = "thread") -> str:
        """A public thread in ``parent_id``; returns its id."""
        return self.add_channel(guild=guild, name=name, parent_id=parent_id)

    def forbid(self, channel_id: str) -> None:
        """The bot may see ``channel_id`` but not post in it (403 Missing Access)."""
        self._forbidden.add(channel_id)

    def add_webhook(self, channel_id: str) -> tuple[str, str, str]:
        """A webhook of ``channel_id``: returns (id, token, URL as Discord shows it)."""
        wid = self.new_id()
        token = secrets.token_urlsafe(51)
        self._webhooks[wid] = (token, channel_id)
        return wid, token, f"https://discord.com/api/webhooks/{wid}/{token}"

    def webhook_url(self, webhook_id: str) -> str:
        """The webhook's URL on this fake (``api_base``/webhooks/…)."""
        return f"{self.api_base}/webhooks/{webhook_id}/{self._webhooks[webhook_id][0]}"

    def fail_next(self, target: str, status: int, count: int = 1, *,
                  retry_after: float = 0.05, via: bool = True, is_global: bool = False) -> None:
        """The next ``count`` posts to ``target`` (a channel id, a webhook id, or
        ``"commands"`` for command syncs) fail with ``status``.

        A 429 carries ``retry_after`` in its body and ``X-RateLimit-*`` and
        ``Retry-After`` headers, and a ``Via`` header unless ``via`` is False
        (Discord's own 429s have one; Cloudflare's bans do not).
        """
        for _ in range(count):
            self._failures[target].append(_Failure(status, retry_after, via, is_global))

    # -- inspection --

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages posted in a channel (or thread), oldest first, as Discord stores them."""
        return list(self._messages.get(channel_id, []))

    def all_messages(self) -> dict[str, list[dict[str, Any]]]:
        return {k: list(v) for k, v in self._messages.items()}

    def commands(self, guild_id: str | None = None) -> list[dict[str, Any]]:
        """The registered commands, globally or for a guild."""
        if guild_id is None:
            return list(self.global_commands)
        return list(self.guild_commands.get(guild_id, []))

    # -- HTTP plumbing --

    @staticmethod
    def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
        # Exactly "application/json": discord.py reads the body as text otherwise.
        h = {"Content-Type": _JSON, **(headers or {})}
        return web.Response(status=status, body=json.dumps(body).encode(), headers=h)

    @staticmethod
    def _no_content() -> web.Response:
        return web.Response(status=204)

    def _error(self, status: int, message: str, code: int = 0) -> web.Response:
        return self._json(status, {"message": message, "code": code})

    @staticmethod
    def _rate_headers(bucket: str) -> dict[str, str]:
        reset = time.time() + 1
        return {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4",
                "X-RateLimit-Reset": f"{reset:.3f}", "X-RateLimit-Reset-After": "1.000",
                "X-RateLimit-Bucket": bucket}

    def _failure(self, target: str) -> web.Response | None:
        queue = self._failures.get(target)
        if not queue:
            return None
        f = queue.pop(0)
        if f.status == 429:
            headers = {
                "Retry-After": str(max(1, math.ceil(f.retry_after))),
                "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + f.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{f.retry_after:.3f}",
                "X-RateLimit-Bucket": f"bucket-{target}",
                "X-RateLimit-Scope": "global" if f.is_global else "user",
            }
            if f.is_global:
                headers["X-RateLimit-Global"] = "true"
            if f.via:
                headers["Via"] = "1.1 google"
            return self._json(429, {"message": "You are being rate limited.",
                                    "retry_after": f.retry_after, "global": f.is_global,
                                    "code": 0}, headers)
        return self._json(f.status, {"message": f"{f.status}: Server Error", "code": 0})

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as e:
            return self._error(e.status, f"{e.status}: {e.reason}")
        return response

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _body(self, request: web.Request) -> tuple[Any, web.Response | None]:
        if not request.can_read_body:
            return None, None
        raw = await request.read()
        if not raw:
            return None, None
        if request.content_type != _JSON:
            return None, self._error(400, "Content-Type must be application/json", 50035)
        try:
            return json.loads(raw), None
        except ValueError:
            return None, self._error(400, "The request body contains invalid JSON.", 50109)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body, problem = await self._body(request)
        self.requests.append((request.method, request.path_qs, dict(request.headers), body))
        if problem is not None:
            return problem
        parts = request.match_info["tail"].strip("/").split("/")
        method = request.method
        # Routes that authenticate with their own token, not the bot's.
        if parts[0] == "webhooks" and len(parts) >= 3:
            return await self._webhook_route(request, method, parts, body)
        if parts[0] == "interactions" and len(parts) == 4 and parts[3] == "callback" \
                and method == "POST":
            return await self._callback(request, parts[1], parts[2], body)
        if not self._authorised(request):
            return self._error(401, "401: Unauthorized")
        if parts == ["users", "@me"] and method == "GET":
            return self._json(200, self.bot_user)
        if parts == ["oauth2", "applications", "@me"] and method == "GET":
            return self._json(200, self._application())
        if parts in (["gateway"], ["gateway", "bot"]) and method == "GET":
            return self._json(200, {"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})
        if parts[0] == "applications" and len(parts) >= 3 and parts[1] == self.application_id:
            return self._commands_route(method, parts[2:], body)
        if parts[0] == "channels" and len(parts) >= 2:
            return await self._channel_route(method, parts[1], parts[2:], body)
        return self._error(404, "404: Not Found")

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.application_id, "name": self.bot_name, "icon": None,
            "description": "", "summary": "", "type": None, "bot_public": False,
            "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 0,
            "owner": {"id": self.owner_id, "username": "owner", "discriminator": "0",
                      "global_name": None, "avatar": None, "flags": 0, "public_flags": 0},
            "team": None, "guild_id": None, "interactions_endpoint_url": None,
            "redirect_uris": [], "tags": [], "install_params": None,
        }

    # -- application commands --

    def _commands_route(self, method: str, parts: list[str], body: Any) -> web.Response:
        if parts == ["commands"]:
            guild_id: str | None = None
        elif len(parts) == 3 and parts[0] == "guilds" and parts[2] == "commands":
            guild_id = parts[1]
            if guild_id not in self.guilds:
                return self._error(403, "Missing Access", 50001)
        else:
            return self._error(404, "404: Not Found")
        if method == "GET":
            return self._json(200, self.commands(guild_id))
        if method != "PUT":
            return self._error(405, "405: Method Not Allowed")
        failure = self._failure("commands")
        if failure is not None:
            return failure
        if not isinstance(body, list) or len(body) > 100:
            return self._error(400, "Invalid Form Body", 50035)
        problems = _Errors()
        for i, cmd in enumerate(body):
            _validate_command(problems, [i], cmd, depth=0)
        if problems:
            return self._json(400, {"message": "Invalid Form Body", "code": 50035,
                                    "errors": problems.tree})
        stored = []
        for cmd in body:
            stored.append({**cmd, "id": self.new_id(), "application_id": self.application_id,
                           "version": self.new_id(), "type": cmd.get("type", 1),
                           **({"guild_id": guild_id} if guild_id else {})})
        self.command_syncs.append((guild_id, body))
        if guild_id is None:
            self.global_commands = stored
        else:
            self.guild_commands[guild_id] = stored
        return self._json(200, stored)

    # -- messages --

    def _channel_exists(self, channel_id: str) -> bool:
        return channel_id in self._channel_guild

    def _channel_object(self, channel_id: str) -> dict[str, Any]:
        gid = self._channel_guild.get(channel_id)
        if gid and channel_id in self.guilds[gid].channels:
            return self.guilds[gid].channels[channel_id]
        return {"id": channel_id, "type": 0, "name": "channel", "position": 0,
                "permission_overwrites": []}

    async def _channel_route(self, method: str, channel_id: str, rest: list[str],
                             body: Any) -> web.Response:
        if not self._channel_exists(channel_id):
            return self._error(404, "Unknown Channel", 10003)
        if not rest and method == "GET":
            return self._json(200, self._channel_object(channel_id))
        if rest == ["messages"] and method == "GET":
            return self._json(200, list(reversed(self._messages.get(channel_id, []))))
        if rest != ["messages"] or method != "POST":
            return self._error(404, "404: Not Found")
        if channel_id in self._forbidden:
            return self._error(403, "Missing Access", 50001)
        failure = self._failure(channel_id)
        if failure is not None:
            return failure
        error = validate_message(body)
        if error is not None:
            return self._json(400, error)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (channel_id, self.application_id, str(nonce))
            if key in self._nonces:
                # Discord answers with the message the nonce already created.
                return self._json(200, self._nonces[key], self._rate_headers("messages"))
        message = self._record(channel_id, body, author=self.bot_user)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(channel_id, self.application_id, str(nonce))] = message
        return self._json(200, message, self._rate_headers("messages"))

    def _message(self, channel_id: str, body: Mapping[str, Any], author: Mapping[str, Any],
                 **extra: Any) -> dict[str, Any]:
        everyone, roles, users = pinged(body)
        return {
            "id": self.new_id(), "type": 0, "channel_id": channel_id,
            "guild_id": self._channel_guild.get(channel_id),
            "author": dict(author), "content": body.get("content") or "",
            "embeds": [_normalise_embed(e) for e in body.get("embeds") or []],
            "attachments": [], "components": body.get("components") or [],
            "mentions": [{"id": u, "username": "user", "discriminator": "0", "avatar": None,
                          "global_name": None} for u in users],
            "mention_roles": roles, "mention_everyone": everyone,
            "pinned": False, "tts": bool(body.get("tts")), "timestamp": _now_iso(),
            "edited_timestamp": None, "flags": int(body.get("flags") or 0),
            **({"nonce": body["nonce"]} if body.get("nonce") is not None else {}),
            "allowed_mentions": body.get("allowed_mentions"),
            **extra,
        }

    def _record(self, channel_id: str, body: Mapping[str, Any], author: Mapping[str, Any],
                **extra: Any) -> dict[str, Any]:
        message = self._message(channel_id, body, author, **extra)
        self._messages[channel_id].append(message)
        return message

    # -- webhooks, followups --

    async def _webhook_route(self, request: web.Request, method: str, parts: list[str],
                             body: Any) -> web.Response:
        wid, token, rest = parts[1], parts[2], parts[3:]
        interaction = self._interactions.get(token)
        if wid == self.application_id and interaction is not None:
            return self._followup(method, interaction, rest, body)
        if wid not in self._webhooks:
            return self._error(404, "Unknown Webhook", 10015)
        real_token, channel_id = self._webhooks[wid]
        if not secrets.compare_digest(token, real_token):
            return self._error(401, "Invalid Webhook Token", 50027)
        if not rest and method == "GET":
            return self._json(200, {"id": wid, "type": 1, "channel_id": channel_id,
                                    "name": "hook", "avatar": None, "token": real_token,
                                    "application_id": None,
                                    "guild_id": self._channel_guild.get(channel_id)})
        if rest or method != "POST":
            return self._error(404, "404: Not Found")
        target = channel_id
        thread_id = request.query.get("thread_id")
        if thread_id:
            gid = self._channel_guild.get(channel_id)
            thread = self.guilds[gid].channels.get(thread_id) if gid else None
            if thread is None or thread.get("parent_id") != channel_id:
                return self._error(400, "Unknown Channel", 10003)
            target = thread_id
        failure = self._failure(wid)
        if failure is not None:
            return failure
        error = validate_message(body, webhook=True)
        if error is not None:
            return self._json(400, error)
        author = {"id": wid, "username": body.get("username") or "hook", "discriminator": "0000",
                  "avatar": None, "bot": True, "global_name": None}
        message = self._record(target, body, author=author, webhook_id=wid,
                               avatar_url=body.get("avatar_url"))
        wait = request.query.get("wait", "false").lower() in ("1", "true")
        if not wait:
            return self._no_content()
        return self._json(200, message, self._rate_headers(f"webhook-{wid}"))

    def _followup(self, method: str, interaction: _Interaction, rest: list[str],
                  body: Any) -> web.Response:
        if not interaction.responded:
            return self._error(404, "Unknown Webhook", 10015)
        if not rest and method == "POST":
            error = validate_message(body)
            if error is not None:
                return self._json(400, error)
            message = self._interaction_message(interaction, body, webhook_id=self.application_id)
            self.interaction_responses.append(InteractionRecord(
                interaction.id, "followup", None, dict(body), message["id"]))
            interaction.answered.set()
            return self._json(200, message)
        if len(rest) == 2 and rest[0] == "messages":
            message_id = interaction.original_id if rest[1] == "@original" else rest[1]
            stored = self._interaction_messages.get(message_id or "")
            if method == "PATCH":
                error = validate_message(body or {}, edit=True)
                if error is not None:
                    return self._json(400, error)
                if stored is None:
                    return self._error(404, "Unknown Message", 10008)
                updated = self._edit(stored, body or {})
                if updated is None:
                    return self._json(400, {"message": "Cannot send an empty message",
                                            "code": 50006})
                self.interaction_responses.append(InteractionRecord(
                    interaction.id, "edit", None, dict(body or {}), updated["id"]))
                interaction.answered.set()
                return self._json(200, updated)
            if stored is None:
                return self._error(404, "Unknown Message", 10008)
            if method == "GET":
                return self._json(200, stored)
            if method == "DELETE":
                del self._interaction_messages[stored["id"]]
                return self._no_content()
        return self._error(404, "404: Not Found")

    def _interaction_message(self, interaction: _Interaction, body: Mapping[str, Any],
                             **extra: Any) -> dict[str, Any]:
        """A message an interaction's answer creates, kept for later edits and presses."""
        message = self._message(interaction.channel_id, body, self.bot_user, **extra)
        self._interaction_messages[message["id"]] = message
        return message

    def _edit(self, message: dict[str, Any], body: Mapping[str, Any]) -> dict[str, Any] | None:
        """``message`` with the edit ``body`` applied (None, and unchanged, when the
        edit would leave it empty), as Discord keeps what an edit leaves out."""
        updated = dict(message)
        if "content" in body:
            updated["content"] = body["content"] or ""
        if "embeds" in body:
            updated["embeds"] = [_normalise_embed(e) for e in body["embeds"] or []]
        if "components" in body:
            updated["components"] = body["components"] or []
        if not updated["content"] and not updated["embeds"] and not updated["components"]:
            return None
        if "allowed_mentions" in body or "content" in body:
            am = body.get("allowed_mentions", message.get("allowed_mentions"))
            everyone, roles, users = pinged({"content": updated["content"],
                                             "allowed_mentions": am})
            updated.update(mention_everyone=everyone, mention_roles=roles,
                           allowed_mentions=am,
                           mentions=[{"id": u, "username": "user", "discriminator": "0",
                                      "avatar": None, "global_name": None} for u in users])
        updated["edited_timestamp"] = _now_iso()
        message.clear()
        message.update(updated)
        return message

    # -- interactions --

    async def _callback(self, request: web.Request, interaction_id: str, token: str,
                        body: Any) -> web.Response:
        interaction = self._interactions.get(token)
        if interaction is None or interaction.id != interaction_id:
            return self._error(404, "Unknown interaction", 10062)
        if interaction.responded:
            return self._error(400, "Interaction has already been acknowledged.", 40060)
        if not isinstance(body, dict) or "type" not in body:
            return self._error(400, "Invalid Form Body", 50035)
        kind = int(body["type"])
        data = body.get("data") or {}
        # 6 and 7 act on the message of a component (or a modal opened from one);
        # 8 answers autocomplete only.
        allowed = {2: (4, 5, 9), 3: (4, 5, 6, 7, 9), 4: (8,), 5: (4, 5, 6, 7)}
        if kind not in allowed.get(interaction.type, ()):
            return self._error(400, "Interaction response type is not valid for this "
                                    "interaction", 50035)
        if kind == 4:
            error = validate_message(data)
            if error is not None:
                return self._json(400, error)
        elif kind == 7:
            error = validate_message(data, edit=True)
            if error is not None:
                return self._json(400, error)
        elif kind == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25 or any(
                    not isinstance(c, dict) or not 1 <= len(str(c.get("name", ""))) <= 100
                    for c in choices):
                return self._error(400, "Invalid Form Body", 50035)
        original = self._interaction_messages.get(interaction.original_id or "")
        if kind in (6, 7) and original is None:
            return self._error(404, "Unknown Message", 10008)
        message: dict[str, Any] | None = None
        if kind == 7:
            assert original is not None
            snapshot = dict(original)
            message = self._edit(original, data)
            if message is None:
                original.update(snapshot)
                return self._json(400, {"message": "Cannot send an empty message",
                                        "code": 50006})
        elif kind in (4, 5):
            flags = int(data.get("flags") or 0)
            message = self._interaction_message(
                interaction, data if kind == 4 else {"content": "", "flags": flags | 128},
                interaction_metadata={
                    "id": interaction.id, "type": interaction.type, "user": interaction.user,
                    "authorizing_integration_owners": {"0": interaction.guild_id or "0"}})
            interaction.original_id = message["id"]
        interaction.responded = True
        self.interaction_responses.append(InteractionRecord(
            interaction.id, "callback", kind, dict(data),
            message["id"] if message is not None else None))
        interaction.answered.set()
        result: dict[str, Any] = {"interaction": {
            "id": interaction.id, "type": interaction.type,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL),
        }}
        if message is not None:
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"] = {"type": kind, "message": message}
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return self._no_content()
        return self._json(200, result)

    def interaction_message(self, message_id: str) -> dict[str, Any]:
        """A message made by an answer to an interaction, as it is now (after edits).

        Raises KeyError for a message no interaction made (or one deleted).
        """
        return dict(self._interaction_messages[message_id])

    def component_interaction(self, guild: FakeGuild, member: FakeMember, message_id: str,
                              custom_id: str) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for ``member`` pressing the button
        ``custom_id`` of the message ``message_id`` (made by an interaction answer).

        Raises LookupError when the message has no such button, or when it is
        disabled: Discord's client lets no one press it.
        """
        message = self.interaction_message(message_id)
        button = next((c for row in message.get("components") or ()
                       for c in row.get("components") or ()
                       if c.get("custom_id") == custom_id), None)
        if button is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        if button.get("disabled"):
            raise LookupError(f"the button {button.get('label')!r} is disabled")
        data = {"custom_id": custom_id, "component_type": button["type"]}
        if "id" in button:
            data["id"] = button["id"]
        payload = self.interaction_payload(guild, message["channel_id"], member, data, kind=3)
        payload["message"] = message
        return payload

    def command_interaction(self, guild: FakeGuild, channel_id: str, member: FakeMember,
                            path: Iterable[str], options: Mapping[str, Any] | None = None, *,
                            focused: str | None = None) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for ``/path…`` with ``options``, typed from
        the commands the bot registered (guild commands first, then global).

        ``focused`` names the option being typed: the payload is then an
        autocomplete interaction (type 4). Raises LookupError for a command or
        option the bot did not register, and ValueError for a value its client
        refuses (not a choice, out of bounds, too long), as Discord's client
        would not send them.
        """
        names = list(path)
        registered = self.guild_commands.get(guild.id, []) + self.global_commands
        cmd = next((c for c in registered if c["name"] == names[0]), None)
        if cmd is None:
            raise LookupError(f"/{names[0]} is not registered")
        schema: list[dict[str, Any]] = cmd.get("options") or []
        nested: list[dict[str, Any]] = []
        top: list[dict[str, Any]] = nested
        for name in names[1:]:
            sub = next((o for o in schema if o["name"] == name and o["type"] in (1, 2)), None)
            if sub is None:
                raise LookupError(f"/{' '.join(names)}: {name!r} is not registered")
            inner: list[dict[str, Any]] = []
            nested.append({"type": sub["type"], "name": name, "options": inner})
            nested, schema = inner, sub.get("options") or []
        resolved: dict[str, dict[str, Any]] = {}
        for name, value in (options or {}).items():
            spec = next((o for o in schema if o["name"] == name), None)
            if spec is None:
                raise LookupError(f"/{' '.join(names)} has no option {name!r}")
            refused = None if name == focused else _client_refuses(spec, value)
            if refused is not None:
                raise ValueError(f"/{' '.join(names)} {name}: {value!r} is {refused}")
            opt: dict[str, Any] = {"type": spec["type"], "name": name}
            if spec["type"] == 8:  # role
                opt["value"] = str(value)
                resolved.setdefault("roles", {})[str(value)] = guild.roles[str(value)]
            elif spec["type"] in (6, 7, 9):
                opt["value"] = str(value)
            else:
                opt["value"] = value
            if name == focused:
                opt["focused"] = True
                opt["value"] = str(value)
            nested.append(opt)
        data: dict[str, Any] = {"id": cmd["id"], "name": names[0], "type": 1, "options": top}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return self.interaction_payload(guild, channel_id, member, data,
                                        kind=4 if focused else 2)

    def interaction_payload(self, guild: FakeGuild, channel_id: str, member: FakeMember,
                            data: dict[str, Any], *, kind: int = 2) -> dict[str, Any]:
        """An INTERACTION_CREATE payload with ``data`` as its ``data``."""
        user = {"id": member.user_id, "username": member.username, "discriminator": "0",
                "global_name": member.username.title(), "avatar": None, "public_flags": 0}
        return {
            "id": self.new_id(), "application_id": self.application_id, "type": kind,
            "data": data, "guild_id": guild.id, "guild": {"id": guild.id, "locale": "en-US",
                                                          "features": []},
            "channel_id": channel_id, "channel": self._channel_object(channel_id),
            "member": {"user": user, "roles": list(member.roles), "nick": None,
                       "avatar": None, "joined_at": _now_iso(), "deaf": False, "mute": False,
                       "flags": 0, "pending": False, "permissions": str(member.permissions),
                       "premium_since": None, "communication_disabled_until": None},
            "token": "itok." + secrets.token_urlsafe(48), "version": 1,
            "app_permissions": str(MEMBER_PERMISSIONS), "locale": "en-US",
            "guild_locale": "en-US", "entitlements": [], "authorizing_integration_owners":
                {"0": guild.id}, "context": 0, "attachment_size_limit": 10 * 1024 * 1024,
        }

    async def inject_interaction(self, payload: dict[str, Any], *, wait: bool = True,
                                 timeout: float = 10.0) -> list[InteractionRecord]:
        """Send INTERACTION_CREATE to the connected bot.

        With ``wait``, returns the bot's answers to it once it has answered
        (the callback, plus any followup within a short settle time).
        Raises TimeoutError when the bot does not answer within ``timeout``.
        """
        user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
        interaction = _Interaction(payload["id"], payload["token"], payload.get("guild_id"),
                                   payload["channel_id"], user, type=int(payload["type"]),
                                   original_id=(payload.get("message") or {}).get("id"))
        self._interactions[interaction.token] = interaction
        await self.dispatch("INTERACTION_CREATE", payload)
        if not wait:
            return []
        async with asyncio.timeout(timeout):
            await interaction.answered.wait()
            # A deferred callback (type 5) is answered for real by a followup or an edit.
            while True:
                records = [r for r in self.interaction_responses
                           if r.interaction_id == interaction.id]
                if records[-1].type != 5 and records[-1].type != 6:
                    break
                interaction.answered.clear()
                await interaction.answered.wait()
        return [r for r in self.interaction_responses if r.interaction_id == interaction.id]

    # -- gateway --

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until a client has identified and received READY."""
        async with asyncio.timeout(timeout):
            await self._ready.wait()

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH event to every identified client."""
        live = [s for s in self._sockets if s.identified and not s.ws.closed]
        if not live:
            raise RuntimeError("no client is connected to the fake gateway")
        for session in live:
            await session.send_dispatch(event, data)

    def _guild_create(self, guild: FakeGuild) -> dict[str, Any]:
        me: dict[str, Any] = {"user": self.bot_user, "roles": [], "nick": None, "avatar": None,
              "joined_at": _now_iso(), "deaf": False, "mute": False, "flags": 0,
              "pending": False, "premium_since": None}
        return {
            "id": guild.id, "name": guild.name, "icon": None, "splash": None,
            "discovery_splash": None, "owner_id": guild.owner_id, "afk_channel_id": None,
            "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "roles": list(guild.roles.values()), "emojis": [],
            "features": [], "mfa_level": 0, "application_id": None, "system_channel_id": None,
            "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None,
            "description": None, "banner": None, "premium_tier": 0,
            "preferred_locale": "en-US", "public_updates_channel_id": None, "nsfw_level": 0,
            "stickers": [], "premium_progress_bar_enabled": False, "joined_at": _now_iso(),
            "large": False, "unavailable": False, "member_count": 2, "voice_states": [],
            "members": [me],
            "channels": [c for c in guild.channels.values() if c["type"] != 11],
            "threads": [c for c in guild.channels.values() if c["type"] == 11],
            "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = _GatewaySession(self, ws)
        self._sockets.append(session)
        try:
            await session.run()
        finally:
            self._sockets.remove(session)
        return ws


class _GatewaySession:
    """One client's gateway connection."""

    def __init__(self, fake: FakeDiscord, ws: web.WebSocketResponse) -> None:
        self.fake = fake
        self.ws = ws
        self.seq = 0
        self.identified = False
        self.session_id = secrets.token_hex(16)
        self.lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.lock:
            await self.ws.send_str(json.dumps(payload))

    async def send_dispatch(self, event: str, data: dict[str, Any]) -> None:
        async with self.lock:
            self.seq += 1
            await self.ws.send_str(json.dumps({"op": OP_DISPATCH, "t": event, "s": self.seq,
                                               "d": data}))

    async def run(self) -> None:
        fake = self.fake
        await self.send({"op": OP_HELLO, "d": {"heartbeat_interval": fake.heartbeat_interval_ms},
                         "s": None, "t": None})
        async for msg in self.ws:
            if msg.type != WSMsgType.TEXT:
                if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
                continue
            try:
                payload = json.loads(msg.data)
            except ValueError:
                await self.ws.close(code=4002, message=b"Error while decoding payload.")
                break
            op = payload.get("op")
            data = payload.get("d")
            if op == OP_HEARTBEAT:
                await self.send({"op": OP_HEARTBEAT_ACK})
            elif op == OP_IDENTIFY:
                fake.identifies.append(data)
                if not isinstance(data, dict) or data.get("token") != fake.token:
                    await self.ws.close(code=4004, message=b"Authentication failed.")
                    break
                await self._ready()
            elif op == OP_RESUME:
                # Sessions are not kept: the client must identify again, as after a restart.
                await self.send({"op": OP_INVALID_SESSION, "d": False})
            # Presence updates, member requests and voice states are ignored.

    async def _ready(self) -> None:
        fake = self.fake
        self.identified = True
        await self.send_dispatch("READY", {
            "v": API_VERSION, "user": fake.bot_user, "session_id": self.session_id,
            "resume_gateway_url": fake.gateway_url, "shard": [0, 1],
            "guilds": [{"id": gid, "unavailable": True} for gid in fake.guilds],
            "application": {"id": fake.application_id, "flags": 0},
            "private_channels": [], "relationships": [], "user_settings": {},
            "presences": [], "geo_ordered_rtc_regions": [], "guild_join_requests": [],
        })
        for guild in fake.guilds.values():
            await self.send_dispatch("GUILD_CREATE", fake._guild_create(guild))
        fake._ready.set()


def _normalise_embed(embed: Mapping[str, Any]) -> dict[str, Any]:
    """An embed as Discord echoes it back (type "rich" added when missing)."""
    out = dict(embed)
    out.setdefault("type", "rich")
    return out


def _validate_command(errors: _Errors, path: list[str | int], cmd: Any, *, depth: int) -> None:
    """Discord's checks on a command (or option) definition, the ones that bite.

    Options, per https://discord.com/developers/docs/interactions/application-commands
    #application-command-object-application-command-option-structure: at most 25
    choices, whose names and string values have 1 to 100 characters; autocomplete
    "may not be set to true if choices are present"; a string's ``min_length`` is
    0 to 6000 and its ``max_length`` 1 to 6000.
    """
    if not isinstance(cmd, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    name = cmd.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[-_\w]{1,32}", name) or name != name.lower():
        errors.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    desc = cmd.get("description")
    needs_description = cmd.get("type", 1) in (1, None) or depth > 0
    if needs_description and (not isinstance(desc, str) or not 1 <= len(desc) <= 100):
        errors.add([*path, "description"], "BASE_TYPE_BAD_LENGTH",
                   "Must be between 1 and 100 in length.")
    if depth > 0 and cmd.get("type") not in (1, 2):
        _validate_option_values(errors, path, cmd)
    options = cmd.get("options") or []
    if len(options) > 25:
        errors.add([*path, "options"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    for i, opt in enumerate(options):
        if not isinstance(opt, dict):
            errors.add([*path, "options", i], "DICT_TYPE_CONVERT", "Only dictionaries")
            continue
        if opt.get("type") in (1, 2):
            if depth >= 2 or (opt["type"] == 2 and depth >= 1):
                errors.add([*path, "options", i], "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                           "Sub-command and sub-command group option types are mutually "
                           "exclusive to all other types")
        elif opt.get("required") and seen_optional:
            errors.add([*path, "options"], "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                       "Required options must be placed before non-required options")
        elif not opt.get("required"):
            seen_optional = True
        _validate_command(errors, [*path, "options", i], opt, depth=depth + 1)


def _validate_option_values(errors: _Errors, path: list[str | int], opt: dict[str, Any]) -> None:
    choices = opt.get("choices")
    if choices is not None:
        if not isinstance(choices, list) or len(choices) > 25:
            errors.add([*path, "choices"], "BASE_TYPE_MAX_LENGTH",
                       "Must be 25 or fewer in length.")
            choices = []
        for i, choice in enumerate(choices):
            for key in ("name", "value"):
                value = choice.get(key) if isinstance(choice, dict) else None
                if isinstance(value, str) and not 1 <= len(value) <= 100:
                    errors.add([*path, "choices", i, key], "BASE_TYPE_BAD_LENGTH",
                               "Must be between 1 and 100 in length.")
        if choices and opt.get("autocomplete"):
            errors.add([*path, "autocomplete"], "APPLICATION_COMMAND_OPTION_INVALID",
                       "Autocomplete and choices are mutually exclusive")
    for key, lowest in (("min_length", 0), ("max_length", 1)):
        value = opt.get(key)
        if value is not None and (not isinstance(value, int) or not lowest <= value <= 6000):
            errors.add([*path, key], "NUMBER_TYPE_MAX", f"int value should be <= 6000 and >= "
                                                        f"{lowest}.")


def _client_refuses(spec: Mapping[str, Any], value: Any) -> str | None:
    """Why Discord's client would not send ``value`` for the option ``spec``, or None."""
    choices = spec.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        return "not one of its choices"
    if spec["type"] == 4:
        if isinstance(value, bool) or not isinstance(value, int):
            return "not an integer"
        if ("min_value" in spec and value < spec["min_value"]) or (
                "max_value" in spec and value > spec["max_value"]):
            return "out of its bounds"
    if spec["type"] == 3:
        if not isinstance(value, str):
            return "not a string"
        if len(value) > spec.get("max_length", 6000) or len(value) < spec.get("min_length", 0):
            return "of a length outside its bounds"
    return None
