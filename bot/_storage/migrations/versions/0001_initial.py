"""Initial schema: sources, items, deliveries and the full-text index.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

from bot._storage._tables import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name

    op.create_table(
        "sources",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("configured_url", sa.Text, nullable=False),
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
        sa.Column("disabled_reason", sa.Text),
    )

    op.create_table(
        "items",
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
        sa.Column("topics", sa.Text, nullable=False, server_default="[]"),
        sa.UniqueConstraint("source", "key", name="uq_items_source_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_items_first_seen", "items", ["first_seen"])
    op.create_index("ix_items_published", "items", ["published"])
    # Hash on PostgreSQL: equality is all ``seen`` needs, and a long URL
    # would overflow a B-tree entry and refuse the whole poll.
    op.create_index("ix_items_url", "items", ["url"], postgresql_using="hash")

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "item_id",
            sa.Integer,
            sa.ForeignKey("items.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("subscription", sa.Text, nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("alert", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("not_before", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("message_id", sa.Text),
        sa.UniqueConstraint("item_id", "destination", name="uq_deliveries_item_destination"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name="ck_deliveries_status"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_deliveries_status_not_before", "deliveries", ["status", "not_before"])

    if dialect == "sqlite":
        # Words are already folded by Vigie's normaliser: the tokenizer must not
        # fold further (remove_diacritics 0), and counts marks as word
        # characters as the normaliser does, so SQLite agrees with PostgreSQL.
        op.execute(
            "CREATE VIRTUAL TABLE items_fts USING fts5("
            "title, body, "
            "tokenize = \"unicode61 remove_diacritics 0 categories 'L* N* Co Mc Mn'\")"
        )
        op.execute(
            "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN "
            "DELETE FROM items_fts WHERE rowid = old.id; END"
        )
    elif dialect == "postgresql":
        op.add_column("items", sa.Column("search_vector", TSVECTOR))
        op.create_index(
            "ix_items_search_vector", "items", ["search_vector"], postgresql_using="gin"
        )
    else:  # pragma: no cover - make_store refuses other back-ends
        raise NotImplementedError(f"unsupported database {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS items_fts_delete")
        op.execute("DROP TABLE IF EXISTS items_fts")
    op.drop_table("deliveries")
    op.drop_table("items")
    op.drop_table("sources")
