"""The ``[slack]`` configuration table: validation and typed settings.

Secrets (tokens, signing secret) never appear in a problem message or a repr.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.config import key_path

DEFAULT_API_BASE = "https://slack.com/api/"
DEFAULT_HTTP_PORT = 3000

Mode = Literal["socket", "http"]

_KNOWN = frozenset({
    "bot_token", "app_token", "signing_secret", "mode", "http_port", "admin_users",
    "api_base", "unfurl", "app_home",
})
_USER_RE = re.compile(r"^[UW][A-Z0-9]{2,}\Z")


@dataclass(frozen=True)
class SlackSettings:
    """The validated ``[slack]`` table."""

    #: Bot token (``xoxb-…``): posting, users.info, the bolt app.
    bot_token: str | None = field(default=None, repr=False)
    #: App-level token (``xapp-…``) for Socket Mode.
    app_token: str | None = field(default=None, repr=False)
    #: Signing secret, for HTTP mode.
    signing_secret: str | None = field(default=None, repr=False)
    #: How the /vigie command reaches the bot.
    mode: Mode = "socket"
    #: Port of the HTTP-mode endpoint (``/slack/events``).
    http_port: int = DEFAULT_HTTP_PORT
    #: Web API base URL (slack_sdk's ``base_url``), ending with "/".
    api_base: str = DEFAULT_API_BASE
    #: Whether alerts and digests unfurl links and media.
    unfurl: bool = False
    #: Whether to publish the App Home tab.
    app_home: bool = False

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None) -> SlackSettings:
        """Settings from a table that :func:`settings_problems` accepted.

        Values of the wrong type fall back to defaults (the configuration
        loader has already reported them).
        """
        t = table or {}

        def get(name: str, kind: type, default: Any) -> Any:
            value = t.get(name, default)
            if isinstance(value, bool) and kind is not bool:
                return default
            return value if isinstance(value, kind) else default

        mode = get("mode", str, "socket")
        api_base = get("api_base", str, DEFAULT_API_BASE) or DEFAULT_API_BASE
        return cls(
            bot_token=get("bot_token", str, None) or None,
            app_token=get("app_token", str, None) or None,
            signing_secret=get("signing_secret", str, None) or None,
            mode="http" if mode == "http" else "socket",
            http_port=get("http_port", int, DEFAULT_HTTP_PORT),
            api_base=api_base if api_base.endswith("/") else api_base + "/",
            unfurl=get("unfurl", bool, False),
            app_home=get("app_home", bool, False),
        )


def _type_name(value: object) -> str:
    return {bool: "a boolean", str: "a string", int: "an integer", float: "a number",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def settings_problems(table: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem of a ``[slack]`` table as ``(key, message)``.

    Tokens are required only for what uses them: ``bot_token`` for ``slack:``
    destinations and the /vigie command, ``app_token`` in Socket Mode,
    ``signing_secret`` in HTTP mode. A table with only ``unfurl`` (for
    incoming webhooks) is valid.
    """
    problems: list[tuple[str, str]] = []
    for key in table:
        if key not in _KNOWN:
            problems.append((key_path("", key), "unknown key"))

    def typed(name: str, kind: type, what: str) -> Any:
        if name not in table:
            return None
        value = table[name]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            problems.append((name, f"expected {what}, got {_type_name(value)}"))
            return None
        return value

    bot = typed("bot_token", str, "a string")
    app = typed("app_token", str, "a string")
    secret = typed("signing_secret", str, "a string")
    # The messages describe the expected shape only: a token is never echoed.
    if bot is not None and not bot.startswith("xoxb-"):
        problems.append(("bot_token", "must be a bot token (starting with xoxb-)"))
    if app is not None and not app.startswith("xapp-"):
        problems.append(("app_token", "must be an app-level token (starting with xapp-)"))
    if secret is not None and not re.fullmatch(r"[0-9a-fA-F]{16,}", secret):
        problems.append(("signing_secret", "must be the app's signing secret (hexadecimal)"))
    mode = typed("mode", str, "a string")
    if mode is not None and mode not in ("socket", "http"):
        problems.append(("mode", 'must be "socket" or "http"'))
    if bot:
        if (mode or "socket") == "socket" and not app:
            problems.append(("app_token", "is required in Socket Mode (mode = \"socket\")"))
        if mode == "http" and not secret:
            problems.append(("signing_secret", "is required in HTTP mode (mode = \"http\")"))
    elif app or secret or mode:
        problems.append(("bot_token", "is required to run the /vigie command"))
    port = typed("http_port", int, "an integer")
    if port is not None and not 0 < port < 65536:
        problems.append(("http_port", "must be between 1 and 65535"))
    users = typed("admin_users", list, "a list of Slack user ids")
    for i, user in enumerate(users or []):
        if not isinstance(user, str) or not _USER_RE.match(user):
            problems.append((f"admin_users[{i}]", "expected a Slack user id such as \"U024BE7LH\""))
    base = typed("api_base", str, "a string")
    if base is not None and not re.match(r"^https?://[^\s/]+(/\S*)?$", base):
        problems.append(("api_base", "must be an http:// or https:// URL"))
    typed("unfurl", bool, "true or false")
    typed("app_home", bool, "true or false")
    return problems
