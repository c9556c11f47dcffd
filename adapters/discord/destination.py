"""Posting alerts to Discord: ``discord:<channel id>`` and ``discord-webhook:<url>``.

``discord:`` posts as the bot through discord.py's REST client
(:class:`discord.http.HTTPClient`), one client shared by every channel so its
rate-limit buckets are shared too. Each post carries a nonce derived from the
alert with ``enforce_nonce``, so a retry after a lost answer returns the
message already posted instead of a duplicate.

``discord-webhook:`` executes a channel webhook (no bot needed), with the
configured display name and avatar, into a thread when the URL has a
``thread_id`` query parameter.

Both render digests natively (``send_digest``): one message listing the
collected items by topic (:func:`adapters.discord.render.render_digest`),
posted as the bot with a nonce derived from the outbox's idempotency key.

Failures become :class:`bot.exceptions.DeliveryError`: rate limits, 5xx,
timeouts and network errors are transient (with the wait Discord asked for);
401/403/404/400 are not, and say what to fix. Neither the bot token nor a
webhook token ever appears in an error message or a log line.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import discord
import discord.http

from bot.config import Config
from bot.exceptions import DeliveryError, InvalidValueError, UnknownDestinationError
from bot.plugins import REDACTOR
from bot.types import Alert, AlertDigest

from .markup import NONCE_LIMIT, role_id
from .render import Message, render_alert, render_digest
from .settings import DiscordSettings, configure_endpoints, settings_problems

log = logging.getLogger(__name__)

#: Longest a single send may take, retries of discord.py included.
SEND_TIMEOUT = 60.0
#: A 429 asking to wait longer than this is handed back to the outbox
#: (which retries later) instead of holding the sender (discord.py's minimum is 30).
MAX_RATELIMIT_WAIT = 30.0

_CHANNEL_RE = re.compile(r"^\d{15,21}$")
_WEBHOOK_PATH_RE = re.compile(r"^(?:/api(?:/v\d+)?)?/webhooks/(\d{15,21})/([A-Za-z0-9._-]{20,})/?$")
_DISCORD_HOSTS = frozenset({"discord.com", "discordapp.com", "ptb.discord.com",
                            "canary.discord.com", "ptb.discordapp.com", "canary.discordapp.com"})

# -- secrets out of logs -------------------------------------------------------

_SECRET_PATH_RE = re.compile(r"/(webhooks|interactions)/(\d+)/[^/?#\s'\"]+")
# Gateway events logged as dicts or JSON: an interaction's "token" field.
_SECRET_FIELD_RE = re.compile(r"""(['"]token['"]\s*:\s*)(['"])[^'"]*\2""")


# discord.py logs request URLs and gateway events at DEBUG level; webhook and
# interaction URLs carry their token in the path, and interaction events in a
# ``token`` field. The core's redactor (bot.plugins.REDACTOR) learns these
# patterns and the bot token, and is set on discord.py's loggers as a filter.
REDACTOR.add_pattern(_SECRET_PATH_RE, r"/\1/\2/<redacted>")
REDACTOR.add_pattern(_SECRET_FIELD_RE, r"\1\2<redacted>\2")
#: discord.py's module loggers (filters do not apply to records propagated from children).
_DISCORD_LOGGERS = ("discord.http", "discord.webhook.async_", "discord.client", "discord.gateway",
                    "discord.state", "discord.app_commands.tree", "discord.interactions",
                    "discord.ui.view", "discord.shard")


def install_redaction(*secrets: str | None) -> None:
    """Redact ``secrets`` and URL tokens from discord.py's logs (idempotent)."""
    REDACTOR.add_secrets(*secrets)
    for name in _DISCORD_LOGGERS:
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)


# -- errors --------------------------------------------------------------------


def _discord_text(e: discord.HTTPException) -> str:
    """Discord's own explanation ("Missing Access"), first line, short."""
    text = (e.text or "").splitlines()[0] if e.text else ""
    text = REDACTOR.redact(text)
    return text[:200] if text else (e.response.reason or f"HTTP {e.status}")


