"""Recent: each agent's last searches and last opened loads, per organization.

One row per (user, organization, kind, value); opening or searching the same thing again only
moves its time, and the store keeps the newest ten of each kind (``store.recent``).

Revision ID: r0004
Revises: r0003
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0004"
down_revision = "r0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recent",
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("organization", sa.Text(), nullable=False),  # '' for the key's own
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("label", sa.Text()),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", "organization", "kind", "value"),
        sa.CheckConstraint("kind IN ('search', 'load')", name="recent_kind"),
    )
    # The box lists a user's newest entries of one kind.
    op.create_index("recent_newest", "recent", ["user_key", "organization", "kind", "at"])


def downgrade() -> None:
    op.drop_index("recent_newest", table_name="recent")
    op.drop_table("recent")
