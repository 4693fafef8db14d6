"""The audit trail keeps every acknowledged action: written with the action, through locks and
process exits, and for every replay a bulk recovery sent before it was interrupted."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from components import store
from components.domain import rights
from components.ops import audit

from .conftest import ROOT

AGENT = rights.User(email="agent@broker.example", name="Agent", is_admin=True, signed_in=True)


def rows(db: Path) -> list[tuple[str, str, str]]:
    """What the console database file holds, read past the store."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT action, target, outcome FROM audit ORDER BY id").fetchall()


def test_a_record_is_on_disk_when_the_process_dies_right_after(audit_db: Path) -> None:
    script = (
        "import os; from components.ops import audit; "
        "audit.record('a@b.example', 'pause', {'endpoint_id': 'ep_1'}, 'ok'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
    assert rows(audit_db) == [("pause", '{"endpoint_id": "ep_1"}', "ok")]


def test_a_locked_database_delays_a_record_but_does_not_drop_it(audit_db: Path) -> None:
    audit.record("a@b.example", "resume", {}, "ok")  # creates the file
    holder = sqlite3.connect(audit_db, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    released = threading.Timer(1.0, holder.commit)  # another writer, done a second later
    released.start()
    audit.record("a@b.example", "pause", {}, "ok")
    released.join()
    holder.close()
    assert [r[0] for r in rows(audit_db)] == ["resume", "pause"]


def test_a_record_that_cannot_be_written_is_an_error(
    audit_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit.record("a@b.example", "resume", {}, "ok")
    monkeypatch.setattr(store.db, "LOCK_WAIT", 0.2)
    store.reset()  # the next connection waits 0.2 s for a lock, not 30
    holder = sqlite3.connect(audit_db)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(audit.AuditError):
            audit.record("a@b.example", "pause", {}, "ok")
    finally:
        holder.rollback()
        holder.close()
