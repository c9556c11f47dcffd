"""The schema as SQLAlchemy Core tables (the migrations create it).

The full-text index is not here: it differs per back-end (an FTS5 table on
SQLite, a ``tsvector`` column on PostgreSQL) and is reached through the small
definitions at the bottom.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Dialect

__all__ = [
    "PG_ITEMS",
    "UTCDateTime",
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
            raise ValueError(f"naive datetime {value.isoformat()} given to the store")
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