def delivery_error(label: str, where: str, exc: BaseException) -> DeliveryError:
    """A DeliveryError for a failure of discord.py while posting to ``where``
    ("channel 123", "the webhook 456")."""
    if isinstance(exc, discord.RateLimited):
        return DeliveryError(label, f"rate limited by Discord for {exc.retry_after:.0f} s",
                             transient=True, retry_after=exc.retry_after)
    if isinstance(exc, discord.LoginFailure):
        return DeliveryError(label, "Discord refused the bot token (401 Unauthorized); "
                                    "check [discord] token", transient=False)
    if isinstance(exc, discord.HTTPException):
        status, text = exc.status, _discord_text(exc)
        if status == 429:
            retry = exc.response.headers.get("Retry-After")
            try:
                retry_after = float(retry) if retry else None
            except ValueError:
                retry_after = None
            return DeliveryError(label, f"rate limited by Discord ({text})", transient=True,
                                 retry_after=retry_after)
        if status >= 500:
            return DeliveryError(label, f"Discord answered {status} ({text})", transient=True)
        if status == 401:
            return DeliveryError(label, f"Discord refused the credentials for {where} ({text})",
                                 transient=False)
        if status == 403:
            return DeliveryError(label, f"the bot cannot post in {where} ({text})",
                                 transient=False)
        if status == 404:
            hidden = " or the bot cannot see it" if where.startswith("channel") else ""
            return DeliveryError(label, f"{where} does not exist{hidden} ({text})",
                                 transient=False)
        return DeliveryError(label, f"Discord refused the message for {where} ({status}: {text})",
                             transient=False)
    if isinstance(exc, TimeoutError):
        return DeliveryError(label, f"Discord did not answer within {SEND_TIMEOUT:.0f} s",
                             transient=True)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return DeliveryError(label, f"cannot reach Discord ({exc.__class__.__name__})",
                             transient=True)
    raise exc


def _nonce(source: str, key: str, destination: str) -> str:
    identity = "\x00".join((source, key, destination))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:NONCE_LIMIT]


def alert_nonce(alert: Alert) -> str:
    """A nonce (at most 25 characters) that is the same for every send of one alert."""
    return _nonce(alert.item.source, alert.item.key, alert.destination)


def digest_nonce(digest: AlertDigest) -> str:
    """A nonce (at most 25 characters) that is the same for every send of one digest.

    Derived from the digest's idempotency key (fixed by its members), and
    equal to the nonce of the digest's plain-text form (its item is keyed
    ``digest:<idempotency key>``), so a digest half-sent one way and retried
    the other is still not posted twice.
    """
    return _nonce("vigie", f"digest:{digest.idempotency_key}", digest.destination)


def _settings(config: Config | None, settings: DiscordSettings | None) -> DiscordSettings:
    if settings is not None:
        return settings
    table = config.adapters.get("discord") if config is not None else None
    return DiscordSettings.from_table(table)


def _channel_problem(target: str) -> str | None:
    target = target.strip()
    if not _CHANNEL_RE.match(target):
        return (f"discord destinations take a channel id (digits), not {target[:40]!r}; "
                "in Discord, right-click the channel and choose Copy Channel ID")
    return None


# -- bot channels ----------------------------------------------------------------


class DiscordChannelDestination:
    """A channel the bot posts in."""

    def __init__(self, adapter: DiscordAdapter, channel_id: str) -> None:
        self.adapter = adapter
        self.channel_id = channel_id
        self.label = f"discord:{channel_id}"

    async def send(self, alert: Alert) -> str | None:
        """Post ``alert``; returns the message id. Raises DeliveryError."""
        message = render_alert(alert, colors=self.adapter.settings.colors)
        return await self._post(message, alert_nonce(alert))

    async def send_digest(self, digest: AlertDigest) -> str | None:
        """Post ``digest`` as one message; returns its id. Raises DeliveryError."""
        message = render_digest(digest, colors=self.adapter.settings.colors)
        return await self._post(message, digest_nonce(digest))

    async def _post(self, message: Message, nonce: str) -> str:
        # With enforce_nonce, Discord answers a repeated nonce with the message
        # it already created instead of posting a duplicate.
        payload = message.payload()
        payload["nonce"] = nonce
        payload["enforce_nonce"] = True
        where = f"channel {self.channel_id}"
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                http = await self.adapter.http()
                params = discord.http.MultipartParameters(payload=payload, multipart=None,
                                                          files=None)
                data = await http.send_message(self.channel_id, params=params)
        except DeliveryError as e:
            raise DeliveryError(self.label, e.message, transient=e.transient,
                                retry_after=e.retry_after) from None
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as e:
            error = delivery_error(self.label, where, e)
            log.warning("discord: posting to %s failed: %s", where, error.message)
            raise error from None
        return str(data["id"])


