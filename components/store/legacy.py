"""Carry over the audit trail the console kept before it had a database of its own.

That was a SQLite file (``ENVOY_AUDIT_DB``, default ``data/audit.db``). Its rows are copied into
the store's ``audit`` table when that table is still empty, inside the upgrade's locked
transaction: two processes starting at once copy it once, and a copy that fails leaves nothing
half done. A file that cannot be read stops the upgrade (move it aside to go on without it).
The file itself is left where it is (it is the only copy until someone checks).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .errors import StoreError
from .schema import audit

log = logging.getLogger("envoy_console.store")
LEGACY_ENV = "ENVOY_AUDIT_DB"
LEGACY_DEFAULT = "data/audit.db"
COLUMNS = ("at", "actor", "action", "target", "reason", "outcome", "organization_id")


def legacy_path() -> Path:
    return Path(os.environ.get(LEGACY_ENV, LEGACY_DEFAULT))


def _at(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # the old file wrote UTC


def read_legacy(path: Path) -> list[dict[str, Any]]:
    """Every row of the old file, oldest first (its ids were its order)."""
    with closing(sqlite3.connect(path, timeout=30)) as old:
        has_table = old.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='audit'"
        ).fetchone()
        if not has_table:
            return []
        rows = old.execute(f"SELECT {', '.join(COLUMNS)} FROM audit ORDER BY id").fetchall()
    return [{**dict(zip(COLUMNS, row, strict=True)), "at": _at(row[0])} for row in rows]


def carry_over(conn: Connection) -> int:
    """Copy the legacy rows in when the store has none yet; returns how many were copied."""
    path = legacy_path()
    if not path.is_file():
        return 0
    if conn.execute(sa.select(audit.c.id).limit(1)).first() is not None:
        return 0  # copied before, or the store is in use already: never twice
    try:
        rows = read_legacy(path)
    except (sqlite3.Error, ValueError) as exc:
        # Refuse rather than skip: once the store has rows of its own, a skipped copy would
        # never happen. The operator can move the file aside to go on without it.
        raise StoreError(f"the legacy audit file {path} cannot be read ({exc})"[:200]) from exc
    if rows:
        conn.execute(audit.insert(), rows)  # ids are new; their order is the old order
        log.info("copied %d audit records from the legacy audit file", len(rows))
    return len(rows)
