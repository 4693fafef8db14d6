"""Recovery jobs follow each replay to its end, and every organization has a change stamp.

A job's message keeps the attempt its replay queued and, once that attempt ends, its result
(delivered, failed again, or unresolved when no end came within the job's bound) with the
receiver's status code; the job counts each result. ``changes`` holds one number per
organization that every change made through the console raises, so every replica's screens
know their cached reads are stale.

Revision ID: r0003
Revises: r0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None

RESULTS = ("delivered", "failed_again", "unresolved")


def upgrade() -> None:
    with op.batch_alter_table("recovery_jobs") as batch:
        for name in RESULTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("recovery_job_messages") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer()))
        batch.add_column(sa.Column("result", sa.Text()))
        batch.add_column(sa.Column("status_code", sa.Integer()))
        batch.add_column(sa.Column("result_detail", sa.Text()))
        batch.add_column(sa.Column("result_at", sa.DateTime(timezone=True)))
        batch.create_check_constraint(
            "recovery_job_messages_result",
            "result IS NULL OR result IN ('delivered', 'failed_again', 'unresolved')",
        )
    op.create_table(
        "changes",
        sa.Column("organization", sa.Text(), primary_key=True),  # '' for the key's own
        sa.Column("stamp", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("changes")
    with op.batch_alter_table("recovery_job_messages") as batch:
        batch.drop_constraint("recovery_job_messages_result", type_="check")
        for name in ("result_at", "result_detail", "status_code", "result", "attempt"):
            batch.drop_column(name)
    with op.batch_alter_table("recovery_jobs") as batch:
        for name in reversed(RESULTS):
            batch.drop_column(name)
