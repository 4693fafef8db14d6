"""The audit trail in the console database: written and committed before the call returns."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from .db import read, write
from .schema import audit


def record_audit(
    actor: str,
    action: str,
    target: dict[str, Any],
    outcome: str,
    reason: str | None = None,
    organization_id: str | None = None,
) -> None:
    """Write one record; raises ``StoreError`` when it cannot be written."""
    row = {
        "at": datetime.now(UTC),
        "actor": actor,
        "action": action,
        "target": json.dumps(target, sort_keys=True),
        "reason": reason or None,
        "outcome": outcome,
        "organization_id": organization_id,
    }
    with write("write an audit record") as conn:
        conn.execute(audit.insert(), row)


def audit_entries(limit: int = 5000) -> list[dict[str, Any]]:
    """The newest records, newest first (ids follow the order records were written)."""
    with read("read the audit trail") as conn:
        rows = conn.execute(sa.select(audit).order_by(audit.c.id.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]
