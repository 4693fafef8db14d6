"""Webhook endpoints: their wire form, listing, creation, changes, soft deletion and secrets.

Endpoints are built from their columns. A rotated secret keeps signing for ``SECRET_GRACE``
beside the new one (``active_secrets``), so receivers can switch over.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from typing import Any

from envoy_api.signing import generate_secret

from ..contract import AttemptStatus, EndpointStatus
from ..db import Database, dumps, iso, now, now_iso
from .common import Row, new_id, page_json

# A rotated-out secret still signs deliveries this long, so receivers can switch over.
SECRET_GRACE = timedelta(hours=24)


def endpoint_json(row: Row, secret: str | None = None) -> dict[str, Any]:
    """An endpoint's wire form; ``signing_secret`` only when it was just issued."""
    body: dict[str, Any] = {
        "id": row["id"],
        "organization_id": row["org_id"],
        "url": row["url"],
        "description": row["description"],
        "event_types": json.loads(row["event_types"]),
        "headers": json.loads(row["headers"]) if row["headers"] else None,
        "status": row["status"],
        "disabled_reason": row["disabled_reason"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    if secret is not None:
        body["signing_secret"] = secret
    return body


def active_secrets(row: Row, at: str | None = None) -> list[str]:
    """The endpoint's current secret, plus the previous one during its grace window."""
    secrets = [row["secret"]]
    expires = row["old_secret_expires_at"]
    if row["old_secret"] and expires and expires > (at or now_iso()):
        secrets.append(row["old_secret"])
    return secrets


def _endpoint(conn: sqlite3.Connection, endpoint_id: str) -> Row:
    row: Row = conn.execute("SELECT * FROM endpoints WHERE id = ?", (endpoint_id,)).fetchone()
    return row


def endpoint_row(db: Database, org_id: str, endpoint_id: str) -> Row | None:
    """A live (not deleted) endpoint of ``org_id``."""
    row: Row | None = (
        db.connect()
        .execute(
            "SELECT * FROM endpoints WHERE id = ? AND org_id = ? AND deleted = 0",
            (endpoint_id, org_id),
        )
        .fetchone()
    )
    return row


def list_endpoints(db: Database, org_id: str, page: int, page_size: int) -> str:
    conn = db.connect()
    total = conn.execute(
        "SELECT count(*) FROM endpoints WHERE org_id = ? AND deleted = 0", (org_id,)
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT * FROM endpoints WHERE org_id = ? AND deleted = 0 ORDER BY created_at, id"
        " LIMIT ? OFFSET ?",
        (org_id, page_size, (page - 1) * page_size),
    ).fetchall()
    return page_json((dumps(endpoint_json(r)) for r in rows), page, page_size, total)


def create_endpoint(
    db: Database,
    org_id: str,
    url: str,
    event_types: list[str],
    description: str | None,
    headers: dict[str, str] | None,
) -> dict[str, Any]:
    """Register an ACTIVE endpoint; its wire form carries the new signing secret."""
    eid, secret, at = new_id("ep"), generate_secret(), now_iso()
    with db.write() as w:
        w.execute(
            "INSERT INTO endpoints (id, org_id, url, description, event_types, headers,"
            " status, disabled_reason, secret, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,NULL,?,?,?)",
            (
                eid,
                org_id,
                url,
                description,
                dumps(event_types),
                dumps(headers) if headers is not None else None,
                EndpointStatus.ACTIVE,
                secret,
                at,
                at,
            ),
        )
        return endpoint_json(_endpoint(w, eid), secret)


_JSON_COLUMNS = ("event_types", "headers")


def update_endpoint(db: Database, endpoint_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the given fields (url, event_types, description, headers, status)."""
    sets: list[str] = []
    args: list[Any] = []
    for column in ("url", "event_types", "description", "headers"):
        if column in changes:
            value = changes[column]
            sets.append(f"{column} = ?")
            args.append(dumps(value) if column in _JSON_COLUMNS and value is not None else value)
    if "status" in changes:
        sets += ["status = ?", "disabled_reason = NULL"]
        args.append(changes["status"])
        if changes["status"] == EndpointStatus.ACTIVE:
            sets.append("dead_streak = 0")  # resumed: the count towards auto-disable restarts
    sets.append("updated_at = ?")
    args.append(now_iso())
    with db.write() as w:
        w.execute(f"UPDATE endpoints SET {', '.join(sets)} WHERE id = ?", [*args, endpoint_id])
        return endpoint_json(_endpoint(w, endpoint_id))


def delete_endpoint(db: Database, endpoint_id: str) -> None:
    """Soft-delete the endpoint and cancel its queued retries (history stays readable)."""
    with db.write() as w:
        w.execute(
            "UPDATE endpoints SET deleted = 1, updated_at = ? WHERE id = ?",
            (now_iso(), endpoint_id),
        )
        w.execute(
            f"UPDATE attempts SET status = '{AttemptStatus.DEAD}', due_at = NULL,"
            " error_message = 'Endpoint deleted; retry cancelled'"
            f" WHERE endpoint_id = ? AND status = '{AttemptStatus.PENDING}'",
            (endpoint_id,),
        )


def rotate_secret(db: Database, endpoint_id: str) -> dict[str, Any]:
    """Issue a new secret; the old one keeps signing until ``previous_secret_expires_at``."""
    secret, at = generate_secret(), now()
    expires = iso(at + SECRET_GRACE)
    with db.write() as w:
        w.execute(
            "UPDATE endpoints SET old_secret = secret, old_secret_expires_at = ?,"
            " secret = ?, updated_at = ? WHERE id = ?",
            (expires, secret, iso(at), endpoint_id),
        )
        out = endpoint_json(_endpoint(w, endpoint_id), secret)
    out["previous_secret_expires_at"] = expires
    return out
