"""Webhook messages and their delivery attempts: listings, queuing and replay.

An attempt's wire form is its columns plus the message's stored event payload, spliced in as
text. ``queue_attempt`` is the one way a message gets (re)queued; the sender and ``replay`` both
go through it.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

from ..contract import OPEN_ATTEMPT_STATUSES, AttemptStatus
from ..db import Database, dumps, now_iso
from .common import Row, json_array, new_id, page_json, sql_values

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
