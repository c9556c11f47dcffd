"""Generic webhooks: ``webhook:<URL>`` gets each alert as a signed JSON POST.

For teams that want alerts in a tool of their own without creating a bot.
Configuration::

    [webhook]
    secret = "${VIGIE_WEBHOOK_SECRET}"   # required: signs every request (16+ characters)
    per_second = 1.0                     # optional: messages per second to one URL
    timeout = "10s"                      # optional: per request

Each request is ``POST <URL>`` with a UTF-8 JSON body (see :func:`alert_body`
and :func:`digest_body`) and these headers:

- ``X-Vigie-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body with the
  secret. Receivers recompute it and compare in constant time.
- ``X-Vigie-Timestamp: <unix seconds>``: when it was sent; the same value is
  in the body as ``timestamp``, so the signature covers it. Receivers should
  refuse old requests (replays), e.g. more than five minutes off.
- ``Idempotency-Key: <key>``: the same for every attempt to deliver one alert
  (also the body's ``id``). A retry after a crash can repeat a request;
  receivers drop a key they have already seen.

Answers: 2xx is delivered (a JSON ``{"id": …}`` answer is recorded as the
message id); 408, 425, 429 and 5xx are retried (honouring ``Retry-After``);
any other status (404, 410, 401, 403, 400, 413, 422, a redirect …) is
permanent: the subscription is paused with the reason.

The URL is checked like a feed URL: not a private, loopback or link-local
address (also at connect time, after DNS) unless
``[fetch] allow_private_addresses`` is set; redirects are not followed. The
URL may carry a token, so errors and logs show only its scheme and host.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from yarl import URL

from adapters._pacing import Pacer
from bot.config import Config, key_path, parse_duration
from bot.exceptions import DeliveryError, FetchError, InvalidValueError, UnknownDestinationError
from bot.plugins import GuardedResolver, check_url, parse_retry_after
from bot.types import Alert, AlertDigest

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookAdapter",
    "WebhookDestination",
    "WebhookSettings",
    "alert_body",
    "digest_body",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-Vigie-Signature"
TIMESTAMP_HEADER = "X-Vigie-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MIN_SECRET_CHARS = 16
DEFAULT_PER_SECOND = 1.0
DEFAULT_TIMEOUT = 10.0
_KNOWN = frozenset({"secret", "per_second", "timeout"})
USER_AGENT = "Vigie/0.1 (+https://github.com/vigie-bot/vigie; webhook)"


# -- settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookSettings:
    """The validated ``[webhook]`` table."""

    #: Signs every request; None when not configured (webhook destinations refuse to send).
    secret: str | None = field(default=None, repr=False)
    #: Messages per second to one URL, at most.
    per_second: float = DEFAULT_PER_SECOND
    #: Seconds allowed for one request.
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None) -> WebhookSettings:
        """Settings from a table :func:`settings_problems` accepted (bad values: defaults)."""
        t = table or {}
        secret = t.get("secret")
        per_second = t.get("per_second", DEFAULT_PER_SECOND)
        if isinstance(per_second, bool) or not isinstance(per_second, int | float) \
                or per_second <= 0:
            per_second = DEFAULT_PER_SECOND
        timeout = DEFAULT_TIMEOUT
        if "timeout" in t:
            with suppress(ValueError):
                timeout = parse_duration(t["timeout"])
        return cls(secret=secret if isinstance(secret, str) and secret else None,
                   per_second=float(per_second), timeout=timeout)


def settings_problems(table: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem of a ``[webhook]`` table as ``(key, message)``; the
    secret is never echoed."""
    problems = [(key_path("", key), "unknown key") for key in table if key not in _KNOWN]
    if "secret" in table:
        secret = table["secret"]
        if not isinstance(secret, str):
            problems.append(("secret", "expected a string"))
        elif len(secret) < MIN_SECRET_CHARS:
            problems.append(("secret", f"must be at least {MIN_SECRET_CHARS} characters "
                                       "(a random string, e.g. from `openssl rand -hex 32`)"))
    if "per_second" in table:
        value = table["per_second"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(("per_second", "expected a number"))
        elif not 0 < value <= 1000:
            problems.append(("per_second", "must be more than 0 and at most 1000"))
    if "timeout" in table:
        try:
            parse_duration(table["timeout"])
        except InvalidValueError as e:
            problems.append(("timeout", str(e)))
    return problems


# -- the request (pure) --------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """The ``X-Vigie-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` (a header value) signs ``body``: for receivers and tests."""
    return signature is not None and hmac.compare_digest(sign(secret, body), signature)


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _item(alert: Alert) -> dict[str, Any]:
    item = alert.item
    return {
        "source": item.source,
        "title": item.title,
        "url": item.url,
        "summary": item.lead,
        "published": _when(item.published),
        "language": item.language,
        "author": item.author,
        "outlet": item.outlet,
        "image": item.image,
        "topics": list(alert.topics),
        "topic_names": list(alert.topic_names),
        "matched": list(alert.matched_terms),
    }


def alert_body(alert: Alert, timestamp: int) -> dict[str, Any]:
    """The JSON object posted for one alert."""
    return {
        "type": "alert",
        "id": alert.idempotency_key,
        "timestamp": timestamp,
        "subscription": alert.subscription,
        "mention": alert.options.mention,
        "item": _item(alert),
    }


def digest_body(digest: AlertDigest, timestamp: int) -> dict[str, Any]:
    """The JSON object posted for a digest, a quiet-hours catch-up or a roll-up
    (``kind``: "digest", "quiet" or "overflow"), every item included."""
    return {
        "type": "digest",
        "id": digest.idempotency_key,
        "timestamp": timestamp,
        "subscription": digest.subscription,
        "mention": digest.options.mention,
        "kind": digest.kind,
        "title": digest.title,
        "items": [_item(a) for a in digest.alerts],
    }


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def shown_url(url: str) -> str:
    """A webhook URL for messages and logs: scheme and host only (the rest may be a token)."""
    try:
        parsed = URL(url)
        return f"{parsed.scheme}://{parsed.host}/…" if parsed.host else "<invalid URL>"
    except (ValueError, TypeError):
        return "<invalid URL>"


def status_error(label: str, status: int, retry_after: float | None) -> DeliveryError:
    """The :class:`DeliveryError` for a non-2xx answer."""
    if status == 429:
        return DeliveryError(label, "rate-limited by the webhook (HTTP 429)", transient=True,
                             retry_after=retry_after if retry_after is not None else 0.0)
    if status in (408, 425) or status >= 500:
        return DeliveryError(label, f"the webhook is unavailable (HTTP {status})",
                             transient=True, retry_after=retry_after)
    if status in (404, 410):
        reason = f"the webhook no longer exists (HTTP {status}): check its URL"
    elif status in (401, 403):
        reason = (f"the webhook refused Vigie (HTTP {status}): check that it expects "
                  "[webhook] secret")
    elif 300 <= status < 400:
        reason = f"the webhook redirects (HTTP {status}): configure the final URL"
    else:
        reason = f"the webhook refused the message (HTTP {status})"
    return DeliveryError(label, reason, transient=False)


# -- pacing --------------------------------------------------------------------------


# -- destinations --------------------------------------------------------------------


class WebhookDestination:
    """One webhook URL."""

    def __init__(self, adapter: WebhookAdapter, url: str) -> None:
        self.adapter = adapter
        self.url = url
        #: Shown in errors and logs instead of the URL.
        self.label = f"webhook:{shown_url(url)}"

    async def send(self, alert: Alert) -> str | None:
        """POST one alert. Raises :class:`DeliveryError`."""
        return await self._post(lambda ts: alert_body(alert, ts))

    async def send_digest(self, digest: AlertDigest) -> str | None:
        """POST a digest with all its items. Raises :class:`DeliveryError`."""
        return await self._post(lambda ts: digest_body(digest, ts))

    async def _post(self, make_body: Callable[[int], dict[str, Any]]) -> str | None:
        secret = self.adapter.settings.secret
        if not secret:
            raise DeliveryError(self.label, "no [webhook] secret is configured to sign requests",
                                transient=False)
        async with self.adapter.pacer.slot(self.url):
            timestamp = int(time.time())
            body_obj = make_body(timestamp)
            body = encode(body_obj)
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                SIGNATURE_HEADER: sign(secret, body),
                TIMESTAMP_HEADER: str(timestamp),
                IDEMPOTENCY_HEADER: str(body_obj["id"]),
            }
            try:
                session = self.adapter.session()
                async with session.post(self.url, data=body, headers=headers,
                                        allow_redirects=False) as resp:
                    status = resp.status
                    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                    answer = await resp.content.read(64 * 1024) if 200 <= status < 300 else b""
            except (aiohttp.ClientError, TimeoutError, OSError) as e:
                raise DeliveryError(self.label, f"cannot reach the webhook ({type(e).__name__})",
                                    transient=True) from None
        if not 200 <= status < 300:
            raise status_error(self.label, status, retry_after)
        return _message_id(answer)


