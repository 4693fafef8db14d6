"""The console database's first tables: the audit trail and bulk recovery jobs.

Revision ID: r0001
Revises:
Create Date: 2025-11-29

Types are spelled out here, not imported from ``schema``: a migration describes the database as
it was at this revision, whatever the code says later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)  # timestamptz on PostgreSQL, ISO text on SQLite
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ZERO = sa.text("0")


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False, server_default=ZERO)


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.Text()),
    )
    op.create_index("audit_at", "audit", ["at"])
    op.create_table(
        "recovery_jobs",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("organization_id", sa.Text()),
        sa.Column("endpoint_id", sa.Text(), nullable=False),
        sa.Column("filter", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        *(_counter(name) for name in ("total", "done", "queued", "already_pending")),
        *(_counter(name) for name in ("failed", "rate_limited")),
        sa.Column("lease_owner", sa.Text()),
        sa.Column("lease_until", TS),
        sa.Column("heartbeat_at", TS),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("error", sa.Text()),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'finished', 'cancelled', 'failed')",
            name="recovery_jobs_state",
        ),
    )
    # claim_job looks for the oldest claimable job; the jobs page lists an organization's newest.
    op.create_index("recovery_jobs_claim", "recovery_jobs", ["state", "created_at"])
    op.create_index("recovery_jobs_org", "recovery_jobs", ["organization_id", "created_at"])
    op.create_table(
        "recovery_job_messages",
        sa.Column(
            "job_id",
            sa.Text(),
            sa.ForeignKey("recovery_jobs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("endpoint_id", sa.Text(), nullable=False),
        sa.Column("attempts_before", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text()),
        sa.Column("detail", sa.Text()),
        sa.Column("done_at", TS),
        sa.PrimaryKeyConstraint("job_id", "message_id"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('queued', 'already_pending', 'failed')",
            name="recovery_job_messages_outcome",
        ),
    )
    # next_messages reads a job's undone messages in order.
    op.create_index(
        "recovery_job_messages_order", "recovery_job_messages", ["job_id", "position"], unique=True
    )


def downgrade() -> None:
    op.drop_table("recovery_job_messages")
    op.drop_table("recovery_jobs")
    op.drop_table("audit")
