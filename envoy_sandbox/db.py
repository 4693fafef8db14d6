"""SQLite storage: one file in WAL mode, the schema and its indexes, and small helpers.

Each thread gets its own connection. Objects are stored as their JSON wire form in ``body`` with
the columns queries need (organization, status, sort keys) beside it, so a read returns the
stored JSON without rebuilding it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL, password TEXT NOT NULL, name TEXT
);
CREATE TABLE IF NOT EXISTS memberships (
  user_id TEXT NOT NULL, org_id TEXT NOT NULL, position INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, org_id)
);
CREATE TABLE IF NOT EXISTS api_keys (key_hash TEXT PRIMARY KEY, org_id TEXT NOT NULL, name TEXT);
CREATE TABLE IF NOT EXISTS loads (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL, load_number TEXT NOT NULL, tab TEXT NOT NULL,
  updated_at TEXT NOT NULL, search TEXT NOT NULL,
  active_escalations INTEGER NOT NULL DEFAULT 0, failed_verifications INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS loads_org_updated ON loads (org_id, updated_at DESC, id);
CREATE INDEX IF NOT EXISTS loads_org_tab ON loads (org_id, tab, updated_at DESC, id);
CREATE INDEX IF NOT EXISTS loads_org_esc ON loads (org_id, active_escalations, updated_at DESC);
CREATE INDEX IF NOT EXISTS loads_org_ver ON loads (org_id, failed_verifications, updated_at DESC);
CREATE INDEX IF NOT EXISTS loads_org_number ON loads (org_id, load_number);
CREATE TABLE IF NOT EXISTS tab_counts (
  org_id TEXT NOT NULL, tab TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (org_id, tab)
);
CREATE TABLE IF NOT EXISTS calls (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL, load_id TEXT NOT NULL, call_time TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_load ON calls (load_id, call_time DESC);
CREATE TABLE IF NOT EXISTS verifications (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL, load_id TEXT NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS verifications_load ON verifications (load_id, created_at DESC);
CREATE TABLE IF NOT EXISTS escalations (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL, load_id TEXT NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS escalations_load ON escalations (load_id, status, created_at DESC);
CREATE TABLE IF NOT EXISTS endpoints (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL, url TEXT NOT NULL, description TEXT,
  event_types TEXT NOT NULL, headers TEXT, status TEXT NOT NULL, disabled_reason TEXT,
  secret TEXT NOT NULL, old_secret TEXT, old_secret_expires_at TEXT,
  dead_streak INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS endpoints_org ON endpoints (org_id, deleted, created_at);
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, event_type TEXT NOT NULL,
  load_id TEXT, payload TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_endpoint ON messages (endpoint_id, created_at DESC);
CREATE TABLE IF NOT EXISTS attempts (
  id TEXT PRIMARY KEY, message_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, org_id TEXT NOT NULL,
  attempt INTEGER NOT NULL, max_attempts INTEGER NOT NULL, status TEXT NOT NULL,
  next_attempt_at TEXT, response_status_code INTEGER, response_body_excerpt TEXT,
  error_message TEXT, duration_ms REAL, delivered_at TEXT, created_at TEXT NOT NULL,
  due_at TEXT, event_type TEXT NOT NULL, load_id TEXT, claimed_at TEXT
);
CREATE INDEX IF NOT EXISTS attempts_endpoint ON attempts (endpoint_id, created_at DESC, id);
CREATE INDEX IF NOT EXISTS attempts_endpoint_status
  ON attempts (endpoint_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS attempts_endpoint_load
  ON attempts (endpoint_id, load_id, created_at DESC);
CREATE INDEX IF NOT EXISTS attempts_message ON attempts (message_id, attempt);
CREATE INDEX IF NOT EXISTS attempts_due ON attempts (status, due_at)
  WHERE status IN ('PENDING', 'SENDING');
CREATE INDEX IF NOT EXISTS attempts_load ON attempts (org_id, load_id, created_at DESC);
CREATE TABLE IF NOT EXISTS received (
  id INTEGER PRIMARY KEY AUTOINCREMENT, receiver TEXT NOT NULL, webhook_id TEXT,
  verified INTEGER NOT NULL, answered INTEGER NOT NULL, headers TEXT NOT NULL, body TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS received_receiver ON received (receiver, id);
CREATE TABLE IF NOT EXISTS receivers (name TEXT PRIMARY KEY, mode TEXT NOT NULL, rate REAL);
"""


def now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    """The contract's timestamp form, e.g. ``2024-04-20T14:45:00.000Z``.

    ``isoformat`` pads the year to four digits (``strftime("%Y")`` does not, on glibc): stored
    times are compared as text, so ``999-…`` would sort after ``2024-…``.
    """
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def now_iso() -> str:
    return iso(now())


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class Database:
    """A per-thread connection pool over one SQLite file."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self.connect() as conn:
            conn.executescript(SCHEMA)

    def connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, check_same_thread=False, isolation_level=None
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that locks up front (BEGIN IMMEDIATE), so writers queue."""
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
