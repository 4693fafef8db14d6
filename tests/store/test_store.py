"""The console database on both engines: schema upgrades, the audit trail (and the legacy file
it replaces), and recovery jobs under competing workers (threads, and separate processes)."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from components import store
from components.settings import secrets_table
from components.store import db, schema
from components.store.db import URL_ENV, alembic_config

from ..helpers import wait_for
from ..postgres import free_port

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [("msg_1", "ep_1", 3), ("msg_2", "ep_1", 5), ("msg_3", "ep_1", 1), ("msg_4", "ep_1", 2)]


def new_job(organization_id: str = "org_1", messages: list[tuple[str, str, int]] = MESSAGES) -> str:
    return store.create_job(
        organization_id=organization_id,
        endpoint_id="ep_1",
        filter={"endpoint_id": "ep_1", "status": ["FAILED", "DEAD"]},
        reason="receiver was down",
        created_by="agent@broker.example",
        messages=messages,
    )


def together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def in_processes(script: str, args: list[str]) -> list[str]:
    """Run ``script`` in one process per arg; each prints "ready" once connected, then waits
    for the word to start, so the processes really race. Their last output lines."""
    procs = [
        subprocess.Popen([sys.executable, "-c", script, arg], cwd=ROOT, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for arg in args
    ]  # fmt: skip
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), outputs
    return [(out.strip().splitlines() or [""])[-1] for out in outputs]


# --- schema ----------------------------------------------------------------------------------


def test_an_empty_database_is_upgraded_to_head_on_first_use(store_url: str) -> None:
    eng = store.engine()
    inspector = sa.inspect(eng)
    for table in schema.metadata.sorted_tables:  # the code and the migration agree
        columns = [c["name"] for c in inspector.get_columns(table.name)]
        assert columns == [c.name for c in table.columns], table.name
    with eng.connect() as conn:
        current = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
        head = ScriptDirectory.from_config(alembic_config(conn)).get_current_head()
    assert current == head == "r0005"


def test_the_migration_downgrades_and_upgrades_again(store_url: str) -> None:
    with store.engine().begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(sa.inspect(store.engine()).get_table_names()) == {"alembic_version"}
    store.reset()  # a new process: upgrades on first use
    store.record_audit("a@b.example", "pause", {}, "ok")
    assert len(store.audit_entries()) == 1


def test_processes_starting_at_once_upgrade_once_and_all_work(store_url: str) -> None:
    script = (
        "import sys; from components import store; print('ready', flush=True); "
        "sys.stdin.readline(); store.record_audit(sys.argv[1], 'pause', {}, 'ok'); print('ok')"
    )
    assert in_processes(script, ["p1", "p2", "p3", "p4"]) == ["ok"] * 4
    assert sorted(r["actor"] for r in store.audit_entries()) == ["p1", "p2", "p3", "p4"]
    with store.engine().connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 1


def test_a_new_sqlite_file_opens_while_another_process_holds_its_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Switching a file to WAL needs it to itself, and SQLite refuses at once (no busy wait)
    while another connection holds the write lock: one of four consoles starting together on a
    new file failed to open it. The console now waits for the lock, as for any write: here the
    other connection lets go while the console waits for the first time."""
    path = tmp_path / "console.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE other (x)")  # still in rollback-journal mode
    holder.execute("BEGIN IMMEDIATE")
    waits: list[float] = []

    def let_go(seconds: float) -> None:
        if not waits:
            holder.execute("COMMIT")
        waits.append(seconds)

    monkeypatch.setattr(db, "time", SimpleNamespace(monotonic=time.monotonic, sleep=let_go),
                        raising=False)  # fmt: skip
    monkeypatch.setenv(URL_ENV, f"sqlite:///{path}")
    store.reset()
    try:
        with store.engine().connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert waits  # it did meet the lock
    finally:
        holder.close()
        store.reset()


