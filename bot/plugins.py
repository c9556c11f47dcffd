"""The interface for plugins: what an adapter may use of the core, and owes it.

Adapters import only public modules of :mod:`bot` (``types``, ``options``,
``config``, ``chat``, ``commands``, ``replies``, ``exceptions`` and this
one); ``make lint`` checks it (import-linter). Two entry-point groups plug
them in, and the core never imports an adapter:

- ``vigie.destinations``: a callable ``(config) -> DestinationAdapter``
  (:data:`AdapterFactory`, usually the adapter class) named after its
  destination scheme (``discord`` for ``discord:<channel id>``), with
  optional configuration hooks (see :class:`DestinationAdapter`);
- ``vigie.chat``: a :class:`ChatRunner` named after its configuration table
  (``[discord]``), which ``vigie run`` starts when the table sets it up.

Also here, written once for every adapter: the URL guard
(:func:`check_url`, :class:`GuardedResolver`), ``Retry-After`` parsing,
how many alerts a digest lists, the removal of control characters from
feed text, and the process's log redactor (:data:`REDACTOR`), which
adapters teach their secrets and secret-bearing patterns. Idempotency keys
are properties of :class:`bot.types.Alert` and :class:`bot.types.AlertDigest`.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from ._logs import REDACTOR, SecretRedactor
from .chat import CommandHandler
from .config import Config, DestinationCheck, SectionValidator
from .netguard import GuardedResolver, check_url, redact_url
from .replies import Reply
from .types import Alert, AlertDigest
from .webserver import PublicServer

__all__ = [
    "CHAT_GROUP",
    "CONTROL_RE",
    "DESTINATIONS_GROUP",
    "LISTED_IN_DIGEST",
    "LISTED_IN_ROLLUP",
    "MAX_RETRY_AFTER",
    "REDACTOR",
    "AdapterFactory",
    "ChatConfigured",
    "ChatRunner",
    "Destination",
    "DestinationAdapter",
    "DestinationCheck",
    "DigestDestination",
    "GuardedResolver",
    "ReplyRenderer",
    "SecretRedactor",
    "SectionValidator",
    "check_url",
    "parse_retry_after",
    "redact_url",
    "strip_control",
]

#: The entry-point group of destination adapters, by scheme.
DESTINATIONS_GROUP = "vigie.destinations"
#: The entry-point group of chat platforms, by configuration table.
CHAT_GROUP = "vigie.chat"

#: Alerts a digest message lists (the rest are counted), and a roll-up.
LISTED_IN_DIGEST = 30
LISTED_IN_ROLLUP = 5

#: Longest Retry-After honoured, in seconds: a server cannot park Vigie for weeks.
MAX_RETRY_AFTER = 24 * 3600.0


# -- destinations ----------------------------------------------------------------


class Destination(Protocol):
    """One place alerts go (a channel, a webhook, the console).

    Idempotency: ``alert.idempotency_key`` (and ``digest.idempotency_key``)
    is the same for every attempt to deliver one alert (or one digest) and
    different for any other. A destination whose platform offers
    idempotency (Discord's ``nonce`` with ``enforce_nonce``, a webhook
    receiver's ``Idempotency-Key``) should pass it on, so that a retry after
    a crash between sending and recording does not post twice.

    Digests: a destination may also define ``async def send_digest(self,
    digest: bot.types.AlertDigest) -> str | None`` (:class:`DigestDestination`)
    to render digests, quiet-hours catch-ups and roll-ups natively. Without
    it, a digest arrives at :meth:`send` as one plain-text alert.
    """

    async def send(self, alert: Alert) -> str | None:
        """Deliver one alert; return the platform's message id, if any.

        Raises :class:`bot.exceptions.DeliveryError`. ``transient=True`` is
        retried with exponential backoff; with ``retry_after`` set (a rate
        limit) it is retried after at least that long and never counts
        toward ``[delivery] max_attempts``. ``transient=False`` (unknown
        channel, missing access, revoked token, refused payload) fails the
        delivery and pauses its subscription until an admin resumes it.
        """


class DigestDestination(Destination, Protocol):
    """A destination that renders digests natively (see :class:`Destination`)."""

    async def send_digest(self, digest: AlertDigest) -> str | None:
        """Deliver several alerts as one message; raises as :meth:`send` does."""


class DestinationAdapter(Protocol):
    """Makes the destinations of one scheme (``console``, ``discord`` …).

    Adapters register an :data:`AdapterFactory` under the
    ``vigie.destinations`` entry-point group, named after the scheme. One
    adapter instance serves every target of its scheme, so a platform client
    is shared by all channels.

    The registered factory (usually the adapter class) may also have these
    attributes, which the configuration check calls without making an adapter:

    - ``settings_problems(table) -> list[tuple[str, str]]``
      (:data:`SectionValidator`): it owns the top-level table named after its
      scheme (``[discord]``) and returns that table's problems as ``(key
      within the table, message)``;
    - ``config_problems(config, target) -> list[str]``
      (:data:`DestinationCheck`): what a destination of its scheme lacks in a
      validated configuration (a secret, a token, a well-formed target), one
      message per problem, never quoting a secret; ``vigie check`` reports
      them under ``subscriptions[N].destination``;
    - ``chat_configured(table) -> bool`` (:data:`ChatConfigured`): whether
      its table sets up the chat platform of the same name (``vigie.chat``),
      rather than only destinations; without it, a table present means set up.
    """

    def destination(self, target: str) -> Destination:
        """The destination for the part after ``scheme:`` (empty for ``console``).

        Raises :class:`bot.exceptions.UnknownDestinationError` for a bad target.
        """

    async def close(self) -> None:
        """Release resources (connections, clients)."""


#: What a ``vigie.destinations`` entry point loads: makes the scheme's adapter.
AdapterFactory = Callable[[Config], DestinationAdapter]
#: A factory's optional ``chat_configured(table)`` hook (see :class:`DestinationAdapter`).
ChatConfigured = Callable[[Mapping[str, Any]], bool]


@runtime_checkable
class ReplyRenderer(Protocol):
    """A destination adapter that also renders command replies as text: the
    ``console`` one does, for ``vigie chat``."""

    def render_reply(self, reply: Reply) -> str:
        """``reply`` as text for the adapter's stream (never raises)."""


