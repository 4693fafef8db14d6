"""The audit trail in the console database: written and committed before the call returns."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .changes import raise_stamp
from .db import read, write
from .schema import audit


def audit_row(
    actor: str,
    action: str,
    target: dict[str, Any],
    outcome: str,
    reason: str | None = None,
    organization_id: str | None = None,
) -> dict[str, Any]:
    """One record as the ``audit`` table holds it (for writing it with other changes)."""
    return {
        "at": datetime.now(UTC),
        "actor": actor,
        "action": action,
        "target": json.dumps(target, sort_keys=True),
        "reason": reason or None,
        "outcome": outcome,
        "organization_id": organization_id,
        "load_id": _text(target.get("load_id")),
        "message_id": _text(target.get("message_id")),
    }


def record_audit(
    actor: str,
    action: str,
    target: dict[str, Any],
    outcome: str,
    reason: str | None = None,
    organization_id: str | None = None,
) -> None:
    """Write one record; raises ``StoreError`` when it cannot be written."""
    insert_audit(audit_row(actor, action, target, outcome, reason, organization_id))


def insert_audit(row: dict[str, Any]) -> None:
    """Write one record made by ``audit_row``; raises ``StoreError`` when it cannot be written."""
    with write("write an audit record") as conn:
        add_audit(conn, row)


def add_audit(conn: Connection, row: dict[str, Any]) -> None:
    """Write one record inside the caller's transaction (the change it records commits with
    it), raising its organization's change stamp: what it records changed that organization."""
    conn.execute(audit.insert(), row)
    raise_stamp(conn, row["organization_id"])


def audit_entries(limit: int = 5000) -> list[dict[str, Any]]:
    """The newest records, newest first (ids follow the order records were written)."""
    with read("read the audit trail") as conn:
        rows = conn.execute(sa.select(audit).order_by(audit.c.id.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def audit_for_load(
    organization_id: str | None, load_id: str, message_ids: Iterable[str]
) -> list[dict[str, Any]]:
    """Records about one load: naming it, or one of its messages; oldest first."""
    ids = sorted(set(message_ids))
    found: dict[int, dict[str, Any]] = {}
    with read("read the audit trail") as conn:
        # The message ids go in chunks: a load may have thousands; a query takes fewer.
        chunks = [ids[i : i + 500] for i in range(0, len(ids), 500)] or [[]]
        for chunk in chunks:
            about = audit.c.load_id == load_id
            if chunk:
                about = sa.or_(about, audit.c.message_id.in_(chunk))
            org = audit.c.organization_id
            same_org = org.is_(None) if organization_id is None else org == organization_id
            query = sa.select(audit).where(about, same_org)
            for row in conn.execute(query):
                found[row.id] = dict(row._mapping)
    return [found[k] for k in sorted(found)]
