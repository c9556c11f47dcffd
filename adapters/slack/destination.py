"""Slack destinations: ``slack:<channel id>`` (bot token) and
``slack-webhook:<incoming webhook URL>``.

Both post the Block Kit rendering of an alert (``send``) or of a digest
(``send_digest``), pace themselves to about one message per second per
channel (Slack's chat.postMessage allowance), and let slack_sdk's
rate-limit retry handler sleep through 429 ``Retry-After`` answers
(slack_sdk does not retry 429 by default). What still fails becomes a
:class:`bot.exceptions.DeliveryError` whose ``transient`` flag tells the
outbox whether to retry; nothing is swallowed.

Secrets stay out of errors and logs: the bot token is only ever in the
``Authorization`` header (slack_sdk redacts it in its debug log), and a
webhook URL — itself a secret — is shown without its last path segment.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters._pacing import Pacer
from bot.config import Config
from bot.exceptions import DeliveryError, UnknownDestinationError
from bot.types import Alert, AlertDigest

from .render import render_alert, render_digest
from .settings import SlackSettings, settings_problems

log = logging.getLogger(__name__)

#: Seconds between two messages to the same channel (Slack allows about 1/s).
DEFAULT_PACE = 1.0
#: 429 answers slept through inside one send before giving the outbox a
#: transient error (with the Retry-After) to retry later.
DEFAULT_RATE_LIMIT_RETRIES = 3
#: Seconds allowed for one Web API request.
REQUEST_TIMEOUT = 30

# Hosts Slack serves incoming webhooks from (commercial and GovSlack).
WEBHOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
_CHANNEL_RE = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_ERROR_CODE_RE = re.compile(r"^[a-z0-9_]{1,64}$")

# slack_sdk's webhook client logs the full URL (debug, and info on retries),
# and the URL is the secret: its logger is kept at WARNING whatever the root level.
_webhook_sdk_log = logging.getLogger(f"{__name__}.webhook_client")
_webhook_sdk_log.setLevel(logging.WARNING)

# -- errors (pure) -------------------------------------------------------------------

_PERMANENT: dict[str, str] = {
    "channel_not_found": "channel {channel} does not exist or the bot cannot see it "
                         "(check the channel id; for a private channel, invite the bot)",
    "not_in_channel": "the bot is not in channel {channel}: invite it with /invite @Vigie",
    "is_archived": "channel {channel} is archived",
    "channel_is_archived": "channel {channel} is archived",
    "restricted_action": "the workspace does not let the bot post in {channel}",
    "restricted_action_read_only_channel": "channel {channel} is read-only for the bot",
    "cannot_reply_to_message": "Slack refused the message in {channel}",
    "invalid_auth": "Slack rejected the bot token: check [slack] bot_token",
    "not_authed": "no Slack bot token was sent: set [slack] bot_token",
    "account_inactive": "the Slack bot token belongs to a deactivated account or app",
    "token_revoked": "the Slack bot token was revoked: "
                     "reinstall the app and update [slack] bot_token",
    "token_expired": "the Slack bot token expired: update [slack] bot_token",
    "not_allowed_token_type": "[slack] bot_token is not a bot token (xoxb-…)",
    "missing_scope": "the Slack app lacks the chat:write scope: add it and reinstall the app",
    "no_permission": "the Slack app is not allowed to post there",
    "ekm_access_denied": "the workspace's key management denied the message",
    "team_access_not_granted": "the app is not installed in that workspace",
    "invalid_blocks": "Slack refused the message layout (invalid_blocks)",
    "invalid_blocks_format": "Slack refused the message layout (invalid_blocks_format)",
    "msg_too_long": "the message is too long for Slack",
    "no_text": "the message was empty",
    "invalid_arguments": "Slack refused the message (invalid_arguments)",
    "invalid_payload": "Slack refused the message (invalid_payload)",
    "too_many_attachments": "Slack refused the message (too many attachments)",
    "no_service": "the incoming webhook was removed or disabled: create a new one",
    "no_service_id": "the incoming webhook URL is incomplete",
    "no_team": "the incoming webhook's workspace no longer exists",
    "team_disabled": "the workspace was disabled",
    "action_prohibited": "an admin restricted what this webhook may post",
    "posting_to_general_channel_denied": "only admins may post to that channel",
    "user_not_found": "the webhook's user no longer exists",
}


def error_code(value: object) -> str:
    """A Slack error code safe to show (codes are short snake_case words)."""
    code = str(value or "").strip().lower()
    return code if _ERROR_CODE_RE.match(code) else "unknown_error"


def delivery_error(
    destination: str, *, error: str, status: int = 200, channel: str = "",
    retry_after: float | None = None,
) -> DeliveryError:
    """The :class:`DeliveryError` for a Slack answer (``status`` and ``error`` code).

    429 and 5xx are transient (with ``retry_after``); the errors listed in
    ``_PERMANENT`` are not; any other code is assumed transient, since a
    needless retry costs less than a lost alert.
    """
    code = error_code(error)
    where = channel or "the webhook's channel"
    if status == 429 or code in ("ratelimited", "rate_limited"):
        wait = f" (retry after {retry_after:g}s)" if retry_after is not None else ""
        return DeliveryError(destination, f"rate-limited by Slack{wait}", transient=True,
                             retry_after=retry_after)
    if status >= 500:
        return DeliveryError(destination, f"Slack is unavailable (HTTP {status}, {code})",
                             transient=True, retry_after=retry_after)
    if code in _PERMANENT:
        return DeliveryError(destination, _PERMANENT[code].format(channel=where),
                             transient=False)
    return DeliveryError(destination, f"Slack refused the message ({code})", transient=True)


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def redact_webhook(url: str) -> str:
    """A webhook URL without its secret (the last path segment)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    path = parts.path.rstrip("/")
    head = path.rsplit("/", 1)[0] if path.count("/") > 1 else ""
    return f"{parts.hostname or '?'}{head}/…"


