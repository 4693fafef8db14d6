"""SQL and the wire JSON: every query behind the routes, as functions over the database.

Loads, calls, verifications and escalations are stored as their wire JSON and handed back as
text without parsing it (big pages stay cheap); endpoints, attempts and messages are built from
their columns. A function returns ``None`` for "no such row": HTTP errors are the routers' job.

Status words come from ``contract``. Where a query filters on one it is written into the SQL
text as a literal: they are our own constants, never input, and SQLite plans with them in view.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from envoy_api.signing import generate_secret, verify

from .contract import (
    EVENT_TYPE_NAMES,
    LOAD_STATUS_TABS,
    OPEN_ATTEMPT_STATUSES,
    PASSED_VERIFICATION_STATUSES,
    RECEIVER_MODES,
    TAB_KEYS,
    AttemptStatus,
    EndpointStatus,
    EscalationStatus,
    LoadTab,
    Receipt,
    ReceiverLog,
    ReceiverMode,
    SandboxInfo,
)
from .db import Database, dumps, iso, now, now_iso

Row = sqlite3.Row

# A rotated-out secret still signs deliveries this long, so receivers can switch over.
SECRET_GRACE = timedelta(hours=24)
RECEIPT_BODY_CHARS = 20_000


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4()}"


def sql_values(values: Iterable[str]) -> str:
    """Trusted words as a SQL literal list: ``'A', 'B'``."""
    return ", ".join(f"'{v}'" for v in values)


def json_array(bodies: Iterable[str]) -> str:
    return "[" + ",".join(bodies) + "]"


def page_json(bodies: Iterable[str], page: int, page_size: int, total: int) -> str:
    """The contract's pagination envelope around already-serialized items."""
    pages = -(-total // page_size) if total else 0
    pagination = {
        "page": page,
        "page_size": page_size,
        "total_count": total,
        "total_pages": pages,
        "has_next": page < pages,
        "has_prev": page > 1,
    }
    return '{"data":' + json_array(bodies) + ',"pagination":' + dumps(pagination) + "}"


def _bodies(db: Database, sql: str, args: tuple[Any, ...]) -> str:
    return json_array(r[0] for r in db.connect().execute(sql, args).fetchall())


# ---- loads ----

# What each tab selects: one definition for both the stored counters and the filtered list.
_TAB_WHERE: dict[str, str | None] = {
    LoadTab.ALL: None,
    **{tab: f"tab = '{tab}'" for tab in LOAD_STATUS_TABS},
    LoadTab.ACTIVE_ESCALATIONS: "active_escalations > 0",
    LoadTab.FAILED_VERIFICATIONS: "failed_verifications > 0",
}


def refresh_tab_counts(db: Database, org_id: str | None = None) -> None:
    """Recompute the per-organization tab counters the tab-counts endpoint reads."""
    counters = ", ".join(
        f"sum({where})" if (where := _TAB_WHERE[tab]) else "count(*)" for tab in TAB_KEYS
    )
    with db.write() as w:
        orgs = [org_id] if org_id else [r[0] for r in w.execute("SELECT id FROM organizations")]
        for org in orgs:
            row = w.execute(f"SELECT {counters} FROM loads WHERE org_id = ?", (org,)).fetchone()
            w.execute("DELETE FROM tab_counts WHERE org_id = ?", (org,))
            w.executemany(
                "INSERT INTO tab_counts VALUES (?, ?, ?)",
                [(org, k, int(v or 0)) for k, v in zip(TAB_KEYS, row, strict=True)],
            )


def tab_counts(db: Database, org_id: str) -> dict[str, int]:
    rows = (
        db.connect()
        .execute("SELECT tab, count FROM tab_counts WHERE org_id = ?", (org_id,))
        .fetchall()
    )
    counts = {r["tab"]: r["count"] for r in rows}
    return {t: counts.get(t, 0) for t in TAB_KEYS}


def list_loads(
    db: Database, org_id: str, tab: str | None, search: str | None, page: int, page_size: int
) -> str:
    """A page of loads, newest update first; ``tab`` must be one of ``TAB_KEYS`` or None."""
    where, args = ["org_id = ?"], [org_id]
    tab_where = _TAB_WHERE[tab or LoadTab.ALL]
    if tab_where:
        where.append(tab_where)
    term = (search or "").strip().lower()
    if term:
        where.append("search LIKE ? ESCAPE '\\'")
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"%{escaped}%")
    conn = db.connect()
    clause = " AND ".join(where)
    if term:
        total = conn.execute(f"SELECT count(*) FROM loads WHERE {clause}", args).fetchone()[0]
    else:  # the stored counter: no count(*) over a large organization's loads
        row = conn.execute(
            "SELECT count FROM tab_counts WHERE org_id = ? AND tab = ?",
            (org_id, tab or LoadTab.ALL),
        ).fetchone()
        total = row[0] if row else 0
    rows = conn.execute(
        f"SELECT body FROM loads WHERE {clause} ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
        [*args, page_size, (page - 1) * page_size],
    ).fetchall()
    return page_json((r[0] for r in rows), page, page_size, total)


