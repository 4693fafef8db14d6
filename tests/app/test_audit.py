"""The audit trail keeps every acknowledged action: written with the action, through locks and
process exits, and for every replay a bulk recovery sent before it was interrupted."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import UTC
from pathlib import Path

import pytest

from components import access, actions, audit, bulk, data, store
from components.connection import resolve_connection
from envoy_api import MessageSummary

from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox
from .conftest import ROOT

AGENT = access.User(email="agent@broker.example", name="Agent", is_admin=True, signed_in=True)


def rows(db: Path) -> list[tuple[str, str, str]]:
    """What the console database file holds, read past the store."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT action, target, outcome FROM audit ORDER BY id").fetchall()


def test_a_record_is_on_disk_when_the_process_dies_right_after(audit_db: Path) -> None:
    script = (
        "import os; from components import audit; "
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


class Interrupted(Exception):
    """Stands in for Streamlit stopping the script when the agent navigates away."""


def test_an_interrupted_bulk_recovery_keeps_a_row_for_every_replay_it_sent(
    configured: Sandbox, audit_db: Path
) -> None:
    api = configured.client.webhooks
    name = configured.new_receiver("down")
    ep = api.create_endpoint(url=configured.receiver_url(name), event_types=["load.created"])
    msgs = [next(m["id"] for m in configured.emit("load.created", EVENT_LOAD)["messages"]
                 if m["endpoint_id"] == ep.id) for _ in range(4)]  # fmt: skip
    wait_for(lambda: all(api.list_message_attempts(m)[-1].status == "DEAD" for m in msgs),
             timeout=30)  # fmt: skip
    ctx = data.register(resolve_connection(), None)
    run = bulk.BulkRun(key="bulk-test", candidates=[(m, ep.id, 5) for m in msgs], looked_at=4,
                       complete=True, reason="receiver was down")  # fmt: skip

    def navigate_away_after_two(r: bulk.BulkRun) -> None:
        if r.done == 2:
            raise Interrupted

    def replay(message_id: str, endpoint_id: str) -> MessageSummary:
        return actions.replay(ctx, AGENT, message_id, endpoint_id, reason=run.reason, via=run.key)

    with pytest.raises(Interrupted):
        bulk.run(run, replay, navigate_away_after_two)
    recorded = [r for r in rows(audit_db) if r[0] == "replay"]
    assert len(recorded) == 2 and all(msgs[i] in recorded[i][1] for i in range(2))
    assert all('"via": "bulk-test"' in r[1] and r[2] == "ok" for r in recorded)
    api.delete_endpoint(ep.id)


def test_the_activity_page_is_told_where_records_are_kept(audit_db: Path) -> None:
    assert audit.path() == f"the console database (SQLite file {audit_db})"
    audit.record("a@b.example", "pause", {"endpoint_id": "ep_1"}, "ok")
    (entry,) = audit.entries()
    assert (entry["action"], entry["target"], entry["at"].tzinfo) == (
        "pause", '{"endpoint_id": "ep_1"}', UTC)  # fmt: skip