class DiscordAdapter:
    """The ``discord`` destination scheme: channels the bot posts in.

    Also owns the ``[discord]`` configuration table (:meth:`settings_problems`).
    """

    settings_problems = staticmethod(settings_problems)

    def __init__(self, config: Config | None = None, *,
                 settings: DiscordSettings | None = None) -> None:
        self.settings = _settings(config, settings)
        configure_endpoints(self.settings.api_base, self.settings.gateway_url)
        install_redaction(self.settings.token)
        self._http: discord.http.HTTPClient | None = None
        self._lock = asyncio.Lock()

    @staticmethod
    def chat_configured(table: Mapping[str, Any]) -> bool:
        """Whether a ``[discord]`` table runs the bot with its slash commands
        (a token is set), rather than only serving webhooks."""
        return DiscordSettings.from_table(table).token is not None

    @staticmethod
    def config_problems(config: Config, target: str) -> list[str]:
        """What a ``discord:<target>`` destination lacks in ``config``
        (``vigie check``): a channel id, and the bot token to post with."""
        problems = [p for p in [_channel_problem(target)] if p]
        if not _settings(config, None).token:
            problems.append("discord: channels need the bot token: set token in the "
                            "[discord] table")
        return problems

    def destination(self, target: str) -> DiscordChannelDestination:
        """The channel with id ``target``. Raises UnknownDestinationError for a bad id."""
        problem = _channel_problem(target)
        if problem:
            raise UnknownDestinationError(problem)
        return DiscordChannelDestination(self, target.strip())

    async def http(self) -> discord.http.HTTPClient:
        """The logged-in REST client, made on first use.

        Raises DeliveryError when no token is configured, or discord.py's
        errors when the login fails.
        """
        async with self._lock:
            if self._http is not None:
                return self._http
            token = self.settings.token
            if not token:
                raise DeliveryError("discord", "no bot token: set [discord] token to post "
                                               "in discord: channels", transient=False)
            http = discord.http.HTTPClient(asyncio.get_running_loop(),
                                           max_ratelimit_timeout=MAX_RATELIMIT_WAIT)
            try:
                await http.static_login(token)
            except BaseException:
                await http.close()
                raise
            self._http = http
            return http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None


# -- webhooks --------------------------------------------------------------------


