"""The audit trail: every change made through the console, who made it, why and how it ended.

Records go to a local SQLite file (``ENVOY_AUDIT_DB``, default ``data/audit.db``) through a
background writer, so writing one never blocks or breaks the action it records.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("envoy_console.audit")

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


def _connect(db_path: str) -> sqlite3.Connection:
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, timeout=5, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    return conn


class _Writer:
    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        conns: dict[str, sqlite3.Connection] = {}
        while True:
            db_path, row = self.queue.get()
            try:
                conn = conns.get(db_path) or conns.setdefault(db_path, _connect(db_path))
                with conn:
                    conn.execute(
                        "INSERT INTO audit (at, actor, action, target, reason, outcome,"
                        " organization_id) VALUES (?,?,?,?,?,?,?)",
                        row,
                    )
            except Exception as exc:  # the record is lost, the action is not
                log.warning("could not write an audit record: %s", type(exc).__name__)
            finally:
                self.queue.task_done()


_writer: _Writer | None = None
_lock = threading.Lock()


def _get_writer() -> _Writer:
    global _writer
    with _lock:
        if _writer is None:
            _writer = _Writer()
        return _writer


def record(
    actor: str,
    action: str,
    target: dict[str, Any],
    outcome: str,
    reason: str | None = None,
    organization_id: str | None = None,
) -> None:
    """Queue one record; never raises."""
    try:
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            actor,
            action,
            json.dumps(target, sort_keys=True),
            reason or None,
            outcome,
            organization_id,
        )
        _get_writer().queue.put((path(), row))
    except Exception as exc:
        log.warning("could not queue an audit record: %s", type(exc).__name__)


def flush(timeout: float = 5.0) -> None:
    """Wait (bounded) until queued records are written: for tests and the Activity page."""
    writer = _get_writer()
    done = threading.Event()

    def wait() -> None:
        writer.queue.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    done.wait(timeout)


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
            record(actor, name, {**target, **extra}, "ok", reason, organization_id)
        else:
            record(
                actor,
                name,
                {**target, **extra},
                f"failed: {type(exc).__name__}: {exc}"[:300],
                reason,
                organization_id,
            )
        raise
    record(actor, name, {**target, **extra}, "ok", reason, organization_id)


def entries(limit: int = 5000) -> list[dict[str, Any]]:
    """The newest records, newest first."""
    db_path = path()
    if not Path(db_path).exists():
        return []
    flush(1.0)
    conn = _connect(db_path)
    try:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(r) for r in rows]
    finally:
        conn.close()
