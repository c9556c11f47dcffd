"""The ``/vigie`` slash command (and the optional App Home tab) through slack-bolt.

The bolt :class:`AsyncApp` acknowledges every command at once (Slack wants an
answer within 3 seconds), then builds a :class:`bot.chat.Caller`, runs the
command layer, and posts the rendered :class:`bot.replies.Reply` to the
command's ``response_url`` (ephemeral replies stay ephemeral).

Two ways to receive commands:

* Socket Mode (default): an outgoing websocket opened with the app-level
  token; no public URL needed.
* HTTP mode: an aiohttp endpoint at ``/slack/events`` on ``[slack] http_port``;
  bolt verifies every request's signature and age (5 minutes), so a forged,
  tampered or replayed request gets 401 and never reaches the command layer.

Every Web API call goes to ``[slack] api_base`` (Slack, GovSlack, or a local
fake in the tests); Socket Mode's websocket URL comes from
``apps.connections.open`` on that same base.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import Caller, CommandHandler
from bot.config import Config
from bot.exceptions import ConfigError
from bot.replies import Heading, Reply

from ._settings import SlackSettings, settings_problems
from .destination import error_code
from .render import JSON, render_reply, reply_blocks

log = logging.getLogger(__name__)

#: The slash command, as declared in slack-app-manifest.yml.
COMMAND = "/vigie"
#: Where HTTP mode listens (bolt's usual path).
EVENTS_PATH = "/slack/events"
#: How long a users.info answer (admin or not) is trusted.
ADMIN_CACHE_SECONDS = 300.0
#: Command lines whose replies make up the App Home tab.
HOME_COMMANDS = ("list", "status")
#: Block Kit's limit for a Home tab view.
MAX_HOME_BLOCKS = 100

_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_AUTH_ERRORS = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "not_allowed_token_type",
})


class SlackApp:
    """The bolt app serving ``/vigie`` in Socket Mode or HTTP mode.

    ``host``/``port`` apply to HTTP mode (``port`` defaults to
    ``settings.http_port``; 0 picks a free port, see :attr:`port`).
    """

    def __init__(
        self, settings: SlackSettings, handler: CommandHandler, *, host: str = "0.0.0.0",
        port: int | None = None, admin_cache_seconds: float = ADMIN_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.bot_token:
            raise ValueError("the Slack app needs a bot token")
        self.settings = settings
        self.handler = handler
        self.host = host
        self.port = settings.http_port if port is None else port
        self.admin_cache_seconds = admin_cache_seconds
        self.clock = clock
        self._admins: dict[tuple[str, str], tuple[float, bool]] = {}
        self.client = AsyncWebClient(
            token=settings.bot_token, base_url=settings.api_base,
            retry_handlers=[AsyncConnectionErrorRetryHandler(),
                            AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
        )
        self.app = AsyncApp(
            client=self.client, name="vigie",
            # Socket Mode requests are not signed; bolt skips the check for them.
            signing_secret=settings.signing_secret or "",
            request_verification_enabled=True,
            process_before_response=False,
        )
        self.app.command(COMMAND)(self._on_command)
        if settings.app_home:
            self.app.event("app_home_opened")(self._on_home_opened)
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None

    @classmethod
    def from_config(cls, config: Config, handler: CommandHandler, **kw: Any) -> SlackApp:
        """The app for ``config``'s ``[slack]`` table.

        Raises :class:`ConfigError` when the table cannot run the app (no bot
        token, no app token in Socket Mode, no signing secret in HTTP mode).
        """
        table = config.adapters.get("slack")
        if table is None:
            raise ConfigError(config.path, [("slack", "the [slack] table is missing")])
        problems = [(f"slack.{k}", m) for k, m in settings_problems(table)]
        settings = SlackSettings.from_table(table)
        if not settings.bot_token and not problems:
            problems.append(("slack.bot_token", "is required to run the /vigie command"))
        if problems:
            raise ConfigError(config.path, problems)
        return cls(settings, handler, **kw)

    # -- lifecycle --

    async def start(self) -> None:
        """Check the bot token, then connect (Socket Mode) or listen (HTTP mode).

        Raises :class:`ConfigError` when Slack rejects a token.
        """
        await self._check_token(self.client, "bot_token")
        if self.settings.mode == "socket":
            if not self.settings.app_token:
                raise ConfigError("<slack>", [("slack.app_token", "is required in Socket Mode")])
            self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token,
                                                  web_client=self.client)
            try:
                # Fetch the websocket URL here so that a bad app token fails
                # loudly instead of being retried forever by the client.
                self._socket.client.wss_uri = await self._socket.client.issue_new_wss_url()
            except SlackApiError as e:
                await self._socket.close_async()  # type: ignore[no-untyped-call]
                self._socket = None
                raise ConfigError("<slack>", [(
                    "slack.app_token",
                    f"Slack rejected it ({error_code(e.response.get('error'))}); "
                    "it needs the connections:write scope")]) from None
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack: connected in Socket Mode")
        else:
            web_app = web.Application()
            web_app.router.add_post(EVENTS_PATH, self._http_events)
            self._runner = web.AppRunner(web_app, handle_signals=False, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            self.port = int(self._runner.addresses[0][1])
            log.info("Slack: listening for HTTP requests on port %d at %s", self.port, EVENTS_PATH)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _check_token(self, client: AsyncWebClient, key: str) -> None:
        try:
            await client.auth_test()
        except SlackApiError as e:
            code = error_code(e.response.get("error"))
            if code in _AUTH_ERRORS:
                raise ConfigError("<slack>", [(f"slack.{key}", f"Slack rejected it ({code})")]
                                  ) from None
            log.warning("Slack: auth.test failed (%s); continuing", code)
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            # Slack may be briefly unreachable at start: bolt and the socket retry.
            log.warning("Slack: cannot reach the Web API (%s); continuing", type(e).__name__)

    async def _http_events(self, request: web.Request) -> web.Response:
        # bolt's verifier fails with a 500 on a non-numeric timestamp: refuse it first.
        if not _TIMESTAMP_RE.fullmatch(request.headers.get("X-Slack-Request-Timestamp", "")):
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_request = await to_bolt_request(request)
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    # -- callers --

    async def is_workspace_admin(self, team: str, user: str) -> bool:
        """Whether ``users.info`` says ``user`` is a workspace admin or owner (cached).

        Failures (missing users:read scope, network) count as "no" and are not cached.
        """
        key = (team, user)
        cached = self._admins.get(key)
        now = self.clock()
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            response = await self.client.users_info(user=user)
        except SlackApiError as e:
            log.warning("Slack: users.info failed (%s); treating the user as a non-admin",
                        error_code(e.response.get("error")))
            return False
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            log.warning("Slack: users.info unreachable (%s); treating the user as a non-admin",
                        type(e).__name__)
            return False
        info = response.get("user") or {}
        admin = bool(info.get("is_admin") or info.get("is_owner")) and not info.get("deleted")
        self._admins[key] = (now + self.admin_cache_seconds, admin)
        return admin

    async def caller(self, body: dict[str, Any]) -> Caller:
        """The :class:`Caller` of a slash-command payload."""
        team = str(body.get("team_id") or "")
        channel = str(body.get("channel_id") or "")
        user = str(body.get("user_id") or "")
        admin = user in self.settings.admin_users or (
            bool(user) and await self.is_workspace_admin(team, user))
        return Caller(
            platform="slack", workspace=team, channel=channel, user=user,
            user_name=str(body.get("user_name") or ""), is_platform_admin=admin,
            destination=f"slack:{channel}",
        )

    # -- listeners --

    async def _run(self, caller: Caller, text: str) -> Reply:
        try:
            return await self.handler.handle(caller, text)
        except Exception:
            # The command layer should not raise; if it does, the user still gets an answer.
            log.exception("Slack: the command %r failed", text[:100])
            return Reply.error("Something went wrong on Vigie's side; the error was logged.")

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any],
                          respond: AsyncRespond) -> None:
        await ack()  # first, always: Slack shows an error after 3 seconds without it
        caller = await self.caller(body)
        reply = await self._run(caller, str(body.get("text") or "").strip())
        payload = render_reply(reply)
        try:
            response = await respond(
                text=payload["text"], blocks=payload["blocks"] or None,
                response_type="ephemeral" if reply.ephemeral else "in_channel",
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            log.warning("Slack: could not answer /vigie (%s)", type(e).__name__)
            return
        if response.status_code != 200:
            log.warning("Slack: the reply to /vigie was refused (HTTP %d, %s)",
                        response.status_code, error_code(response.body))

    async def _on_home_opened(self, event: dict[str, Any], body: dict[str, Any],
                              client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user") or "")
        team = str(body.get("team_id") or "")
        channel = str(event.get("channel") or "")
        caller = Caller(
            platform="slack", workspace=team, channel=channel, user=user,
            is_platform_admin=user in self.settings.admin_users
            or await self.is_workspace_admin(team, user),
            destination=f"slack:{channel}",
        )
        blocks: list[JSON] = reply_blocks(Reply((Heading("Vigie"),)))
        for line in HOME_COMMANDS:
            blocks += [{"type": "divider"}, *reply_blocks(await self._run(caller, line))]
        if len(blocks) > MAX_HOME_BLOCKS:
            blocks = blocks[:MAX_HOME_BLOCKS]
        try:
            await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})
        except SlackApiError as e:
            log.warning("Slack: views.publish failed (%s)", error_code(e.response.get("error")))


async def start_slack(config: Config, handler: CommandHandler, stop: asyncio.Event,
                      **kw: Any) -> None:
    """Serve ``/vigie`` until ``stop`` is set (for ``vigie run``).

    Raises :class:`ConfigError` for an unusable ``[slack]`` table or a token
    Slack rejects. ``kw`` goes to :class:`SlackApp` (``host``, ``port``).
    """
    app = SlackApp.from_config(config, handler, **kw)
    await app.start()
    try:
        await stop.wait()
    finally:
        await app.close()


async def run_chat(config: Config, handler: CommandHandler, stop: asyncio.Event) -> None:
    """``vigie run``'s entry (group ``vigie.chat``): the app when a bot token is set.

    A ``[slack]`` table for incoming webhooks only has no bot token: nothing to run.
    """
    table = config.adapters.get("slack") or {}
    if table.get("bot_token"):
        await start_slack(config, handler, stop)
