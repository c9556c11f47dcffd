"""The ``/vigie`` slash command (and the optional App Home tab) through slack-bolt.

The bolt :class:`AsyncApp` acknowledges every command at once (Slack wants an
answer within 3 seconds), then builds a :class:`bot.chat.Caller`, runs the
command layer, and posts the rendered :class:`bot.replies.Reply` to the
command's ``response_url`` (ephemeral replies stay ephemeral).

Two ways to receive commands:

* Socket Mode (default): an outgoing websocket opened with the app-level
  token; no public URL needed.
* HTTP mode: ``/slack/events`` on Vigie's public server (``[http] port``, else
  ``[slack] http_port``), shared with WebSub;
  bolt verifies every request's signature and age (5 minutes), so a forged,
  tampered or replayed request gets 401 and never reaches the command layer.

Every Web API call goes to ``[slack] api_base`` (Slack, GovSlack, or a local
fake in the tests); Socket Mode's websocket URL comes from
``apps.connections.open`` on that same base.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.logger import messages as bolt_messages
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat import Caller, CommandHandler
from bot.config import Config
from bot.exceptions import ConfigError, InvalidValueError, PlatformUnavailableError
from bot.replies import Heading, Reply, Text
from bot.webserver import PublicServer

from .destination import error_code
from .markup import JSON
from .render import render_reply, reply_blocks
from .settings import SlackSettings, settings_problems

log = logging.getLogger(__name__)

#: The slash command, as declared in slack-app-manifest.yml.
COMMAND = "/vigie"
#: Where HTTP mode listens (bolt's usual path).
EVENTS_PATH = "/slack/events"
#: How long a users.info answer (admin or not) is trusted.
ADMIN_CACHE_SECONDS = 300.0
#: Command lines whose replies make up the App Home tab; admins also see every
#: subscription of the workspace (`list --all` names channels, so only for them).
HOME_COMMANDS = ("status", "topics")
HOME_ADMIN_COMMANDS = ("list --all",)
HOME_NOTE = ("Subscriptions belong to channels: type `/vigie list` in a channel to see its "
             "own, and `/vigie help` for every command.")
#: Block Kit's limit for a Home tab view.
MAX_HOME_BLOCKS = 100

_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_AUTH_ERRORS = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "not_allowed_token_type",
})


#: Bolt's own log, minus its start-up notes about choices Vigie makes on
#: purpose (a prepared client; a single workspace even when OAuth variables
#: are set), which would read as problems to an operator.
_bolt_log = logging.getLogger("slack_bolt.AsyncApp")
_EXPECTED_BOLT_NOTES = frozenset({
    bolt_messages.warning_client_prioritized_and_token_skipped(),
    bolt_messages.warning_token_skipped(),
    bolt_messages.info_default_oauth_settings_loaded(),
})


class _QuietBolt(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in _EXPECTED_BOLT_NOTES


_bolt_log.addFilter(_QuietBolt())

#: With both set, slack-bolt switches to OAuth (multi-workspace) mode and
#: ignores the bot token, so no command would be answered.
OAUTH_ENV = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


class SingleWorkspace(AsyncAuthorize):
    """Authorises every request with the configured bot token.

    Used instead of bolt's OAuth installation store when ``SLACK_CLIENT_ID``
    and ``SLACK_CLIENT_SECRET`` are in the environment: Vigie serves the one
    workspace its bot token belongs to.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._result: AuthorizeResult | None = None

    async def __call__(
        self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None,
        user_id: str | None, actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None, actor_user_id: str | None = None,
    ) -> AuthorizeResult:
        if self._result is None:
            response = await self.client.auth_test()
            self._result = AuthorizeResult.from_auth_test_response(
                auth_test_response=response, bot_token=self.client.token)
        return self._result


#: First wait before connecting again when Slack is unreachable at start
#: (doubled each time, up to :data:`MAX_START_RETRY`).
START_RETRY = 1.0
MAX_START_RETRY = 60.0


class SlackUnavailableError(PlatformUnavailableError):
    """Slack could not be reached at start (network, 5xx, 429): worth retrying."""


def command_text(text: object) -> str:
    """The command line typed after ``/vigie``, as the user typed it.

    Slack escapes ``&``, ``<`` and ``>`` in a slash command's text
    (``AT&amp;T``); the command layer wants the characters themselves.
    """
    raw = text if isinstance(text, str) else ""
    return raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