# --- audit trail -----------------------------------------------------------------------------


def test_audit_records_round_trip_newest_first(store_url: str) -> None:
    before = datetime.now(UTC)
    store.record_audit("a@b.example", "pause", {"endpoint_id": "ep_1", "a": 1}, "ok")
    store.record_audit("c@d.example", "replay", {"message_id": "msg_1"}, "failed: X", "ticket 9",
                       "org_1")  # fmt: skip
    newest, oldest = store.audit_entries()
    assert set(newest) == {c.name for c in schema.audit.columns}
    assert (newest["actor"], newest["action"], newest["target"]) == (
        "c@d.example", "replay", '{"message_id": "msg_1"}')  # fmt: skip
    assert (newest["reason"], newest["outcome"], newest["organization_id"]) == (
        "ticket 9", "failed: X", "org_1")  # fmt: skip
    assert oldest["target"] == '{"a": 1, "endpoint_id": "ep_1"}' and oldest["reason"] is None
    assert oldest["at"].tzinfo == UTC and before <= oldest["at"] <= newest["at"]
    assert [r["actor"] for r in store.audit_entries(limit=1)] == ["c@d.example"]


LEGACY_SCHEMA = """
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT, outcome TEXT NOT NULL,
  organization_id TEXT
);
"""
LEGACY_ROWS = [
    ("2024-05-01T09:00:00+00:00", "a@b.example", "pause", '{"endpoint_id": "ep_1"}', None, "ok",
     "org_1"),
    ("2024-05-01T09:05:00+00:00", "a@b.example", "replay", '{"message_id": "m"}', "ticket 1",
     "failed: InternalServerError: boom", None),
    ("2024-05-02T10:00:00+00:00", "c@d.example", "rotate", "{}", None, "ok", "org_2"),
]  # fmt: skip


def write_legacy(path: Path, rows: list[tuple[Any, ...]]) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(LEGACY_SCHEMA)
        conn.executemany(
            "INSERT INTO audit (at, actor, action, target, reason, outcome, organization_id)"
            " VALUES (?,?,?,?,?,?,?)",
            rows,
        )
    conn.close()


def as_legacy(entry: dict[str, Any]) -> tuple[Any, ...]:
    at = entry["at"].isoformat(timespec="seconds")
    return (at, *(entry[c] for c in ("actor", "action", "target", "reason", "outcome",
                                     "organization_id")))  # fmt: skip


def test_the_legacy_audit_file_is_carried_over_exactly_once(store_url: str, tmp_path: Path) -> None:
    write_legacy(tmp_path / "audit.db", LEGACY_ROWS)
    assert [as_legacy(e) for e in store.audit_entries()] == LEGACY_ROWS[::-1]
    store.reset()  # a second process starting: the store has rows, nothing is copied again
    store.record_audit("e@f.example", "resume", {}, "ok")
    store.reset()
    entries = store.audit_entries()
    assert [as_legacy(e) for e in entries[1:]] == LEGACY_ROWS[::-1]
    assert entries[0]["actor"] == "e@f.example" and len(entries) == 4
    assert (tmp_path / "audit.db").exists()  # left in place


def test_a_legacy_file_found_after_the_store_has_records_is_not_mixed_in(
    store_url: str, tmp_path: Path
) -> None:
    store.record_audit("a@b.example", "pause", {}, "ok")
    write_legacy(tmp_path / "audit.db", LEGACY_ROWS)
    store.reset()
    assert [e["action"] for e in store.audit_entries()] == ["pause"]


def test_an_unreadable_legacy_file_stops_the_upgrade_and_says_which(
    store_url: str, tmp_path: Path
) -> None:
    (tmp_path / "audit.db").write_bytes(b"not a database, " * 100)
    with pytest.raises(store.StoreError, match="legacy audit file"):
        store.record_audit("a@b.example", "pause", {}, "ok")
    (tmp_path / "audit.db").unlink()  # moved aside: the store goes on without it
    store.record_audit("a@b.example", "pause", {}, "ok")
    assert len(store.audit_entries()) == 1


