"""Log lines: text or JSON, with every registered secret redacted.

One redactor for the process (:data:`REDACTOR`): the configuration
registers its secrets when Vigie is built (:func:`register_config_secrets`),
adapters register theirs (tokens, URL patterns) when they start. It redacts
twice over: as a filter on the loggers an adapter names (so a record is
clean wherever it goes) and in the formatters of ``vigie``'s own handler,
which see the finished line, traceback and extra fields included. Logging
is process-wide, hence one redactor rather than one per Vigie.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

from .config import Config

__all__ = [
    "REDACTOR",
    "JsonFormatter",
    "LogFormat",
    "SecretRedactor",
    "TextFormatter",
    "configure_logging",
    "register_config_secrets",
]

LogFormat = Literal["text", "json"]

#: What a redacted secret becomes.
REDACTED = "<redacted>"
#: Shorter registered values are ignored: they would blank common words.
MIN_SECRET_CHARS = 4
#: A URL path segment at least this long is taken for a token (webhook URLs).
MIN_TOKEN_SEGMENT_CHARS = 16
#: Keys of adapter tables whose values are secrets, whatever their origin.
_SECRET_KEY_RE = re.compile(r"token|secret|password|api_?key", re.IGNORECASE)
#: The attributes every LogRecord has; any other attribute is an ``extra`` field.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime"}


class SecretRedactor(logging.Filter):
    """Replaces registered secrets and secret-bearing patterns with ``<redacted>``.

    As a :class:`logging.Filter` it rewrites a record's message, arguments
    and cached traceback in place and never drops a record.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._patterns: list[tuple[re.Pattern[str], str]] = []

    def add_secrets(self, *secrets: str | None) -> None:
        """Redact these values from now on (None, empty and very short ones are ignored)."""
        self._secrets.update(s for s in secrets if s and len(s) >= MIN_SECRET_CHARS)

    def add_pattern(self, pattern: re.Pattern[str], replacement: str) -> None:
        """Also apply ``pattern.sub(replacement, text)`` (idempotent)."""
        if (pattern, replacement) not in self._patterns:
            self._patterns.append((pattern, replacement))

    def redact(self, text: str) -> str:
        for pattern, replacement in self._patterns:
            text = pattern.sub(replacement, text)
        # Longest first: a secret containing another is replaced whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


#: The process's redactor.
REDACTOR = SecretRedactor()
# The handler configure_logging installed, replaced by its next call.
_handler: logging.Handler | None = None


class TextFormatter(logging.Formatter):
    """``time level logger: message``, redacted."""

    def __init__(self, redactor: SecretRedactor = REDACTOR) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO-8601 UTC), ``level``, ``logger``,
    ``message``, the record's extra fields, and ``exception`` (the traceback)
    when there is one; every string redacted."""

    def __init__(self, redactor: SecretRedactor = REDACTOR) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_") and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(self._redacted(line), ensure_ascii=False, default=str)

    def _redacted(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redactor.redact(value)
        if isinstance(value, Mapping):
            return {str(k): self._redacted(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._redacted(v) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.redactor.redact(str(value))


def configure_logging(level: str, log_format: LogFormat = "text", *,
                      stream: TextIO | None = None) -> logging.Handler:
    """Send the logs at ``level`` and above to ``stream`` (standard error),
    as text or JSON lines, through the redactor; returns the handler. A
    handler an earlier call installed is replaced; others are left alone."""
    global _handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(level.upper())
    _handler = handler
    return handler


def register_config_secrets(config: Config, redactor: SecretRedactor = REDACTOR) -> None:
    """Register what a configuration holds that is secret: the values of
    ``${VAR}``, the password of the storage URL, the values of adapter and
    ``[kinds.<kind>]`` keys named like secrets (``token``, ``bot_token``, ``secret`` …) and the
    token-bearing parts of URL destinations (webhook URLs)."""
    redactor.add_secrets(*config.secrets)
    redactor.add_secrets(urlsplit(config.storage.url).password)
    for table in config.adapters.values():
        redactor.add_secrets(*_secret_values(table))
    for kind in config.kinds.values():  # [kinds.bluesky] app_password, [kinds.x] bearer_token
        redactor.add_secrets(*_secret_values(kind.values))
    redactor.add_secrets(config.websub.secret)
    redactor.add_secrets(*(part for sub in config.subscriptions
                           for part in url_secrets(sub.destination)))


def _secret_values(table: Mapping[str, Any]) -> Iterable[str]:
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _secret_values(value)
        elif isinstance(value, str) and _SECRET_KEY_RE.search(str(key)):
            yield value


def url_secrets(destination: str) -> list[str]:
    """The parts of a URL destination (``webhook:https://…``) that may be a
    token: its path and query, and each long path segment."""
    _, _, target = destination.partition(":")
    if "://" not in target:
        return []
    try:
        parts = urlsplit(target)
    except ValueError:
        return [target]
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    segments = [s for s in parts.path.split("/") if len(s) >= MIN_TOKEN_SEGMENT_CHARS]
    return [rest, *segments, *([parts.query] if parts.query else [])] if len(rest) > 1 else []