# -- pacing --------------------------------------------------------------------------


class ChannelPacer(Pacer):
    """Slack's pacing: about one message per second per channel."""

    def __init__(
        self, interval: float = DEFAULT_PACE, *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        super().__init__(interval, clock=clock, sleep=sleep)


class _BlockKitDestination:
    """Sends each alert, and each digest, quiet-hours catch-up or roll-up, as
    one Block Kit message; the two kinds of Slack destination post it their way.

    Slack has no idempotency key for chat.postMessage nor for incoming
    webhooks: ``idempotency_key`` is unused.
    """

    #: The destination as errors and logs show it.
    name: str

    def __init__(self, settings: SlackSettings) -> None:
        self._unfurl = settings.unfurl

    async def send(self, alert: Alert) -> str | None:
        """Post ``alert``; returns the message's ``ts`` (None from a webhook).

        Raises :class:`DeliveryError` (transient for 429, 5xx and network errors).
        """
        return await self._post(render_alert(alert, unfurl=self._unfurl))

    async def send_digest(self, digest: AlertDigest) -> str | None:
        """Post a digest as one message; returns and raises as :meth:`send` does."""
        return await self._post(render_digest(digest, unfurl=self._unfurl))

    async def _post(self, payload: dict[str, Any]) -> str | None:
        raise NotImplementedError


# -- bot-token destinations ----------------------------------------------------------


class SlackChannelDestination(_BlockKitDestination):
    """One channel, posted to with chat.postMessage."""

    def __init__(self, adapter: SlackAdapter, channel: str) -> None:
        super().__init__(adapter.settings)
        self.adapter = adapter
        self.channel = channel
        self.name = f"slack:{channel}"

    async def _post(self, payload: dict[str, Any]) -> str | None:
        client = self.adapter.client()
        async with self.adapter.pacer.slot(self.name):
            try:
                response = await client.chat_postMessage(channel=self.channel, **payload)
            except SlackApiError as e:
                raise delivery_error(
                    self.name, error=str(e.response.get("error", "")),
                    status=e.response.status_code, channel=self.channel,
                    retry_after=_retry_after(e.response.headers),
                ) from None
            except (aiohttp.ClientError, TimeoutError, OSError) as e:
                raise DeliveryError(self.name, f"cannot reach Slack ({type(e).__name__})",
                                    transient=True) from None
        ts = response.get("ts")
        return str(ts) if ts else None


class SlackAdapter:
    """The ``slack`` destination scheme: channels, with the bot token.

    Registered under the ``vigie.destinations`` entry-point group; owns the
    ``[slack]`` configuration table (:meth:`settings_problems`).
    """

    scheme = "slack"

    def __init__(
        self, config: Config | None = None, *, settings: SlackSettings | None = None,
        pace: float = DEFAULT_PACE, rate_limit_retries: int = DEFAULT_RATE_LIMIT_RETRIES,
    ) -> None:
        table = config.adapters.get("slack") if config is not None else None
        self.settings = settings if settings is not None else SlackSettings.from_table(table)
        self.pacer = ChannelPacer(pace)
        self.rate_limit_retries = rate_limit_retries
        self._session: aiohttp.ClientSession | None = None
        self._client: AsyncWebClient | None = None
        self._destinations: dict[str, SlackChannelDestination] = {}

    settings_problems = staticmethod(settings_problems)

    def __repr__(self) -> str:
        return f"SlackAdapter(api_base={self.settings.api_base!r})"

    def client(self) -> AsyncWebClient:
        """The shared Web API client (created on first use, inside the event loop)."""
        if self._client is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
            self._client = AsyncWebClient(
                token=self.settings.bot_token, base_url=self.settings.api_base,
                session=self._session, timeout=REQUEST_TIMEOUT,
                retry_handlers=[
                    AsyncConnectionErrorRetryHandler(),
                    AsyncRateLimitErrorRetryHandler(max_retry_count=self.rate_limit_retries),
                ],
            )
        return self._client

    @staticmethod
    def chat_configured(table: Mapping[str, Any]) -> bool:
        """Whether a ``[slack]`` table runs the app with its /vigie command
        (a bot token is set), rather than only incoming webhooks."""
        return SlackSettings.from_table(table).bot_token is not None

    @staticmethod
    def config_problems(config: Config, target: str) -> list[str]:
        """What a ``slack:<target>`` destination lacks in ``config`` (``vigie
        check``): a channel id, and the bot token to post with."""
        settings = SlackSettings.from_table(config.adapters.get("slack"))
        return _channel_problems(settings, target)

    def destination(self, target: str) -> SlackChannelDestination:
        """The channel ``target`` (a channel id such as ``C024BE91L``).

        Raises :class:`UnknownDestinationError` for a malformed id or without a bot token.
        """
        channel = target.strip()
        for problem in _channel_problems(self.settings, channel):
            raise UnknownDestinationError(problem)
        if channel not in self._destinations:
            self._destinations[channel] = SlackChannelDestination(self, channel)
        return self._destinations[channel]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = self._client = None


def _channel_problems(settings: SlackSettings, target: str) -> list[str]:
    channel = target.strip()
    problems = []
    if not _CHANNEL_RE.match(channel):
        problems.append(f"slack:{channel[:40]} is not a Slack channel id (such as C024BE91L)")
    if not settings.bot_token:
        problems.append("slack: destinations need [slack] bot_token")
    return problems


# -- incoming webhooks ---------------------------------------------------------------


class SlackWebhookDestination(_BlockKitDestination):
    """One incoming webhook (the channel is chosen when the webhook is created)."""

    def __init__(self, adapter: SlackWebhookAdapter, url: str) -> None:
        super().__init__(adapter.settings)
        self.adapter = adapter
        self.url = url
        #: Shown in errors and logs instead of the URL, which is a secret.
        self.name = f"slack-webhook:{redact_webhook(url)}"

    async def _post(self, payload: dict[str, Any]) -> str | None:
        client = AsyncWebhookClient(
            self.url, timeout=REQUEST_TIMEOUT, session=self.adapter.session(),
            logger=_webhook_sdk_log,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=self.adapter.rate_limit_retries),
            ],
        )
        async with self.adapter.pacer.slot(self.url):
            try:
                response = await client.send_dict(payload)
            except (aiohttp.ClientError, TimeoutError, OSError) as e:
                raise DeliveryError(self.name, f"cannot reach Slack ({type(e).__name__})",
                                    transient=True) from None
        if response.status_code == 200:
            return None
        raise delivery_error(
            self.name, error=response.body, status=response.status_code,
            retry_after=_retry_after(response.headers),
        )