def load_body(db: Database, org_id: str, load_id: str) -> str | None:
    """The stored JSON of a load of ``org_id``."""
    row = (
        db.connect()
        .execute("SELECT body FROM loads WHERE id = ? AND org_id = ?", (load_id, org_id))
        .fetchone()
    )
    return None if row is None else str(row[0])


def load_calls(db: Database, load_id: str) -> str:
    return _bodies(
        db, "SELECT body FROM calls WHERE load_id = ? ORDER BY call_time DESC, id", (load_id,)
    )


def failed_verifications(db: Database, load_id: str) -> str:
    return _bodies(
        db,
        "SELECT body FROM verifications WHERE load_id = ? AND status NOT IN"
        f" ({sql_values(PASSED_VERIFICATION_STATUSES)}) ORDER BY created_at DESC, id",
        (load_id,),
    )


def active_escalations(db: Database, load_id: str) -> str:
    return _bodies(
        db,
        f"SELECT body FROM escalations WHERE load_id = ? AND status = '{EscalationStatus.ACTIVE}'"
        " ORDER BY created_at DESC, id",
        (load_id,),
    )


# ---- webhook endpoints ----


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


# ---- messages and attempts ----

ATTEMPT_SQL = (
    "SELECT a.id, a.message_id, a.endpoint_id, a.attempt, a.max_attempts, a.status,"
    " a.next_attempt_at, a.response_status_code, a.response_body_excerpt, a.error_message,"
    " a.duration_ms, a.delivered_at, a.created_at, m.payload"
    " FROM attempts a JOIN messages m ON m.id = a.message_id"
)


def _with_payload(fields: dict[str, Any], payload: str) -> str:
    """``fields`` as JSON plus the stored event payload, spliced in as it was stored."""
    return dumps(fields)[:-1] + ',"payload":' + payload + "}"


def attempt_json(row: Row) -> str:
    return _with_payload({k: row[k] for k in row.keys() if k != "payload"}, str(row["payload"]))


def queue_attempt(
    conn: sqlite3.Connection,
    message_id: str,
    endpoint_id: str,
    org_id: str,
    attempt: int,
    max_attempts: int,
    created_at: str,
    due_at: str | None,
    event_type: str,
    load_id: str | None,
) -> None:
    """Insert a PENDING attempt: the one way a message gets (re)queued."""
    conn.execute(
        "INSERT INTO attempts (id, message_id, endpoint_id, org_id, attempt, max_attempts,"
        " status, created_at, due_at, event_type, load_id)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            new_id("atmp"),
            message_id,
            endpoint_id,
            org_id,
            attempt,
            max_attempts,
            AttemptStatus.PENDING,
            created_at,
            due_at,
            event_type,
            load_id,
        ),
    )


@dataclass(frozen=True)
class AttemptFilter:
    """Filters of an endpoint's attempt list, already checked and in stored form."""

    statuses: tuple[str, ...] = ()
    event_type: str | None = None
    load_id: str | None = None
    since: str | None = None
    until: str | None = None


def list_attempts(
    db: Database, endpoint_id: str, where: AttemptFilter, page: int, page_size: int
) -> str:
    """A page of the endpoint's attempts, newest first."""
    terms, args = ["a.endpoint_id = ?"], [endpoint_id]
    if where.statuses:
        terms.append(f"a.status IN ({','.join('?' * len(where.statuses))})")
        args += where.statuses
    for term, value in (
        ("a.event_type = ?", where.event_type),
        ("a.load_id = ?", where.load_id),
        ("a.created_at >= ?", where.since),
        ("a.created_at < ?", where.until),
    ):
        if value:
            terms.append(term)
            args.append(value)
    clause = " AND ".join(terms)
    conn = db.connect()
    total = _count_attempts(conn, db, clause, args, exact=bool(where.statuses))
    rows = conn.execute(
        f"{ATTEMPT_SQL} WHERE {clause} ORDER BY a.created_at DESC, a.attempt DESC, a.id"
        " LIMIT ? OFFSET ?",
        [*args, page_size, (page - 1) * page_size],
    ).fetchall()
    return page_json((attempt_json(r) for r in rows), page, page_size, total)


