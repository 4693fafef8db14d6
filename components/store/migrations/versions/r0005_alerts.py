"""Failure alerts: the endpoints the console watches, the alerts it raised and their sends.

``alert_watch`` keeps, per organization and endpoint, the health state last seen, what the team
was last told, when a problem was last announced (the flapping window) and any mute. ``alerts``
holds every alert raised (a job's once, by ``dedup``), acknowledged or not; ``alert_sends`` each
alert's send on each channel, with its tries and the channel's error. ``leases`` names who holds
a piece of background work: the one evaluator of the alert rules across replicas.

Revision ID: r0005
Revises: r0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0005"
down_revision = "r0004"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_watch",
        sa.Column("organization", sa.Text(), nullable=False),  # '' for the key's own
        sa.Column("endpoint_id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("announced", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_problem_at", sa.DateTime(timezone=True)),
        sa.Column("muted_until", sa.DateTime(timezone=True)),
        sa.Column("muted_by", sa.Text()),
        sa.Column("mute_reason", sa.Text()),
        sa.PrimaryKeyConstraint("organization", "endpoint_id"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organization", sa.Text(), nullable=False),
        sa.Column("endpoint_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("dedup", sa.Text(), unique=True),
        sa.Column("acknowledged_by", sa.Text()),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "kind IN ('failing', 'disabled', 'recovered', 'job')", name="alerts_kind"
        ),
    )
    op.create_index("alerts_newest", "alerts", ["at"])
    op.create_table(
        "alert_sends",
        sa.Column(
            "alert_id",
            sa.BigInteger(),
            sa.ForeignKey("alerts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("next_try_at", sa.DateTime(timezone=True)),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("alert_id", "channel"),
        sa.CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="alert_sends_state"),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("alert_sends")
    op.drop_index("alerts_newest", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("alert_watch")
