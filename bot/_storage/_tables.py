"""The schema as SQLAlchemy Core tables, all on one :data:`metadata` (the
migrations create it; ``alembic check`` compares the two).

The full-text index is not here: it differs per back-end (an FTS5 table on
SQLite, a ``tsvector`` column on PostgreSQL) and is reached through the small
definitions at the bottom; :func:`autogenerate_includes` keeps autogenerate
off it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Dialect

from ..exceptions import NaiveDatetimeError

__all__ = [
    "PG_ITEMS",
    "UTCDateTime",
    "audit_log",
    "autogenerate_includes",
    "chat_sources",
    "chat_subscriptions",
    "chat_topics",
    "chat_version",
    "compare_server_default",
    "deliveries",
    "delivery_lanes",
    "digests",
    "items",
    "items_fts",
    "metadata",
    "sources",
    "subscription_state",
]


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A datetime stored in UTC and read back UTC-aware on every back-end.

    SQLite has no time zones: values are stored as naive UTC text, whose
    fixed-width format keeps comparisons and ordering correct. PostgreSQL
    stores ``timestamp with time zone``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive datetime is ambiguous; guessing would shift times silently.
            raise NaiveDatetimeError(f"naive datetime {value.isoformat()} given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - driver contract
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = sa.MetaData()

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    # The URL as configured: a change resets the fetch state.
    sa.Column("configured_url", sa.Text, nullable=False),
    # The URL to fetch (after permanent redirects and autodiscovery).
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("last_poll", UTCDateTime),
    sa.Column("last_success", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt", UTCDateTime),
    sa.Column("initialised", sa.Boolean, nullable=False, server_default=sa.false()),
    # Set when the store disabled the source itself (HTTP 410).
    sa.Column("disabled_reason", sa.Text),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary_text", sa.Text, nullable=False),
    sa.Column("content_text", sa.Text, nullable=False),
    sa.Column("lead", sa.Text, nullable=False),
    sa.Column("published", UTCDateTime),
    sa.Column("language", sa.Text),
    sa.Column("image", sa.Text),
    sa.Column("author", sa.Text),
    # Who published it within a source that gathers many (Google News, a search).
    sa.Column("outlet", sa.Text),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    # JSON list of topic ids, e.g. ["ai","gpu"].
    sa.Column("topics", sa.Text, nullable=False, server_default="[]"),
    sa.UniqueConstraint("source", "key", name="uq_items_source_key"),
    sa.Index("ix_items_first_seen", "first_seen"),
    sa.Index("ix_items_published", "published"),
    # On PostgreSQL a hash index (see the migration): URLs may exceed B-tree limits.
    sa.Index("ix_items_url", "url", postgresql_using="hash"),
    # AUTOINCREMENT: ids are never reused, so the FTS5 rowid always means one item.
    sqlite_autoincrement=True,
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("subscription", sa.Text, nullable=False),
    sa.Column("destination", sa.Text, nullable=False),
    # The whole Alert as JSON (see _codec).
    sa.Column("alert", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("not_before", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("message_id", sa.Text),
    # 0003: held for a "digest", "quiet" hours or as "overflow" (until not_before).
    sa.Column("hold", sa.Text),
    # 0003: the digest message it was collected into (digests.id).
    sa.Column("digest_id", sa.Integer),
    # 0003: rate-limited sends, never counted in attempts.
    sa.Column("throttled", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("item_id", "destination", name="uq_deliveries_item_destination"),
    sa.CheckConstraint(
        "status IN ('pending', 'sent', 'failed')", name="ck_deliveries_status"
    ),
    sa.Index("ix_deliveries_status_not_before", "status", "not_before"),
    sa.Index("ix_deliveries_lane", "subscription", "destination", "status"),
    sqlite_autoincrement=True,
)

#: One row per subscription × destination with deliveries: the unit a worker
#: claims (with a lease), so that one lane's alerts go out in order.
delivery_lanes = sa.Table(
    "delivery_lanes",
    metadata,
    sa.Column("subscription", sa.Text, primary_key=True),
    sa.Column("destination", sa.Text, primary_key=True),
    sa.Column("claimed_by", sa.Text),
    sa.Column("claimed_until", UTCDateTime),
    # Nothing to do before this (a retry's backoff, a hold's end).
    sa.Column("next_attempt", UTCDateTime),
)

#: Messages that carry several deliveries (digests, quiet-hours catch-ups,
#: roll-ups); their members point here with deliveries.digest_id.
digests = sa.Table(
    "digests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subscription", sa.Text, nullable=False),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

#: Paused subscriptions (a row with a reason); no row means active.
subscription_state = sa.Table(
    "subscription_state",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("paused_reason", sa.Text),
    sa.Column("paused_at", UTCDateTime),
)

# -- chat edits (migration 0002) -----------------------------------------------------

#: Topics created from chat, and edits of editable config topics.
chat_topics = sa.Table(
    "chat_topics",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # ``platform:workspace``, or "" for an edit of a config topic (shared).
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("topic_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    # JSON lists of strings.
    sa.Column("keywords", sa.Text, nullable=False, server_default="[]"),
    sa.Column("exclude", sa.Text, nullable=False, server_default="[]"),
    sa.Column("fields", sa.Text, nullable=False, server_default="[]"),
    sa.Column("languages", sa.Text, nullable=False, server_default="[]"),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("tenant", "topic_id", name="uq_chat_topics_tenant_topic"),
    sqlite_autoincrement=True,
)

#: Subscriptions made from chat.
chat_subscriptions = sa.Table(
    "chat_subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("topic_id", sa.Text),
    sa.Column("query", sa.Text),
    # A JSON object of delivery options.
    sa.Column("options", sa.Text, nullable=False, server_default="{}"),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_chat_subscriptions_tenant_channel", "tenant", "channel"),
    sqlite_autoincrement=True,
)

#: Sources added from chat.
chat_sources = sa.Table(
    "chat_sources",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("interval", sa.Float, nullable=False),
    # Its kind ("feed", "google-news" …), the kind's keys as a JSON object, its language.
    sa.Column("kind", sa.Text, nullable=False, server_default="feed"),
    sa.Column("options", sa.Text, nullable=False, server_default="{}"),
    sa.Column("language", sa.Text),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

#: Who changed what from chat, when.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False, server_default=""),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_audit_log_tenant_at", "tenant", "at"),
    sqlite_autoincrement=True,
)

#: One row (id 1), bumped by every chat edit: pollers rebuild their rules
#: when it changes.
chat_version = sa.Table(
    "chat_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

# -- the full-text index (per back-end, outside the metadata) ------------------------

#: SQLite: the FTS5 table (rowid = items.id) holding normalised title and body.
items_fts = sa.table(
    "items_fts",
    sa.column("rowid", sa.Integer),
    sa.column("title", sa.Text),
    sa.column("body", sa.Text),
)

#: PostgreSQL: the items table with its search vector (a column only there).
PG_ITEMS = sa.Table(
    "items",
    sa.MetaData(),
    *(c._copy() for c in items.columns),
    sa.Column("search_vector", TSVECTOR),
)


def autogenerate_includes(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's ``include_name`` hook: whether autogenerate compares a
    database object with :data:`metadata`.

    The full-text index is left out: it is the migrations' alone, per
    back-end (SQLite's FTS5 table and its shadow tables, PostgreSQL's
    ``items.search_vector`` column and its GIN index).
    """
    if type_ == "table":
        return not (name or "").startswith("items_fts")
    if type_ == "column":
        return not (parent_names.get("table_name") == "items" and name == "search_vector")
    if type_ == "index":
        return name != "ix_items_search_vector"
    return True


def compare_server_default(
    context: Any, inspected_column: Any, metadata_column: Any, inspected_default: str | None,
    metadata_default: Any, rendered_metadata_default: str | None,
) -> bool | None:
    """Alembic's ``compare_server_default`` hook: None lets Alembic compare,
    except for an empty string on SQLite, which Alembic cannot unquote
    (``('')`` reflected against ``""`` declared) and would report changed."""
    if context.dialect.name == "sqlite" and inspected_default in ("''", "('')"):
        return rendered_metadata_default not in ("", "''")
    return None