# The total of a listing without a status filter changes only when attempts are added, so it is
# kept until the table's newest rowid moves: reading ten pages of an endpoint with a million
# attempts counts them once, not ten times. A status changes in place, so those are counted anew.
_COUNTS: dict[tuple[str, str, tuple[Any, ...]], tuple[int, int]] = {}
_COUNTS_LOCK = threading.Lock()


def _count_attempts(
    conn: sqlite3.Connection, db: Database, clause: str, args: list[Any], *, exact: bool
) -> int:
    sql = f"SELECT count(*) FROM attempts a WHERE {clause}"
    if exact:
        return int(conn.execute(sql, args).fetchone()[0])
    newest = conn.execute("SELECT max(rowid) FROM attempts").fetchone()[0] or 0
    key = (str(db.path), clause, tuple(args))
    with _COUNTS_LOCK:
        cached = _COUNTS.get(key)
    if cached is not None and cached[0] == newest:
        return cached[1]
    total = int(conn.execute(sql, args).fetchone()[0])
    with _COUNTS_LOCK:
        if len(_COUNTS) > 10_000:
            _COUNTS.clear()
        _COUNTS[key] = (newest, total)
    return total


def message_row(db: Database, org_id: str, message_id: str) -> Row | None:
    """A message of ``org_id`` sent to an endpoint that still exists."""
    row: Row | None = (
        db.connect()
        .execute(
            "SELECT m.* FROM messages m JOIN endpoints e ON e.id = m.endpoint_id"
            " WHERE m.id = ? AND m.org_id = ? AND e.deleted = 0",
            (message_id, org_id),
        )
        .fetchone()
    )
    return row


def message_attempts(db: Database, message_id: str) -> str:
    rows = (
        db.connect()
        .execute(f"{ATTEMPT_SQL} WHERE a.message_id = ? ORDER BY a.attempt", (message_id,))
        .fetchall()
    )
    return json_array(attempt_json(r) for r in rows)


def message_summary(conn: sqlite3.Connection, msg: Row) -> str:
    rows = conn.execute(
        "SELECT status, response_status_code FROM attempts WHERE message_id = ? ORDER BY attempt",
        (msg["id"],),
    ).fetchall()
    codes = [r["response_status_code"] for r in rows if r["response_status_code"] is not None]
    summary = {
        "id": msg["id"],
        "endpoint_id": msg["endpoint_id"],
        "latest_status": rows[-1]["status"] if rows else None,
        "attempt_count": len(rows),
        "last_response_status_code": codes[-1] if codes else None,
        "created_at": msg["created_at"],
    }
    return _with_payload(summary, str(msg["payload"]))


def replay(db: Database, msg: Row) -> str:
    """Send the message again now; the summary after queuing.

    A message with an attempt still queued or on the wire gets no second one (concurrent
    replays queue one): a held retry is only brought forward to now.
    """
    at = now_iso()
    with db.write() as w:
        open_row = w.execute(
            "SELECT id, status, due_at FROM attempts WHERE message_id = ?"
            f" AND status IN ({sql_values(OPEN_ATTEMPT_STATUSES)})"
            " ORDER BY attempt DESC LIMIT 1",
            (msg["id"],),
        ).fetchone()
        if open_row is None:
            last = w.execute(
                "SELECT max(attempt) FROM attempts WHERE message_id = ?", (msg["id"],)
            ).fetchone()[0]
            n = (last or 0) + 1
            # A replay is one more try of its own: attempt n of n.
            queue_attempt(
                w,
                msg["id"],
                msg["endpoint_id"],
                msg["org_id"],
                n,
                n,
                at,
                at,
                msg["event_type"],
                msg["load_id"],
            )
        elif open_row["status"] == AttemptStatus.PENDING and (open_row["due_at"] or "") > at:
            w.execute("UPDATE attempts SET due_at = ? WHERE id = ?", (at, open_row["id"]))
        return message_summary(w, msg)


# ---- the sandbox's own tables: info, demo receivers ----


