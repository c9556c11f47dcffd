"""The delivery engine: lanes with leases, digests, holds, throttling, paused subscriptions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot._storage._tables import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable or defaulted columns: a plain ADD COLUMN on both back-ends.
    op.add_column("deliveries", sa.Column("hold", sa.Text))
    op.add_column("deliveries", sa.Column("digest_id", sa.Integer))
    op.add_column(
        "deliveries", sa.Column("throttled", sa.Integer, nullable=False, server_default="0")
    )
    op.create_index(
        "ix_deliveries_lane", "deliveries", ["subscription", "destination", "status"]
    )
    op.create_table(
        "delivery_lanes",
        sa.Column("subscription", sa.Text, primary_key=True),
        sa.Column("destination", sa.Text, primary_key=True),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_until", UTCDateTime),
        sa.Column("next_attempt", UTCDateTime),
    )
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscription", sa.Text, nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "subscription_state",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("paused_reason", sa.Text),
        sa.Column("paused_at", UTCDateTime),
    )
    # Deliveries queued before this version get their lanes.
    op.execute(
        "INSERT INTO delivery_lanes (subscription, destination) "
        "SELECT DISTINCT subscription, destination FROM deliveries WHERE status = 'pending'"
    )


def downgrade() -> None:
    op.drop_table("subscription_state")
    op.drop_table("digests")
    op.drop_table("delivery_lanes")
    op.drop_index("ix_deliveries_lane", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("throttled")
        batch.drop_column("digest_id")
        batch.drop_column("hold")