def test_failures_are_store_errors_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "s3cret-pw"
    url = f"postgresql://console:{secret}@127.0.0.1:{free_port()}/console"  # nothing listens
    monkeypatch.setenv(URL_ENV, url)
    store.reset()
    with pytest.raises(store.StoreError) as raised:
        store.record_audit("a@b.example", "pause", {}, "ok")
    assert secret not in str(raised.value) and secret not in caplog.text
    assert store.describe() == "the console database (PostgreSQL at 127.0.0.1:{}/console)".format(
        url.rsplit(":", 1)[1].split("/")[0])  # fmt: skip
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(URL_ENV, f"sqlite:///{blocker}/console.db")  # cannot be created
    with pytest.raises(store.StoreError):
        store.audit_entries()
    monkeypatch.setenv(URL_ENV, f"mysql://root:{secret}@db/x")
    with pytest.raises(store.StoreError, match="SQLite or PostgreSQL") as raised:
        store.audit_entries()
    assert secret not in str(raised.value)
    store.reset()


# --- recovery jobs ---------------------------------------------------------------------------


def test_a_replays_end_is_recorded_once_counted_and_followed_until_known(
    store_url: str,
) -> None:
    job_id = new_job()
    assert store.claim_job("worker-a", 30) is not None
    assert store.record_outcome(job_id, "worker-a", "msg_1", "queued", attempt=4)
    assert store.record_outcome(job_id, "worker-a", "msg_2", "already_pending", attempt=5)
    assert store.record_outcome(job_id, "worker-a", "msg_3", "failed", "InternalServerError")
    # The job follows what it sent (not what Envoy refused) until each attempt has ended.
    following = store.unsettled(job_id)
    assert [(m["message_id"], m["attempt"]) for m in following] == [("msg_1", 4), ("msg_2", 5)]
    assert following[0]["done_at"].tzinfo == UTC
    assert store.record_result(job_id, "worker-a", "msg_1", "delivered", 200, "delivered (200)")
    assert not store.record_result(job_id, "worker-a", "msg_1", "failed_again")  # once only
    assert not store.record_result(job_id, "worker-b", "msg_2", "delivered")  # not its job
    assert store.record_result(job_id, "worker-a", "msg_2", "failed_again", 503, "failed again")
    assert store.unsettled(job_id) == []
    with pytest.raises(ValueError):
        store.record_result(job_id, "worker-a", "msg_4", "queued")
    job = store.job(job_id)
    assert job is not None
    assert (job["delivered"], job["failed_again"], job["unresolved"]) == (1, 1, 0)
    rows = {m["message_id"]: m for m in store.job_messages(job_id)}
    assert (rows["msg_1"]["result"], rows["msg_1"]["status_code"]) == ("delivered", 200)
    assert (rows["msg_2"]["result_detail"], rows["msg_4"]["outcome"]) == ("failed again", None)


def test_every_recorded_change_raises_its_organizations_stamp(store_url: str) -> None:
    assert (store.stamp("org_s"), store.stamp(None)) == (0, 0)
    store.record_audit("agent@broker.example", "pause", {"endpoint_id": "ep_1"}, "ok", None,
                       "org_s")  # fmt: skip
    assert (store.stamp("org_s"), store.stamp("org_t"), store.stamp(None)) == (1, 0, 0)
    job_id = new_job("org_s", MESSAGES[:1])
    assert store.claim_job("worker-a", 30) is not None
    assert store.record_outcome(job_id, "worker-a", "msg_1", "queued", attempt=4)
    assert store.record_result(job_id, "worker-a", "msg_1", "delivered", 200)
    assert store.finish_job(job_id, "worker-a", "finished")
    assert store.stamp("org_s") == 4
    # Replicas raising it at once each count (the row is made once, then raised in place).
    together(8, lambda i: store.bump("org_u"))
    assert store.stamp("org_u") == 8