# -- chat platforms ----------------------------------------------------------------


class ChatRunner(Protocol):
    """What a ``vigie.chat`` entry point loads: runs one chat platform.

    ``vigie run`` calls it once, when the configuration has the platform's
    table (and its destination adapter's ``chat_configured`` agrees), with
    the validated configuration, the command layer every platform shares,
    and an event set when the bot must stop, and Vigie's public HTTP server
    (``http``): a platform that receives HTTP requests (Slack's HTTP mode)
    adds its routes there, beside WebSub's callbacks, rather than listening
    on a port of its own. It translates the platform's events into
    :meth:`bot.chat.CommandHandler.handle` or ``run`` calls, renders the
    neutral replies, and returns soon after ``stop`` is set, having closed
    its connections (and removed its routes).

    Raises :class:`bot.exceptions.VigieError` (a
    :class:`~bot.exceptions.ConfigError` for settings it cannot use, a
    refused token …): the bot stops, saying its ``user_message``. Any other
    exception also stops the bot, with its traceback logged.
    """

    async def __call__(self, config: Config, handler: CommandHandler,
                       stop: asyncio.Event, *, http: PublicServer) -> None: ...


# -- shared helpers ----------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date).

    The result is clamped to ``[0, MAX_RETRY_AFTER]``; a date in the past gives
    0. Returns None when the header is absent or unreadable. Never raises.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(int(value)), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # HTTP-dates are GMT; parsedate_to_datetime leaves "-0000" naive.
        when = when.replace(tzinfo=UTC)
    now = now if now is not None else datetime.now(UTC)
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


#: C0 and C1 controls (tab and line feed aside) and bidirectional overrides:
#: feed text must not drive a terminal, nor reorder what a reader sees.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_control(text: str) -> str:
    """Feed text made safe to show: control and bidi-override characters removed."""
    return CONTROL_RE.sub("", text)