def parse_webhook_url(url: str, api_base: str | None = None) -> tuple[int, str, int | None]:
    """``(webhook id, token, thread id or None)`` from a webhook URL.

    Accepts Discord's own URLs (``https://discord.com/api/webhooks/…``) and,
    when ``api_base`` is set, URLs under it. Raises
    :class:`~bot.exceptions.InvalidValueError` (whose message never contains
    the token).
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise InvalidValueError("not a URL") from None
    host = (parts.hostname or "").lower()
    path = parts.path
    if api_base and url.strip().startswith(api_base.rstrip("/") + "/webhooks/"):
        path = "/webhooks/" + url.strip()[len(api_base.rstrip("/") + "/webhooks/"):].split("?")[0]
    elif parts.scheme != "https" or host not in _DISCORD_HOSTS:
        raise InvalidValueError("not a Discord webhook URL (https://discord.com/api/webhooks/…)")
    m = _WEBHOOK_PATH_RE.match(path)
    if not m:
        raise InvalidValueError("not a Discord webhook URL (https://discord.com/api/webhooks/ID/TOKEN)")
    thread: int | None = None
    query = parse_qs(parts.query)
    if "thread_id" in query:
        value = query["thread_id"][0]
        if not _CHANNEL_RE.match(value):
            raise InvalidValueError("thread_id must be a thread's id (digits)")
        thread = int(value)
    return int(m.group(1)), m.group(2), thread


def redact_webhook_url(url: str) -> str:
    """A webhook URL with its token hidden, fit for messages and logs."""
    return _SECRET_PATH_RE.sub(r"/\1/\2/<redacted>", url)


class DiscordWebhookDestination:
    """A channel webhook (optionally into a thread)."""

    def __init__(self, adapter: DiscordWebhookAdapter, url: str) -> None:
        self.adapter = adapter
        self.webhook_id, token, self.thread_id = parse_webhook_url(url, adapter.settings.api_base)
        self._token = token
        self.label = f"discord-webhook:{redact_webhook_url(url)}"
        REDACTOR.add_secrets(token)

    def __repr__(self) -> str:
        return f"DiscordWebhookDestination({self.label!r})"

    async def send(self, alert: Alert) -> str | None:
        """Execute the webhook with ``alert``; returns the message id. Raises DeliveryError.

        Webhooks take no nonce: a retry after a lost answer may post twice.
        """
        message = render_alert(alert, colors=self.adapter.settings.colors)
        return await self._execute(message, alert.options.mention)

    async def send_digest(self, digest: AlertDigest) -> str | None:
        """Execute the webhook with ``digest`` as one message; returns its id.
        Raises DeliveryError."""
        message = render_digest(digest, colors=self.adapter.settings.colors)
        return await self._execute(message, digest.options.mention)

    async def _execute(self, message: Message, mention: str | None) -> str:
        settings = self.adapter.settings
        role = role_id(mention)
        mentions = discord.AllowedMentions(
            everyone=False, users=False, replied_user=False,
            roles=[discord.Object(int(role))] if role else False)
        kwargs: dict[str, Any] = {
            "embeds": [discord.Embed.from_dict(e) for e in message.embeds],
            "allowed_mentions": mentions, "wait": True,
        }
        if message.content:
            kwargs["content"] = message.content
        if settings.webhook_username:
            kwargs["username"] = settings.webhook_username
        if settings.webhook_avatar_url:
            kwargs["avatar_url"] = settings.webhook_avatar_url
        if self.thread_id is not None:
            kwargs["thread"] = discord.Object(self.thread_id)
        where = f"the webhook {self.webhook_id}"
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                session = await self.adapter.session()
                webhook = discord.Webhook.partial(self.webhook_id, self._token, session=session)
                sent = await webhook.send(**kwargs)
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as e:
            error = delivery_error(self.label, where, e)
            log.warning("discord: posting through %s failed: %s", where, error.message)
            raise error from None
        return str(sent.id)


class DiscordWebhookAdapter:
    """The ``discord-webhook`` destination scheme: the target is the webhook URL.

    Reads ``webhook_username``, ``webhook_avatar_url``, ``colors`` and
    ``api_base`` from the ``[discord]`` table.
    """

    def __init__(self, config: Config | None = None, *,
                 settings: DiscordSettings | None = None) -> None:
        self.settings = _settings(config, settings)
        configure_endpoints(self.settings.api_base, self.settings.gateway_url)
        install_redaction(self.settings.token)
        self._session: aiohttp.ClientSession | None = None

    @staticmethod
    def config_problems(config: Config, target: str) -> list[str]:
        """What a ``discord-webhook:<URL>`` destination lacks (``vigie
        check``): a Discord webhook URL. It needs no bot token."""
        try:
            parse_webhook_url(target, _settings(config, None).api_base)
        except InvalidValueError as e:
            return [f"discord-webhook: {e}"]
        return []

    def destination(self, target: str) -> DiscordWebhookDestination:
        """The webhook at URL ``target``. Raises UnknownDestinationError for a bad URL."""
        try:
            return DiscordWebhookDestination(self, target)
        except InvalidValueError as e:
            raise UnknownDestinationError(f"discord-webhook: {e}") from None

    async def session(self) -> aiohttp.ClientSession:
        """The HTTP session shared by every webhook, made on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