def test_a_job_from_creation_to_its_end(store_url: str) -> None:
    job_id = new_job()
    created = store.job(job_id)
    assert created is not None and job_id.startswith("job_")
    assert (created["state"], created["total"], created["done"], created["lease_owner"]) == (
        "queued", 4, 0, None)  # fmt: skip
    assert created["filter"] == {"endpoint_id": "ep_1", "status": ["FAILED", "DEAD"]}
    assert created["created_at"].tzinfo == UTC and created["cancel_requested"] is False
    claimed = store.claim_job("worker-a", 30)
    assert claimed is not None and claimed["id"] == job_id and claimed["state"] == "running"
    assert claimed["lease_owner"] == "worker-a" and claimed["started_at"] is not None
    assert claimed["lease_until"] - claimed["heartbeat_at"] == timedelta(seconds=30)
    assert store.claim_job("worker-b", 30) is None  # held, and nothing else queued
    assert store.heartbeat(job_id, "worker-a", 60)
    assert not store.heartbeat(job_id, "worker-b", 60)
    assert store.next_messages(job_id, 10) == MESSAGES
    assert store.record_outcome(job_id, "worker-a", "msg_1", "queued")
    assert store.record_outcome(job_id, "worker-a", "msg_2", "already_pending")
    assert store.record_outcome(job_id, "worker-a", "msg_3", "failed", "InternalServerError")
    assert not store.record_outcome(job_id, "worker-a", "msg_3", "queued")  # once only
    store.note_rate_limited(job_id)
    assert store.next_messages(job_id, 10) == MESSAGES[3:]
    store.request_cancel(job_id)
    running = store.job(job_id)
    assert running is not None and (running["state"], running["cancel_requested"]) == (
        "running", True)  # fmt: skip
    assert not store.finish_job(job_id, "worker-b", "cancelled")
    assert store.finish_job(job_id, "worker-a", "cancelled")
    ended = store.job(job_id)
    assert ended is not None and ended["state"] == "cancelled" and ended["finished_at"]
    counts = {k: ended[k] for k in ("done", "queued", "already_pending", "failed", "rate_limited")}
    assert counts == {"done": 3, "queued": 1, "already_pending": 1, "failed": 1, "rate_limited": 1}
    assert not store.record_outcome(job_id, "worker-a", "msg_4", "queued")  # it has ended
    assert store.claim_job("worker-b", 30) is None


def test_cancelling_a_queued_job_ends_it_before_anyone_claims_it(store_url: str) -> None:
    job_id = new_job()
    store.request_cancel(job_id)
    ended = store.job(job_id)
    assert ended is not None and ended["state"] == "cancelled" and ended["finished_at"]
    assert store.claim_job("worker-a", 30) is None
    store.request_cancel("job_unknown")  # nothing to cancel, nothing to say
    assert store.job("job_unknown") is None


def test_jobs_are_listed_newest_first_and_by_organization(store_url: str) -> None:
    first, second, other = new_job("org_1"), new_job("org_1"), new_job("org_2")
    assert [j["id"] for j in store.jobs()] == [other, second, first]
    assert [j["id"] for j in store.jobs("org_1")] == [second, first]
    assert [j["id"] for j in store.jobs(limit=1)] == [other]
    claimed = store.claim_job("worker-a", 30)
    assert claimed is not None and claimed["id"] == first  # the oldest waits least


def test_a_job_is_written_whole_and_checked(store_url: str) -> None:
    with pytest.raises(ValueError):
        new_job(messages=[("msg_1", "ep_1", 1), ("msg_1", "ep_1", 1)])
    assert store.jobs() == []
    empty = new_job(messages=[])
    assert store.next_messages(empty, 10) == []
    job_id = new_job()
    assert store.claim_job("worker-a", 30) is not None
    with pytest.raises(ValueError):
        store.record_outcome(job_id, "worker-a", "msg_1", "delivered")
    with pytest.raises(ValueError):
        store.finish_job(job_id, "worker-a", "running")


