"""A local Slack: the Web API methods Vigie uses, incoming webhooks, Socket Mode
and ``response_url``, on 127.0.0.1, checked the way Slack checks.

Usage::

    async with FakeSlack() as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_base)
        ...
        fake.messages("C123")          # payloads posted to a channel, validated
        fake.fail_next("C123", "not_in_channel")
        fake.rate_limit("C123", count=3, retry_after=0)
        ack = await fake.send_slash_command("recent gpu")   # Socket Mode
        await fake.wait_responses(1)                        # what came to response_url

Every posted message (chat.postMessage, chat.update, webhooks, response_url,
views.publish) is validated with slack_sdk's block models plus the limits
Slack enforces and the models do not (text objects non-empty, header text
plain, field and context sizes, image URLs http(s)); a violation answers
``invalid_blocks`` like Slack. Tokens are checked on every Web API call.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

BOT_TOKEN = "xoxb-1111-2222-fakebottokenvalue"
APP_TOKEN = "xapp-1-A0VIGIE-3333-fakeapptokenvalue"
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
TEAM_ID = "T0VIGIE01"
BOT_USER_ID = "U0VIGIEBOT"
APP_ID = "A0VIGIE01"

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
SECTION_TEXT = 3000
HEADER_TEXT = 150
FIELD_TEXT = 2000
CONTEXT_TEXT = 3000
MAX_TEXT = 40000

# What Slack turns into a notification or a link to a person/channel/group.
_CONTROL_RE = re.compile(r"<([!@#][^>|]*)(?:\|[^>]*)?>")
_BARE_BROADCAST_RE = re.compile(r"(?<![\w])@(channel|here|everyone)\b", re.I)


# -- validation (pure) ---------------------------------------------------------------


def _text_problem(obj: Any, limit: int, *, plain_only: bool = False) -> str | None:
    if not isinstance(obj, Mapping):
        return "text object is not an object"
    kind = obj.get("type")
    if kind not in (("plain_text",) if plain_only else ("plain_text", "mrkdwn")):
        return f"bad text type {kind!r}"
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return "empty text"
    if len(text) > limit:
        return f"text longer than {limit}"
    return None


def _image_problem(obj: Mapping[str, Any]) -> str | None:
    url = obj.get("image_url")
    if not isinstance(url, str) or not re.match(r"^https?://[^\s]+$", url) or len(url) > 3000:
        return "bad image_url"
    alt = obj.get("alt_text")
    if not isinstance(alt, str) or not alt or len(alt) > 2000:
        return "bad alt_text"
    return None


def block_problem(block: Any) -> str | None:
    """Why Slack would refuse ``block``, or None."""
    if not isinstance(block, Mapping):
        return "block is not an object"
    try:
        parsed = Block.parse(dict(block))
        if parsed is None:
            return f"unknown block type {block.get('type')!r}"
        parsed.to_dict()  # runs every validator of the model and its children
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as e:
        return f"slack_sdk: {e}"
    kind = block.get("type")
    if kind == "header":
        return _text_problem(block.get("text"), HEADER_TEXT, plain_only=True)
    if kind == "section":
        text, fields, accessory = block.get("text"), block.get("fields"), block.get("accessory")
        if text is None and not fields:
            return "section without text or fields"
        if text is not None and (p := _text_problem(text, SECTION_TEXT)):
            return p
        if fields is not None:
            if not isinstance(fields, list) or not fields or len(fields) > 10:
                return "fields: 1 to 10 items"
            for f in fields:
                if p := _text_problem(f, FIELD_TEXT):
                    return "field: " + p
        if accessory is not None:
            if not isinstance(accessory, Mapping) or accessory.get("type") != "image":
                return "only image accessories are expected"
            return _image_problem(accessory)
        return None
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements or len(elements) > 10:
            return "context: 1 to 10 elements"
        for el in elements:
            if isinstance(el, Mapping) and el.get("type") == "image":
                if p := _image_problem(el):
                    return p
            elif p := _text_problem(el, CONTEXT_TEXT):
                return "context: " + p
        return None
    if kind == "divider":
        return None
    return f"block type {kind!r} not expected from Vigie"


def message_problem(payload: Mapping[str, Any], *, max_blocks: int = MAX_BLOCKS) -> str | None:
    """The Slack error code a message payload gets (``invalid_blocks``,
    ``no_text``, ``msg_too_long``), or None when Slack would accept it."""
    return message_problem_detail(payload, max_blocks=max_blocks)[0]


def message_problem_detail(
    payload: Mapping[str, Any], *, max_blocks: int = MAX_BLOCKS
) -> tuple[str | None, str]:
    """:func:`message_problem` with a human explanation (for test failures)."""
    blocks = payload.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return "invalid_blocks_format", "blocks is not JSON"
    text = payload.get("text")
    if text is not None and not isinstance(text, str):
        return "invalid_arguments", "text is not a string"
    if blocks is None:
        if not text:
            return "no_text", "neither text nor blocks"
    else:
        if not isinstance(blocks, list):
            return "invalid_blocks_format", "blocks is not a list"
        if len(blocks) > max_blocks:
            return "invalid_blocks", f"{len(blocks)} blocks > {max_blocks}"
        for i, block in enumerate(blocks):
            if problem := block_problem(block):
                return "invalid_blocks", f"block {i}: {problem}"
    if text and len(text) > MAX_TEXT:
        return "msg_too_long", "text longer than 40000"
    return None, ""


def _texts(payload: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """Every text of a payload with whether Slack parses it verbatim."""
    out: list[tuple[str, bool]] = []
    if isinstance(payload.get("text"), str):
        out.append((payload["text"], False))

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                # plain_text is never parsed for mentions.
                if node["type"] == "mrkdwn":
                    out.append((node["text"], bool(node.get("verbatim"))))
            else:
                for v in node.values():
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(payload.get("blocks") or [])
    return out


def mentions(payload: Mapping[str, Any]) -> list[str]:
    """What in ``payload`` would notify or link someone: ``<!channel>``, ``<@U1>``,
    ``<#C1>``, ``<!subteam^S1>``, and bare ``@here``-style words where Slack
    auto-parses them (non-verbatim text). Dates (``<!date^…>``) do not count."""
    found: list[str] = []
    for text, verbatim in _texts(payload):
        for m in _CONTROL_RE.finditer(text):
            if not m.group(1).startswith("!date^"):
                found.append(m.group(1))
        if not verbatim:
            found += ["@" + m.group(1).lower() for m in _BARE_BROADCAST_RE.finditer(text)]
    return found


def sign_request(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with an HTTP-mode request (signature v0)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


# -- the server ----------------------------------------------------------------------


@dataclass
class _Failure:
    error: str
    status: int = 200
    retry_after: int | None = None


def _retry_after(failure: _Failure) -> str:
    return str(1 if failure.retry_after is None else failure.retry_after)


@dataclass
class Channel:
    id: str
    member: bool = True
    archived: bool = False


@dataclass
class Call:
    """One Web API call as the fake received it."""

    method: str
    token: str | None
    params: dict[str, Any]
    status: int = 200
    error: str | None = None


@dataclass
class Response:
    """One post to a ``response_url``."""

    id: str
    payload: dict[str, Any]
    error: str | None = None


@dataclass
class _Posted:
    ts: str
    payload: dict[str, Any]
    updates: list[dict[str, Any]] = field(default_factory=list)


class FakeSlack:
    """The fake Slack server (see the module docstring)."""

    def __init__(
        self, *, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN,
        team_id: str = TEAM_ID, auto_channels: bool = True,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        #: Unknown channel ids are created on first use (bot a member) when True.
        self.auto_channels = auto_channels
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.calls: list[Call] = []
        self.responses: list[Response] = []
        #: Home tab views published, by user id (latest last).
        self.home_views: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: How many 429 answers were served.
        self.rate_limited = 0
        self._posted: dict[str, list[_Posted]] = defaultdict(list)
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._burst: tuple[int, float, int] | None = None
        self._recent_posts: dict[str, deque[float]] = defaultdict(deque)
        self._webhooks: dict[str, str] = {}  # path secret -> name
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._connected = asyncio.Event()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._response_event = asyncio.Event()
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.add_user("U0ADMIN", name="alice", is_admin=True)
        self.add_user("U0OWNER", name="olga", is_owner=True)
        self.add_user("U0MEMBER", name="bob")

    # -- lifecycle --

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/services/{path:.+}", self._webhook)
        app.router.add_post("/response/{rid}", self._response_url)
        app.router.add_get("/link/", self._socket)
        # No access log: it would record webhook secrets (the bot is what the tests check).
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What slack_sdk's ``base_url`` should be (ends with ``/api/``)."""
        return f"{self.base_url}/api/"

    # -- test controls --

    def add_channel(self, channel: str, *, member: bool = True, archived: bool = False) -> None:
        self.channels[channel] = Channel(channel, member, archived)

    def add_user(self, user: str, *, name: str = "", is_admin: bool = False,
                 is_owner: bool = False) -> None:
        self.users[user] = {
            "id": user, "team_id": self.team_id, "name": name or user.lower(),
            "real_name": name or user, "is_admin": is_admin, "is_owner": is_owner,
            "is_primary_owner": False, "is_restricted": False, "is_bot": False,
            "deleted": False, "profile": {"display_name": name or user},
        }

    def fail_next(self, key: str, error: str = "channel_not_found", *, count: int = 1,
                  status: int = 200) -> None:
        """The next ``count`` calls matching ``key`` (a method such as
        ``chat.postMessage``, a channel id, or a webhook name) fail with ``error``."""
        for _ in range(count):
            self._failures[key].append(_Failure(error, status))

    def rate_limit(self, key: str, count: int = 1, retry_after: int = 1) -> None:
        """The next ``count`` calls matching ``key`` get 429 with ``Retry-After``."""
        for _ in range(count):
            self._failures[key].append(_Failure("ratelimited", 429, retry_after))

    def burst_limit(self, max_messages: int, window: float, retry_after: int = 1) -> None:
        """Like Slack's per-channel limit: more than ``max_messages`` posts to one
        channel within ``window`` seconds get 429."""
        self._burst = (max_messages, window, retry_after)

    def webhook_url(self, name: str = "T0VIGIE01/B0HOOK/abc123") -> str:
        """A new incoming-webhook URL; its posts are recorded under ``name``."""
        secret = uuid.uuid4().hex
        self._webhooks[secret] = name
        return f"{self.base_url}/services/{name}/{secret}"

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The accepted payloads posted to ``channel`` (or webhook ``name``), in
        order, with ``ts`` added and ``chat.update`` edits applied."""
        out = []
        for posted in self._posted.get(channel, []):
            payload = dict(posted.payload)
            for update in posted.updates:
                payload.update(update)
            out.append({**payload, "ts": posted.ts})
        return out

    def mentions(self, channel: str) -> list[str]:
        """Every notification the messages of ``channel`` would trigger (see :func:`mentions`)."""
        return [m for p in self.messages(channel) for m in mentions(p)]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # -- Socket Mode / slash commands --

    def response_url(self) -> str:
        return f"{self.base_url}/response/{uuid.uuid4().hex}"

    def slash_command(
        self, text: str, *, command: str = "/vigie", user_id: str = "U0ADMIN",
        user_name: str = "", channel_id: str = "C0NEWS", team_id: str | None = None,
    ) -> dict[str, str]:
        """The form fields Slack sends for a slash command."""
        return {
            "token": "deprecated-verification-token", "team_id": team_id or self.team_id,
            "team_domain": "vigie-test", "channel_id": channel_id, "channel_name": "news",
            "user_id": user_id, "user_name": user_name or user_id.lower(),
            "command": command, "text": text, "api_app_id": APP_ID,
            "is_enterprise_install": "false", "response_url": self.response_url(),
            "trigger_id": f"{next(self._ts)}.trigger",
        }

    @staticmethod
    def form_body(fields: Mapping[str, str]) -> bytes:
        return urlencode(fields).encode()

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def _send_envelope(self, kind: str, payload: dict[str, Any],
                             timeout: float) -> dict[str, Any]:
        await self.wait_connected(timeout)
        envelope_id = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        await self._sockets[-1].send_str(json.dumps({
            "envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": kind != "events_api", "retry_attempt": 0,
            "retry_reason": "",
        }))
        return await asyncio.wait_for(future, timeout)

    async def send_slash_command(self, text: str, *, timeout: float = 10.0,
                                 **fields: Any) -> dict[str, Any]:
        """Inject a ``slash_commands`` envelope; returns the client's ack
        (``{"envelope_id": …, "payload"?: …}``). Raises TimeoutError without one."""
        return await self._send_envelope("slash_commands", self.slash_command(text, **fields),
                                         timeout)

    async def send_event(self, event: dict[str, Any], *, timeout: float = 10.0) -> dict[str, Any]:
        """Inject an ``events_api`` envelope carrying ``event``; returns the ack."""
        payload = {
            "token": "deprecated", "team_id": self.team_id, "api_app_id": APP_ID,
            "event": event, "type": "event_callback", "event_id": f"Ev{next(self._ts)}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": BOT_USER_ID,
                                "is_bot": True, "enterprise_id": None}],
        }
        return await self._send_envelope("events_api", payload, timeout)

    async def wait_responses(self, count: int, timeout: float = 10.0) -> list[Response]:
        """Wait until ``count`` posts reached response URLs; returns them all."""
        async def wait() -> None:
            while len(self.responses) < count:
                self._response_event.clear()
                await self._response_event.wait()

        await asyncio.wait_for(wait(), timeout)
        return list(self.responses)

    # -- handlers --

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                params.update(await request.post())
        return params

    def _failure(self, *keys: str) -> _Failure | None:
        for key in keys:
            if key and self._failures.get(key):
                return self._failures[key].popleft()
        return None

    def _answer(self, call: Call, failure: _Failure) -> web.Response:
        call.status, call.error = failure.status, failure.error
        headers = {}
        if failure.status == 429:
            self.rate_limited += 1
            headers["Retry-After"] = _retry_after(failure)
        return web.json_response({"ok": False, "error": failure.error},
                                 status=failure.status, headers=headers)

    def _error(self, call: Call, error: str, **extra: Any) -> web.Response:
        call.error = error
        return web.json_response({"ok": False, "error": error, **extra})

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)
        params.pop("token", None)
        call = Call(method, token, params)
        self.calls.append(call)
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if not token:
            return self._error(call, "not_authed")
        if token != expected:
            if token in (self.app_token, self.bot_token):
                return self._error(call, "not_allowed_token_type")
            return self._error(call, "invalid_auth")
        channel = str(params.get("channel") or "")
        failure = self._failure(method, channel)
        if failure is not None:
            return self._answer(call, failure)
        handler = {
            "auth.test": self._auth_test, "chat.postMessage": self._post_message,
            "chat.update": self._update, "users.info": self._users_info,
            "apps.connections.open": self._connections_open,
            "views.publish": self._views_publish,
        }.get(method)
        if handler is None:
            return self._error(call, "unknown_method")
        return await handler(call, params)

    async def _auth_test(self, call: Call, params: dict[str, Any]) -> web.Response:
        return web.json_response({
            "ok": True, "url": "https://vigie-test.slack.com/", "team": "Vigie Test",
            "user": "vigie", "team_id": self.team_id, "user_id": BOT_USER_ID,
            "bot_id": "B0VIGIE01", "is_enterprise_install": False,
        })

    def _channel_error(self, channel: str) -> str | None:
        if not channel:
            return "channel_not_found"
        if channel not in self.channels:
            if not self.auto_channels or not re.fullmatch(r"[CGD][A-Z0-9]{2,}", channel):
                return "channel_not_found"
            self.add_channel(channel)
        ch = self.channels[channel]
        if ch.archived:
            return "is_archived"
        if not ch.member:
            return "not_in_channel"
        return None

    def _burst_exceeded(self, channel: str) -> int | None:
        if self._burst is None:
            return None
        limit, window, retry_after = self._burst
        now = time.monotonic()
        recent = self._recent_posts[channel]
        while recent and now - recent[0] > window:
            recent.popleft()
        if len(recent) >= limit:
            return retry_after
        recent.append(now)
        return None

    async def _post_message(self, call: Call, params: dict[str, Any]) -> web.Response:
        channel = str(params.get("channel") or "")
        if error := self._channel_error(channel):
            return self._error(call, error)
        code, detail = message_problem_detail(params)
        if code:
            return self._error(call, code, detail=detail)
        retry_after = self._burst_exceeded(channel)
        if retry_after is not None:
            return self._answer(call, _Failure("ratelimited", 429, retry_after))
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        payload = {k: v for k, v in params.items() if k != "channel"}
        self._posted[channel].append(_Posted(ts, payload))
        return web.json_response({"ok": True, "channel": channel, "ts": ts,
                                  "message": {"type": "message", "ts": ts, **payload}})

    async def _update(self, call: Call, params: dict[str, Any]) -> web.Response:
        channel = str(params.get("channel") or "")
        if error := self._channel_error(channel):
            return self._error(call, error)
        posted = next((p for p in self._posted.get(channel, []) if p.ts == params.get("ts")),
                      None)
        if posted is None:
            return self._error(call, "message_not_found")
        code, detail = message_problem_detail(params)
        if code:
            return self._error(call, code, detail=detail)
        posted.updates.append({k: v for k, v in params.items() if k not in ("channel", "ts")})
        return web.json_response({"ok": True, "channel": channel, "ts": posted.ts})

    async def _users_info(self, call: Call, params: dict[str, Any]) -> web.Response:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return self._error(call, "user_not_found")
        return web.json_response({"ok": True, "user": user})

    async def _connections_open(self, call: Call, params: dict[str, Any]) -> web.Response:
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return web.json_response({"ok": True,
                                  "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"})

    async def _views_publish(self, call: Call, params: dict[str, Any]) -> web.Response:
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "home":
            return self._error(call, "invalid_arguments")
        code, detail = message_problem_detail(
            {"blocks": view.get("blocks", [])}, max_blocks=MAX_HOME_BLOCKS)
        if code:
            return self._error(call, code, detail=detail)
        self.home_views[str(params.get("user_id"))].append(view)
        return web.json_response({"ok": True, "view": {"id": "V1", **view}})

    async def _webhook(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        name, _, secret = path.rpartition("/")
        if self._webhooks.get(secret) != name:
            return web.Response(status=404, text="no_service")
        failure = self._failure(name)
        if failure is not None:
            headers = {}
            if failure.status == 429:
                self.rate_limited += 1
                headers["Retry-After"] = _retry_after(failure)
            return web.Response(status=failure.status if failure.status != 200 else 400,
                                text=failure.error, headers=headers)
        try:
            payload = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(payload, dict):
            return web.Response(status=400, text="invalid_payload")
        code, _ = message_problem_detail(payload)
        if code:
            return web.Response(status=400, text=code)
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        self._posted[name].append(_Posted(ts, payload))
        return web.Response(text="ok")

    async def _response_url(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
        except ValueError:
            payload = {}
        code, _ = message_problem_detail(payload)
        self.responses.append(Response(request.match_info["rid"], payload, code))
        self._response_event.set()
        if code:
            return web.json_response({"ok": False, "error": code}, status=400)
        return web.json_response({"ok": True})

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({
            "type": "hello", "num_connections": len(self._sockets),
            "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }))
        self._connected.set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                future = self._acks.pop(str(data.get("envelope_id")), None)
                if future is not None and not future.done():
                    future.set_result(data)
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._connected.clear()
        return ws