def _message_id(answer: bytes) -> str | None:
    try:
        value = json.loads(answer) if answer else None
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("id"), str | int) \
            and not isinstance(value.get("id"), bool):
        return str(value["id"])[:200]
    return None


class WebhookAdapter:
    """The ``webhook`` destination scheme (entry point ``vigie.destinations``);
    owns the ``[webhook]`` table."""

    scheme = "webhook"

    def __init__(self, config: Config | None = None, *,
                 settings: WebhookSettings | None = None,
                 allow_private: bool | None = None) -> None:
        table = config.adapters.get("webhook") if config is not None else None
        self.settings = settings if settings is not None else WebhookSettings.from_table(table)
        if allow_private is None:
            allow_private = config.fetch.allow_private_addresses if config is not None else False
        self.allow_private = allow_private
        self.pacer = Pacer(1.0 / self.settings.per_second)
        self._session: aiohttp.ClientSession | None = None
        self._destinations: dict[str, WebhookDestination] = {}

    settings_problems = staticmethod(settings_problems)

    def __repr__(self) -> str:
        return f"WebhookAdapter(per_second={self.settings.per_second:g})"

    def session(self) -> aiohttp.ClientSession:
        """The shared session (made on first use, inside the loop), with the
        address guard in its resolver."""
        if self._session is None:
            resolver = GuardedResolver(allow_private=self.allow_private)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=resolver, limit=20),
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
                headers={"User-Agent": USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),
                # Proxy variables must not route around the address guard.
                trust_env=False,
            )
        return self._session

    @staticmethod
    def config_problems(config: Config, target: str) -> list[str]:
        """What a ``webhook:<URL>`` destination lacks in ``config`` (``vigie
        check``): the ``[webhook] secret`` that signs every request (without
        it the first alert pauses the subscription), and a URL it may post to."""
        problems = [p for p in [_url_problem(target, config.fetch.allow_private_addresses)] if p]
        if WebhookSettings.from_table(config.adapters.get("webhook")).secret is None:
            problems.append("webhook destinations sign every request: set secret in the "
                            "[webhook] table")
        return problems

    def destination(self, target: str) -> WebhookDestination:
        """The webhook at URL ``target``.

        Raises :class:`UnknownDestinationError` for a URL that is not http(s),
        carries credentials, or names a non-public address (unless allowed).
        """
        url = target.strip()
        problem = _url_problem(url, self.allow_private)
        if problem:
            raise UnknownDestinationError(problem)
        if url not in self._destinations:
            self._destinations[url] = WebhookDestination(self, url)
        return self._destinations[url]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None


def _url_problem(target: str, allow_private: bool) -> str | None:
    url = target.strip()
    try:
        check_url(url, allow_private=allow_private)
    except FetchError as e:
        return f"webhook:{shown_url(url)} cannot be used: {e.message}"
    return None