def test_claimers_racing_in_threads_never_share_a_job(store_url: str) -> None:
    created = {new_job() for _ in range(12)}

    def claim_all(i: int) -> list[str]:
        mine = []
        while (claimed := store.claim_job(f"worker-{i}", 60)) is not None:
            mine.append(claimed["id"])
        return mine

    per_worker = together(6, claim_all)
    claimed = [job_id for mine in per_worker for job_id in mine]
    assert sorted(claimed) == sorted(created)  # each job once, none left behind


CLAIMER = """
import sys
from components import store
store.engine()  # connected and upgraded before the race starts
print("ready", flush=True)
sys.stdin.readline()
mine = []
while (job := store.claim_job(sys.argv[1], 60)) is not None:
    mine.append(job["id"])
print(" ".join(mine) or "-")
"""


def test_claimers_racing_in_separate_processes_never_share_a_job(store_url: str) -> None:
    created = {new_job() for _ in range(20)}
    outputs = in_processes(CLAIMER, ["worker-1", "worker-2", "worker-3"])
    claimed = [job_id for out in outputs for job_id in out.split() if job_id != "-"]
    assert sorted(claimed) == sorted(created)


def test_a_lapsed_lease_is_taken_over_without_redoing_recorded_outcomes(store_url: str) -> None:
    job_id = new_job()
    first = store.claim_job("worker-a", 0.2)
    assert first is not None
    assert store.record_outcome(job_id, "worker-a", "msg_1", "queued")
    # worker-a stops heartbeating (it died); worker-b finds the job once the lease runs out.
    second = wait_for(lambda: store.claim_job("worker-b", 60), timeout=10, what="a takeover")
    assert second is not None and second["id"] == job_id and second["lease_owner"] == "worker-b"
    assert second["started_at"] == first["started_at"] and second["done"] == 1
    assert store.next_messages(job_id, 10) == MESSAGES[1:]  # msg_1 is not sent again
    assert not store.heartbeat(job_id, "worker-a", 60)  # the old owner learns it lost the job
    assert not store.record_outcome(job_id, "worker-a", "msg_2", "queued")  # and cannot write
    assert not store.finish_job(job_id, "worker-a", "finished")
    for message_id, _, _ in store.next_messages(job_id, 10):
        assert store.record_outcome(job_id, "worker-b", message_id, "already_pending")
    assert store.finish_job(job_id, "worker-b", "finished")
    ended = store.job(job_id)
    assert ended is not None and (ended["state"], ended["done"], ended["queued"]) == (
        "finished", 4, 1)  # fmt: skip


def test_the_same_outcome_recorded_at_once_counts_once(store_url: str) -> None:
    job_id = new_job()
    assert store.claim_job("worker-a", 60) is not None
    results = together(8, lambda i: store.record_outcome(job_id, "worker-a", "msg_2", "queued"))
    assert results.count(True) == 1
    ended = store.job(job_id)
    assert ended is not None and (ended["done"], ended["queued"]) == (1, 1)


def test_an_outcome_and_its_audit_row_are_written_together_or_not_at_all(store_url: str) -> None:
    job_id = new_job()
    assert store.claim_job("worker-a", 60) is not None
    row = store.audit_row("a@x", "replay", {"message_id": "msg_2", "job_id": job_id}, "ok")
    assert store.record_outcome(job_id, "worker-a", "msg_2", "queued", None, row)
    assert [r["message_id"] for r in store.audit_entries()] == ["msg_2"]
    broken = {**store.audit_row("a@x", "replay", {"message_id": "msg_3"}, "ok"), "actor": None}
    with pytest.raises(store.StoreError):  # the audit row fails: the outcome is not kept either
        store.record_outcome(job_id, "worker-a", "msg_3", "queued", None, broken)
    ended = store.job(job_id)
    assert ended is not None and (ended["done"], ended["queued"]) == (1, 1)
    assert store.record_outcome(job_id, "worker-a", "msg_3", "queued")  # still to be done


