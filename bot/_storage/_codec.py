"""JSON encoding of :class:`bot.types.Alert` (with its Item) for the outbox.

Datetimes are ISO 8601 in UTC. Decoding checks every field's type, so a
damaged row is reported as a :class:`~bot.exceptions.CorruptDataError` (a
ValueError) rather than producing an Alert that fails later inside an adapter.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..exceptions import CorruptDataError
from ..options import SubscriptionOptions
from ..types import Alert, Item

__all__ = ["decode_alert", "decode_item", "encode_alert", "encode_item"]

#: Bumped if the layout ever changes incompatibly; old rows keep decoding.
_VERSION = 1


def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def encode_item(item: Item) -> dict[str, Any]:
    """An Item as a JSON-ready dict."""
    return {
        "source": item.source,
        "key": item.key,
        "url": item.url,
        "title": item.title,
        "summary_text": item.summary_text,
        "content_text": item.content_text,
        "lead": item.lead,
        "published": _dt(item.published),
        "language": item.language,
        "image": item.image,
        "author": item.author,
        "outlet": item.outlet,
    }


def encode_alert(alert: Alert) -> str:
    """An Alert as JSON text (ASCII only, so any database encoding holds it)."""
    return json.dumps(
        {
            "v": _VERSION,
            "item": encode_item(alert.item),
            "subscription": alert.subscription,
            "destination": alert.destination,
            "topics": list(alert.topics),
            "topic_names": list(alert.topic_names),
            "matched_terms": list(alert.matched_terms),
            "title_highlights": [list(span) for span in alert.title_highlights],
            "lead_highlights": [list(span) for span in alert.lead_highlights],
            "options": alert.options.as_strings(),
        },
        ensure_ascii=True,
        separators=(",", ":"),
    )


# -- decoding ------------------------------------------------------------------


def _str(d: dict[str, Any], key: str) -> str:
    value = d.get(key)
    if not isinstance(value, str):
        raise CorruptDataError(f"field {key!r}: expected a string")
    return value


def _opt_str(d: dict[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is not None and not isinstance(value, str):
        raise CorruptDataError(f"field {key!r}: expected a string or null")
    return value


def _opt_dt(d: dict[str, Any], key: str) -> datetime | None:
    value = _opt_str(d, key)
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise CorruptDataError(f"field {key!r}: datetime without a time zone")
    return parsed.astimezone(UTC)


def _strs(d: dict[str, Any], key: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CorruptDataError(f"field {key!r}: expected a list of strings")
    return tuple(value)


def _spans(d: dict[str, Any], key: str) -> tuple[tuple[int, int], ...]:
    value = d.get(key, [])
    if not isinstance(value, list):
        raise CorruptDataError(f"field {key!r}: expected a list of spans")
    spans = []
    for span in value:
        if (
            not isinstance(span, list)
            or len(span) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in span)
        ):
            raise CorruptDataError(f"field {key!r}: expected [start, end] pairs")
        spans.append((span[0], span[1]))
    return tuple(spans)


def decode_item(d: Any) -> Item:
    """An Item from :func:`encode_item`'s dict. Raises CorruptDataError if malformed."""
    if not isinstance(d, dict):
        raise CorruptDataError("item: expected an object")
    return Item(
        source=_str(d, "source"),
        key=_str(d, "key"),
        url=_opt_str(d, "url"),
        title=_str(d, "title"),
        summary_text=_str(d, "summary_text"),
        content_text=_str(d, "content_text"),
        lead=_str(d, "lead"),
        published=_opt_dt(d, "published"),
        language=_opt_str(d, "language"),
        image=_opt_str(d, "image"),
        author=_opt_str(d, "author"),
        outlet=_opt_str(d, "outlet"),
    )


def decode_alert(text: str) -> Alert:
    """An Alert from :func:`encode_alert`'s text. Raises CorruptDataError if malformed."""
    d = json.loads(text)
    if not isinstance(d, dict):
        raise CorruptDataError("alert: expected an object")
    version = d.get("v")
    if version != _VERSION:
        raise CorruptDataError(f"alert: unknown layout version {version!r}")
    options = d.get("options", {})
    if not isinstance(options, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in options.items()
    ):
        raise CorruptDataError("field 'options': expected an object of strings")
    return Alert(
        item=decode_item(d.get("item")),
        subscription=_str(d, "subscription"),
        destination=_str(d, "destination"),
        topics=_strs(d, "topics"),
        topic_names=_strs(d, "topic_names"),
        matched_terms=_strs(d, "matched_terms"),
        title_highlights=_spans(d, "title_highlights"),
        lead_highlights=_spans(d, "lead_highlights"),
        options=SubscriptionOptions.from_stored(options),
    )