class SlackWebhookAdapter:
    """The ``slack-webhook`` destination scheme: incoming-webhook URLs.

    Accepts https URLs on Slack's webhook hosts, and URLs on the host of
    ``[slack] api_base`` when it is not Slack's own (a local or government
    Slack). Anything else is refused, so a chat user cannot make the bot post
    to an arbitrary or internal address.
    """

    scheme = "slack-webhook"

    def __init__(
        self, config: Config | None = None, *, settings: SlackSettings | None = None,
        pace: float = DEFAULT_PACE, rate_limit_retries: int = DEFAULT_RATE_LIMIT_RETRIES,
    ) -> None:
        table = config.adapters.get("slack") if config is not None else None
        self.settings = settings if settings is not None else SlackSettings.from_table(table)
        self.pacer = ChannelPacer(pace)
        self.rate_limit_retries = rate_limit_retries
        self._session: aiohttp.ClientSession | None = None
        self._destinations: dict[str, SlackWebhookDestination] = {}

    def __repr__(self) -> str:
        return "SlackWebhookAdapter()"

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        return self._session

    def allowed(self, url: str) -> bool:
        """Whether ``url`` may be posted to (see the class docstring)."""
        return _webhook_allowed(self.settings, url)

    @staticmethod
    def config_problems(config: Config, target: str) -> list[str]:
        """What a ``slack-webhook:<URL>`` destination lacks (``vigie check``):
        an incoming-webhook URL. It needs no bot token."""
        settings = SlackSettings.from_table(config.adapters.get("slack"))
        return [p for p in [_webhook_problem(settings, target)] if p]

    def destination(self, target: str) -> SlackWebhookDestination:
        """The webhook at URL ``target``.

        Raises :class:`UnknownDestinationError` for a URL that is not a Slack webhook.
        """
        url = target.strip()
        problem = _webhook_problem(self.settings, url)
        if problem:
            raise UnknownDestinationError(problem)
        if url not in self._destinations:
            self._destinations[url] = SlackWebhookDestination(self, url)
        return self._destinations[url]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None


def _webhook_allowed(settings: SlackSettings, url: str) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password or len(url) > 2000:
        return False
    if parts.scheme == "https" and parts.hostname in WEBHOOK_HOSTS and port in (None, 443):
        return parts.path.startswith("/services/")
    try:
        base = urlsplit(settings.api_base)
        base_port = base.port
    except ValueError:  # an api_base the configuration check refused
        return False
    return (
        base.hostname not in (None, "slack.com")
        and (parts.scheme, parts.hostname, port) == (base.scheme, base.hostname, base_port)
    )


def _webhook_problem(settings: SlackSettings, target: str) -> str | None:
    url = target.strip()
    if not _webhook_allowed(settings, url):
        return (f"slack-webhook:{redact_webhook(url)} is not a Slack incoming-webhook URL "
                "(https://hooks.slack.com/services/…)")
    return None
