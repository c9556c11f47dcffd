"""One exception hierarchy for all of Vigie.

Every exception's ``str()`` is safe to show to a user in a chat channel or a
terminal: it never contains secrets, stack traces or raw feed bodies.
Adapters build their user-facing text from the exception's fields, and may
define subclasses of these for their own failures.

Errors about bad input (a value, a term, a rule, a declaration) also subclass
:class:`ValueError`, as lemon24/reader's do, so that ``except ValueError``
keeps working where a caller does not care which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class VigieError(Exception):
    """Base of every error Vigie raises on purpose."""

    @property
    def user_message(self) -> str:
        """A short message safe to show to a user."""
        return str(self)


# -- configuration -----------------------------------------------------------


class ConfigError(VigieError):
    """A configuration is invalid.

    Carries every problem found, each as ``(key_path, message)``, so that
    ``vigie check`` can print them all at once rather than one per run.
    """

    def __init__(self, path: str, problems: list[tuple[str, str]]) -> None:
        #: The configuration file (or ``"<chat>"`` for chat edits).
        self.path = path
        #: Every problem as ``(dotted key path, message)``.
        self.problems = problems
        super().__init__("\n".join(f"{path}: {key}: {msg}" for key, msg in problems))


class QuerySyntaxError(VigieError):
    """A keyword query does not parse."""

    def __init__(self, message: str, query: str, position: int) -> None:
        #: What is wrong, in plain words.
        self.message = message
        #: The query as written.
        self.query = query
        #: 0-based character offset of the problem in ``query``.
        self.position = position
        super().__init__(f"{message} at position {position + 1}")


class InvalidValueError(VigieError, ValueError):
    """A value as written (in the configuration, a command, a database URL)
    is malformed or out of range; the message says what is expected."""


class InvalidOptionError(InvalidValueError):
    """A subscription option (``limit``, ``digest``, ``quiet``, ``timezone``,
    ``mention``) does not parse; see :mod:`bot.options`."""

    def __init__(self, option: str, message: str) -> None:
        #: The option's name.
        self.option = option
        #: What is wrong, in plain words.
        self.message = message
        super().__init__(message)


# -- matching ----------------------------------------------------------------


class InvalidTermError(VigieError, ValueError):
    """A keyword or exclusion term cannot be matched (blank, no letter or
    digit, a ``*`` other than at its end)."""


class RuleError(VigieError, ValueError):
    """A topic or subscription query cannot be compiled into the matcher."""

    def __init__(self, rule_id: str, message: str) -> None:
        #: The rule's id: a topic id, or ``query:<subscription name>``.
        self.rule_id = rule_id
        #: What is wrong, in plain words.
        self.message = message
        super().__init__(f"rule {rule_id!r}: {message}")


# -- sources -----------------------------------------------------------------


class SourceError(VigieError):
    """Fetching or parsing a source failed."""


class FetchError(SourceError):
    """The HTTP fetch of a source failed."""

    def __init__(self, url: str, message: str) -> None:
        #: The URL that was being fetched.
        self.url = url
        #: What went wrong, in plain words.
        self.message = message
        super().__init__(f"{message} ({url})")

    #: Whether trying again later may succeed.
    transient: bool = True


class FetchTimeoutError(FetchError):
    """Connecting or reading took longer than allowed."""


class BodyTooLargeError(FetchError):
    """The response body is larger than the configured cap."""

    transient = False


class BlockedAddressError(FetchError):
    """The URL resolves to a private, loopback or link-local address."""

    transient = False


class ResolutionBlockedError(VigieError, OSError):
    """Every address a host name resolves to is refused by the URL guard
    (:class:`bot.netguard.GuardedResolver`).

    An :class:`OSError` on purpose: aiohttp's connector wraps resolver
    ``OSError`` s in ``ClientConnectorDNSError`` (keeping this one as its
    ``os_error``), which the fetcher turns into :class:`BlockedAddressError`.
    """

    def __init__(self, host: str, addresses: Sequence[str]) -> None:
        #: The host name that was resolved.
        self.host = host
        #: The refused addresses.
        self.addresses = tuple(addresses)
        shown = ", ".join(self.addresses) or "no address"
        super().__init__(f"{host} resolves only to non-public addresses ({shown})")


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(
        self, url: str, status: int, retry_after: float | None = None, *,
        message: str | None = None, body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        #: The HTTP status code.
        self.status = status
        #: Seconds the server asked us to wait (429/503 ``Retry-After``, or
        #: the end of an API's rate-limit window), if any.
        self.retry_after = retry_after
        #: The first few KiB of the error body (an API's error document); never shown as is.
        self.body = body
        #: The response headers (rate-limit windows …).
        self.headers: Mapping[str, str] = headers or {}
        super().__init__(url, message or f"HTTP {status}")
        self.transient = status in (408, 425, 429) or status >= 500


class GoneError(HTTPStatusError):
    """HTTP 410: the source is gone for good and gets disabled."""

    def __init__(self, url: str) -> None:
        super().__init__(url, 410)
        self.transient = False


class FeedParseError(SourceError):
    """The body is not a feed Vigie can read."""

    def __init__(self, message: str, url: str | None = None) -> None:
        #: What is wrong, in plain words.
        self.message = message
        #: Where the body came from, if known.
        self.url = url
        super().__init__(message if url is None else f"{message} ({url})")


class UnsafeXMLError(FeedParseError):
    """The XML declares entities or external resources; refused, never expanded."""


class NotAFeedError(FeedParseError):
    """The body is an HTML page (or other non-feed document).

    ``feed_links`` lists the feeds the page advertises with
    ``<link rel="alternate">``, for autodiscovery.
    """

    def __init__(
        self, message: str, url: str | None = None, feed_links: tuple[str, ...] = ()
    ) -> None:
        #: Absolute URLs of the feeds the page advertises.
        self.feed_links = feed_links
        super().__init__(message, url)


# -- storage -----------------------------------------------------------------


class StorageError(VigieError):
    """The database could not be reached or refused an operation."""

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        #: What failed, alike for every operation it fails (the driver's code,
        #: such as ``SQLITE_READONLY`` or the SQLSTATE ``25006``, else the
        #: error's type): one trouble is reported once, whatever it stopped.
        self.kind = kind or message


class CorruptDataError(VigieError, ValueError):
    """Stored data cannot be read back (a damaged row, a layout Vigie does not know)."""


class NaiveDatetimeError(VigieError, ValueError):
    """A datetime without a time zone was given where Vigie needs an aware one
    (a naive time is ambiguous: guessing would shift times silently)."""


# -- delivery ----------------------------------------------------------------


class DeliveryError(VigieError):
    """Sending an alert to a destination failed."""

    def __init__(
        self, destination: str, message: str, *, transient: bool = True,
        retry_after: float | None = None,
    ) -> None:
        #: The destination as configured (``console``, ``discord:123`` …).
        self.destination = destination
        #: What went wrong, in plain words.
        self.message = message
        #: Whether trying again later may succeed.
        self.transient = transient
        #: Seconds the platform asked us to wait, if any.
        self.retry_after = retry_after
        super().__init__(f"{destination}: {message}")


class UnknownDestinationError(VigieError):
    """No installed adapter handles a destination's scheme."""


# -- chat platforms ------------------------------------------------------------


class PlatformUnavailableError(VigieError):
    """A chat platform cannot be reached for now (network, 5xx, 429): worth
    trying again later."""


# -- commands ----------------------------------------------------------------


class CommandError(VigieError):
    """A chat command cannot be run as typed (unknown topic, bad option …)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        #: What is wrong, in plain words.
        self.message = message
        #: What to type instead, if there is a useful suggestion.
        self.hint = hint
        super().__init__(message if hint is None else f"{message} ({hint})")


class CommandDeclarationError(VigieError, ValueError):
    """A command's declaration is inconsistent with itself or its handler
    (raised at import, when :data:`bot.commands.COMMANDS` is built)."""


class PermissionDeniedError(CommandError):
    """A non-admin asked for an admin command; nothing was changed."""

    def __init__(self, command: str) -> None:
        #: The command that was refused.
        self.command = command
        super().__init__(
            f"only admins can use `{command}`: a server/workspace admin, or a user or role "
            "listed as admin in Vigie's configuration. Nothing was changed."
        )
