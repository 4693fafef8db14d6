"""The audit trail: every change made through the console, who made it, why and how it ended.

Records go to a local SQLite file (``ENVOY_AUDIT_DB``, default ``data/audit.db``), written
synchronously with the action they record: once the agent sees "done", the record is on disk
(a process that dies a moment later loses nothing). A record that cannot be written (the file
locked past a generous wait, a full disk) is shown to the agent; the action itself stands.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import streamlit as st

log = logging.getLogger("envoy_console.audit")
LOCK_WAIT = 30.0  # seconds a write waits for a locked database before it gives up

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT, outcome TEXT NOT NULL,
  organization_id TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at DESC);
"""
ACTIONS = [
    "register",
    "update",
    "pause",
    "resume",
    "delete",
    "rotate",
    "replay",
    "bulk replay",
    "test event",
]


def path() -> str:
    return os.environ.get("ENVOY_AUDIT_DB", "data/audit.db")


class AuditError(Exception):
    """A record could not be written; the message says why, never what the record held."""


def _connect(db_path: str) -> sqlite3.Connection:
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, timeout=LOCK_WAIT)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    return conn


def record(
    actor: str,
    action: str,
    target: dict[str, Any],
    outcome: str,
    reason: str | None = None,
    organization_id: str | None = None,
) -> None:
    """Write one record now; raises ``AuditError`` when it cannot be written."""
    row = (
        datetime.now(UTC).isoformat(timespec="seconds"),
        actor,
        action,
        json.dumps(target, sort_keys=True),
        reason or None,
        outcome,
        organization_id,
    )
    try:
        with closing(_connect(path())) as conn, conn:
            conn.execute(
                "INSERT INTO audit (at, actor, action, target, reason, outcome, organization_id)"
                " VALUES (?,?,?,?,?,?,?)",
                row,
            )
    except (sqlite3.Error, OSError) as exc:
        log.warning("could not write an audit record: %s", type(exc).__name__)
        raise AuditError(f"{type(exc).__name__}: {exc}"[:200]) from exc


UNRECORDED = "_audit_unrecorded"  # what the frame shows at the top of the next run


def _record_or_say(*args: Any) -> None:
    """Record; if that fails, tell the agent (the action itself already happened): a toast now,
    and a message the frame shows on the next run, which survives the rerun most actions do."""
    try:
        record(*args)
    except AuditError as exc:
        text = (
            f"Done, but the console could not record it in its audit trail ({exc}). "
            "Tell whoever runs the console, and note what you did in your ticket."
        )
        st.toast(text, icon=":material/report:")
        st.session_state.setdefault(UNRECORDED, []).append(text)


@contextmanager
def action(
    actor: str,
    name: str,
    target: dict[str, Any],
    *,
    reason: str | None = None,
    organization_id: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Record ``name`` with its outcome: "ok", or "failed: <error>" (the error is re-raised).

    The yielded dict may be filled with more target details (say, a new endpoint's id).
    """
    extra: dict[str, Any] = {}
    try:
        yield extra
    except BaseException as exc:
        if type(exc).__name__ in ("StopException", "RerunException"):
            _record_or_say(actor, name, {**target, **extra}, "ok", reason, organization_id)
        else:
            outcome = f"failed: {type(exc).__name__}: {exc}"[:300]
            _record_or_say(actor, name, {**target, **extra}, outcome, reason, organization_id)
        raise
    _record_or_say(actor, name, {**target, **extra}, "ok", reason, organization_id)


def entries(limit: int = 5000) -> list[dict[str, Any]]:
    """The newest records, newest first."""
    db_path = path()
    if not Path(db_path).exists():
        return []
    with closing(_connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]
