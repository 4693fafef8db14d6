"""The audit trail names the load and message an action was about, so a load's story can find
its console actions by index.

Revision ID: r0002
Revises: r0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("load_id", sa.Text()))
        batch.add_column(sa.Column("message_id", sa.Text()))
    op.create_index("audit_load", "audit", ["load_id"])
    op.create_index("audit_message", "audit", ["message_id"])
    # Records written before this revision: their subjects are in the target's JSON.
    conn = op.get_bind()
    audit = sa.table(
        "audit",
        sa.column("id", sa.BigInteger()),
        sa.column("target", sa.Text()),
        sa.column("load_id", sa.Text()),
        sa.column("message_id", sa.Text()),
    )
    for row_id, target in conn.execute(sa.select(audit.c.id, audit.c.target)).all():
        try:
            subject = json.loads(target)
        except ValueError:
            continue
        if not isinstance(subject, dict):
            continue
        load_id, message_id = subject.get("load_id"), subject.get("message_id")
        if isinstance(load_id, str) or isinstance(message_id, str):
            conn.execute(
                audit.update()
                .where(audit.c.id == row_id)
                .values(
                    load_id=load_id if isinstance(load_id, str) else None,
                    message_id=message_id if isinstance(message_id, str) else None,
                )
            )


def downgrade() -> None:
    op.drop_index("audit_message", "audit")
    op.drop_index("audit_load", "audit")
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("message_id")
        batch.drop_column("load_id")
