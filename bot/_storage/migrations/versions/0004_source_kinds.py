"""Source kinds: a chat source's kind, keys and language; an item's outlet.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable or defaulted columns: a plain ADD COLUMN on both back-ends;
    # the sources added from chat before were feeds.
    op.add_column("chat_sources",
                  sa.Column("kind", sa.Text, nullable=False, server_default="feed"))
    op.add_column("chat_sources",
                  sa.Column("options", sa.Text, nullable=False, server_default="{}"))
    op.add_column("chat_sources", sa.Column("language", sa.Text))
    op.add_column("items", sa.Column("outlet", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("outlet")
    with op.batch_alter_table("chat_sources") as batch:
        batch.drop_column("language")
        batch.drop_column("options")
        batch.drop_column("kind")