class SlackApp:
    """The bolt app serving ``/vigie`` in Socket Mode or HTTP mode.

    HTTP mode adds ``/slack/events`` to ``http``, Vigie's shared public
    server (:class:`bot.webserver.PublicServer`, where WebSub's callbacks are
    too); without one, the app serves on ``host``/``port`` alone (``port``
    defaults to ``settings.http_port``; 0 picks a free port, see :attr:`port`).
    """

    def __init__(
        self, settings: SlackSettings, handler: CommandHandler, *, host: str = "0.0.0.0",
        port: int | None = None, admin_cache_seconds: float = ADMIN_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic, http: PublicServer | None = None,
    ) -> None:
        if not settings.bot_token:
            raise InvalidValueError("the Slack app needs a bot token")
        self.settings = settings
        self.handler = handler
        if http is None:
            # Alone (tests, or an embedding without vigie run): a server of its own.
            http = PublicServer(host, settings.http_port if port is None else port)
            self._own_server = True
        else:
            # Vigie's shared public server: [slack] http_port unless [http] port says.
            http.default_port(settings.http_port)
            self._own_server = False
        #: Where HTTP mode receives Slack's requests (``/slack/events``).
        self.http = http
        self.admin_cache_seconds = admin_cache_seconds
        self.clock = clock
        self._admins: dict[tuple[str, str], tuple[float, bool]] = {}
        self.client = AsyncWebClient(
            token=settings.bot_token, base_url=settings.api_base,
            retry_handlers=[AsyncConnectionErrorRetryHandler(),
                            AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
        )
        # Bolt's own test: set at all, even empty.
        oauth_env = all(os.environ.get(k) is not None for k in OAUTH_ENV)
        if oauth_env:
            log.warning("Slack: %s are set in the environment; Vigie ignores them and "
                        "serves the workspace of [slack] bot_token", " and ".join(OAUTH_ENV))
        self.app = AsyncApp(
            client=self.client, name="vigie", logger=_bolt_log,
            # Socket Mode requests are not signed; bolt skips the check for them.
            signing_secret=settings.signing_secret or "",
            request_verification_enabled=True,
            process_before_response=False,
            authorize=SingleWorkspace(self.client) if oauth_env else None,
        )
        self.app.command(COMMAND)(self._on_command)
        if settings.app_home:
            self.app.event("app_home_opened")(self._on_home_opened)
        self._socket: AsyncSocketModeHandler | None = None
        self._serving = False

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

        Raises :class:`ConfigError` when Slack rejects a token or the port
        cannot be listened on, and :class:`SlackUnavailableError` when Slack
        cannot be reached (the app is left closed, ready to start again).
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
                await self._socket.connect_async()  # type: ignore[no-untyped-call]
            except SlackApiError as e:
                await self.close()
                code = error_code(e.response.get("error"))
                if e.response.status_code == 429 or e.response.status_code >= 500:
                    raise SlackUnavailableError(
                        f"HTTP {e.response.status_code}, {code}") from None
                raise ConfigError("<slack>", [(
                    "slack.app_token",
                    f"Slack rejected it ({code}); it needs the connections:write scope")]
                ) from None
            except (aiohttp.ClientError, TimeoutError, OSError) as e:
                await self.close()
                raise SlackUnavailableError(type(e).__name__) from None
            log.info("Slack: connected in Socket Mode")
        else:
            self.http.add_route("POST", EVENTS_PATH, self._http_events)
            self._serving = True
            try:
                await self.http.start()
            except ConfigError as e:
                await self.close()
                if not self._own_server:
                    raise
                raise ConfigError("<slack>", [("slack.http_port", message)
                                              for _, message in e.problems]) from None
            log.info("Slack: listening for HTTP requests on port %d at %s", self.port, EVENTS_PATH)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._serving:
            self.http.remove_route("POST", EVENTS_PATH)
            self._serving = False
            if self._own_server:
                await self.http.close()

    @property
    def port(self) -> int | None:
        """The port HTTP mode listens on (the real one once started)."""
        return self.http.port

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
        channel = str(body.get("channel_id") or "")
        return await self._with_workspace_admin(Caller(
            platform="slack", workspace=str(body.get("team_id") or ""), channel=channel,
            user=str(body.get("user_id") or ""), user_name=str(body.get("user_name") or ""),
            destination=f"slack:{channel}",
        ))

    async def _with_workspace_admin(self, caller: Caller) -> Caller:
        """``caller`` with whether Slack says it is a workspace admin; not
        asked when the core's admin policy (``admin_users``) already says so."""
        if not caller.user or self.handler.is_admin(caller):
            return caller
        admin = await self.is_workspace_admin(caller.workspace, caller.user)
        return dataclasses.replace(caller, is_platform_admin=admin)

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
        reply = await self._run(caller, command_text(body.get("text")))
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
        channel = str(event.get("channel") or "")
        caller = await self._with_workspace_admin(Caller(
            platform="slack", workspace=str(body.get("team_id") or ""), channel=channel,
            user=user, destination=f"slack:{channel}",
        ))
        blocks: list[JSON] = reply_blocks(Reply((Heading("Vigie"), Text(HOME_NOTE))))
        lines = HOME_COMMANDS + (HOME_ADMIN_COMMANDS if self.handler.is_admin(caller) else ())
        for line in lines:
            blocks += [{"type": "divider"}, *reply_blocks(await self._run(caller, line))]
        if len(blocks) > MAX_HOME_BLOCKS:
            blocks = blocks[:MAX_HOME_BLOCKS]
        try:
            await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})
        except SlackApiError as e:
            log.warning("Slack: views.publish failed (%s)", error_code(e.response.get("error")))


async def start_slack(config: Config, handler: CommandHandler, stop: asyncio.Event, *,
                      first_retry: float = START_RETRY, **kw: Any) -> None:
    """Serve ``/vigie`` until ``stop`` is set (for ``vigie run``).

    While Slack cannot be reached, connecting is tried again, waiting
    ``first_retry`` seconds, then twice as long each time (at most a minute).

    Raises :class:`ConfigError` for an unusable ``[slack]`` table, a token
    Slack rejects or a port in use. ``kw`` goes to :class:`SlackApp`
    (``host``, ``port``, ``http``).
    """
    app = SlackApp.from_config(config, handler, **kw)
    delay = first_retry
    while True:
        try:
            await app.start()
            break
        except SlackUnavailableError as e:
            log.warning("Slack: cannot connect (%s); trying again in %gs", e, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return
        except TimeoutError:
            delay = min(delay * 2, MAX_START_RETRY)
    try:
        await stop.wait()
    finally:
        await app.close()


async def run_chat(config: Config, handler: CommandHandler, stop: asyncio.Event, *,
                   http: PublicServer | None = None) -> None:
    """``vigie run``'s entry (group ``vigie.chat``): the app when a bot token is set,
    HTTP mode on ``http``, Vigie's shared public server.

    A ``[slack]`` table for incoming webhooks only has no bot token: nothing to run.
    """
    table = config.adapters.get("slack") or {}
    if table.get("bot_token"):
        await start_slack(config, handler, stop, http=http)
