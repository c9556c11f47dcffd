"""Chat edits: topics, subscriptions and sources added from chat, and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot._storage._tables import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_topics",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.Text, nullable=False),
        sa.Column("topic_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
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
    op.create_table(
        "chat_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("topic_id", sa.Text),
        sa.Column("query", sa.Text),
        sa.Column("options", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Index("ix_chat_subscriptions_tenant_channel", "tenant", "channel"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "chat_sources",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("tenant", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("interval", sa.Float, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "audit_log",
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
    # Bumped by every chat edit: pollers rebuild their rules when it changes.
    op.create_table(
        "chat_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO chat_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    for table in ("chat_version", "audit_log", "chat_sources", "chat_subscriptions",
                  "chat_topics"):
        op.drop_table(table)