def test_each_engine_is_opened_as_the_store_expects(store_url: str) -> None:
    if not store_url.startswith("sqlite"):
        assert store.engine().dialect.name == "postgresql"
        assert store.engine().url.drivername == "postgresql+psycopg"
        return
    with store.engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_the_default_is_a_sqlite_file_under_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.setenv("ENVOY_AUDIT_DB", str(tmp_path / "audit.db"))
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    store.reset()
    try:
        assert store.database_url() == "sqlite:///data/console.db"
        store.record_audit("a@b.example", "pause", {}, "ok")
        assert (tmp_path / "data" / "console.db").is_file()
        assert store.describe() == "the console database (SQLite file data/console.db)"
    finally:
        store.reset()


def test_the_database_url_is_read_from_a_secrets_file_that_appears_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no secrets file, the settings do not ask Streamlit (it looks again under a lock
    shared by every session, and raises); a file put there later is read all the same."""
    import streamlit as st

    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(st.secrets, "_secrets", None)  # what was read before is put back after
    parse, looks = type(st.secrets)._parse, []

    def counted(self: Any) -> Any:
        looks.append(1)
        return parse(self)

    monkeypatch.setattr(type(st.secrets), "_parse", counted)
    assert secrets_table("console") == {} and secrets_table("auth") == {}
    assert looks == []  # Streamlit was not asked
    (tmp_path / ".streamlit").mkdir()
    url = f"sqlite:///{tmp_path / 'from-secrets.db'}"
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'[console]\ndatabase_url = "{url}"\n')
    assert store.database_url() == url


# --- audit by load ----------------------------------------------------------------------------


def test_a_loads_audit_rows_are_found_by_load_or_by_one_of_its_messages(store_url: str) -> None:
    org = "org_a"
    store.record_audit("a@x", "replay", {"message_id": "msg_1", "load_id": "load_1"}, "ok",
                       organization_id=org)  # fmt: skip
    store.record_audit("a@x", "replay", {"message_id": "msg_2", "job_id": "job_9"}, "ok",
                       organization_id=org)  # fmt: skip
    store.record_audit("a@x", "replay", {"message_id": "msg_3"}, "ok", organization_id=org)
    store.record_audit("a@x", "replay", {"message_id": "msg_2"}, "ok", organization_id="org_b")
    many = [f"msg_{n}" for n in range(4, 1300)] + ["msg_2"]  # more than one query's chunk
    rows = store.audit_for_load(org, "load_1", many)
    assert [(r["message_id"], r["load_id"]) for r in rows] == [("msg_1", "load_1"), ("msg_2", None)]


def test_the_migration_fills_in_the_subjects_of_records_written_before_it(store_url: str) -> None:
    with store.engine().begin() as conn:
        command.downgrade(alembic_config(conn), "r0001")
        conn.execute(
            sa.text(
                "INSERT INTO audit (at, actor, action, target, outcome, organization_id) VALUES "
                "(CURRENT_TIMESTAMP, 'a@x', 'replay', :t, 'ok', 'org_a'), "
                "(CURRENT_TIMESTAMP, 'a@x', 'pause', 'not json', 'ok', 'org_a')"
            ),
            {"t": json.dumps({"message_id": "msg_7", "load_id": "load_7"})},
        )
    store.reset()  # a new process: upgrades to head on first use
    rows = store.audit_for_load("org_a", "load_7", [])
    assert [(r["message_id"], r["load_id"], r["action"]) for r in rows] == [
        ("msg_7", "load_7", "replay")
    ]