def sandbox_info(db: Database) -> SandboxInfo:
    conn = db.connect()
    orgs = conn.execute("SELECT id, name FROM organizations ORDER BY id").fetchall()
    anchor = conn.execute("SELECT value FROM meta WHERE key = 'anchor'").fetchone()
    stories = conn.execute("SELECT key, value FROM meta WHERE key LIKE 'stories:%'").fetchall()
    return {
        "organizations": [{"id": r["id"], "name": r["name"]} for r in orgs],
        "event_types": EVENT_TYPE_NAMES,
        "anchor": anchor[0] if anchor else None,
        "stories": {r["key"].removeprefix("stories:"): json.loads(r["value"]) for r in stories},
    }


def receiver_mode(db: Database, name: str, default_rate: float) -> tuple[ReceiverMode, float]:
    """How the receiver ``name`` answers: (mode, failure rate when flaky)."""
    row = (
        db.connect().execute("SELECT mode, rate FROM receivers WHERE name = ?", (name,)).fetchone()
    )
    if row is not None:  # modes are checked before they are stored
        rate = row["rate"] if row["rate"] is not None else default_rate
        return cast(ReceiverMode, row["mode"]), rate
    # Never configured: the seeded receivers are named after their mode; others answer ok.
    return cast(ReceiverMode, name if name in RECEIVER_MODES else "ok"), default_rate


def configure_receiver(db: Database, name: str, mode: str, rate: float | None) -> None:
    with db.write() as w:
        w.execute("INSERT OR REPLACE INTO receivers VALUES (?, ?, ?)", (name, mode, rate))


def verify_delivery(db: Database, headers: dict[str, str], body: bytes) -> bool:
    """Whether the delivery is signed with a live secret of the endpoint it was sent to."""
    msg_id = headers.get("webhook-id")
    if not msg_id:
        return False
    row = (
        db.connect()
        .execute(
            "SELECT e.secret, e.old_secret, e.old_secret_expires_at FROM messages m"
            " JOIN endpoints e ON e.id = m.endpoint_id WHERE m.id = ?",
            (msg_id,),
        )
        .fetchone()
    )
    if row is None:
        return False
    try:
        verify(active_secrets(row), headers, body)
    except ValueError:
        return False
    return True


def record_receipt(
    db: Database, name: str, verified: bool, answered: int, headers: dict[str, str], raw: bytes
) -> None:
    """Log a delivery a demo receiver got: its webhook and custom headers, a bounded body."""
    keep = {k: v for k, v in headers.items() if k.startswith(("webhook-", "x-"))}
    with db.write() as w:
        w.execute(
            "INSERT INTO received (receiver, webhook_id, verified, answered, headers, body,"
            " received_at) VALUES (?,?,?,?,?,?,?)",
            (
                name,
                headers.get("webhook-id"),
                int(verified),
                answered,
                dumps(keep),
                raw.decode(errors="replace")[:RECEIPT_BODY_CHARS],
                now_iso(),
            ),
        )


def receiver_log(db: Database, name: str, limit: int, default_rate: float) -> ReceiverLog:
    """The receiver's mode and its last ``limit`` receipts, newest first, with totals."""
    mode, rate = receiver_mode(db, name, default_rate)
    conn = db.connect()
    rows = conn.execute(
        "SELECT webhook_id, verified, answered, headers, body, received_at FROM received"
        " WHERE receiver = ? ORDER BY id DESC LIMIT ?",
        (name, limit),
    ).fetchall()
    count, distinct = conn.execute(
        "SELECT count(*), count(DISTINCT webhook_id) FROM received WHERE receiver = ?", (name,)
    ).fetchone()
    received: list[Receipt] = [
        {
            "webhook_id": r["webhook_id"],
            "verified": bool(r["verified"]),
            "answered": r["answered"],
            "headers": json.loads(r["headers"]),
            "body": r["body"],
            "received_at": r["received_at"],
        }
        for r in rows
    ]
    return {
        "name": name,
        "mode": mode,
        "failure_rate": rate,
        "count": count,
        "distinct_webhook_ids": distinct,
        "received": received,
    }


def clear_receiver(db: Database, name: str) -> None:
    with db.write() as w:
        w.execute("DELETE FROM received WHERE receiver = ?", (name,))


_RECEIVER_BASE = re.compile(r"^https?://(127\.0\.0\.1|localhost):\d+(?=/_sandbox/receivers/)")


def rebase_receivers(db: Database, base: str) -> None:
    """Point demo endpoints at this run's receivers (the port changes from run to run)."""
    with db.write() as w:
        for row in w.execute("SELECT id, url FROM endpoints").fetchall():
            new = _RECEIVER_BASE.sub(base.rstrip("/"), row["url"])
            if new != row["url"]:
                w.execute("UPDATE endpoints SET url = ? WHERE id = ?", (new, row["id"]))
