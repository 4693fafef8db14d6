"""Kill the sandbox (SIGKILL) in the middle of a burst of deliveries, start it again on the same
database: every message ends SUCCEEDED or DEAD, none is lost, and none is sent after it
SUCCEEDED."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from envoy_api import EnvoyClient

from ..helpers import wait_for

pytestmark = pytest.mark.slow  # a sandbox process killed and restarted: make test, not test-fast

KEY = "envai_live_crash_test_key"


def start(db: Path) -> tuple[subprocess.Popen[str], str]:
    # Output to a file, not a pipe nobody drains (a full pipe would stall the server).
    log = db.with_suffix(f".{time.monotonic_ns()}.log")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "envoy_sandbox", "--port", "0", "--db", str(db), "--loads",
             "20", "--retry-scale", "0.002"],
            stdout=out, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "ENVOY_SANDBOX_API_KEY": KEY},
        )  # fmt: skip
    wait_for(lambda: "Demo API key" in log.read_text(), timeout=60, what="the sandbox banner")
    match = re.search(r"(http://127\.0\.0\.1:\d+/api/v1)", log.read_text())
    assert match
    return proc, match.group(1)


def test_sigkill_mid_burst_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    proc, base = start(db)
    try:
        root = base.removesuffix("/api/v1")
        client = EnvoyClient(base, api_key=KEY)
        ep = client.webhooks.create_endpoint(url=f"{root}/_sandbox/receivers/crash-ok",
                                             event_types=["load.created"])  # fmt: skip
        data = {"load_id": "load_00000000-0000-4000-8000-0000000000aa", "load_number": "CRASH-1"}
        emitted = 0
        # Paused, the endpoint holds the burst; resumed, all 150 go out at once and the kill
        # lands among them, however fast or busy the machine is (sent one by one, a fast
        # sender could finish each before the next was emitted).
        client.webhooks.update_endpoint(ep.id, status="PAUSED")
        with httpx.Client(base_url=root, headers={"X-API-Key": KEY}, timeout=10) as http:
            for _ in range(150):
                http.post("/_sandbox/events", json={"type": "load.created", "data": data})
                emitted += 1
        client.webhooks.update_endpoint(ep.id, status="ACTIVE")
        os.kill(proc.pid, signal.SIGKILL)  # deliveries are in flight now
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:  # a failure above must not leave the server running
            proc.kill()

    with sqlite3.connect(db) as conn:
        messages = [r[0] for r in conn.execute(
            "SELECT id FROM messages WHERE endpoint_id = ?", (ep.id,))]  # fmt: skip
        unfinished = conn.execute(
            "SELECT count(*) FROM attempts WHERE endpoint_id = ? AND status IN"
            " ('PENDING', 'SENDING')", (ep.id,)).fetchone()[0]  # fmt: skip
    assert len(messages) == emitted
    assert unfinished > 0, "the kill came after the burst: nothing was tested"

    proc2, base2 = start(db)  # a new port: the demo endpoint is pointed at it on start
    try:
        client2 = EnvoyClient(base2, api_key=KEY)

        def settled() -> bool:
            page = client2.webhooks.list_endpoint_attempts(
                ep.id, status=["PENDING", "SENDING", "FAILED"], page_size=1
            )
            # FAILED rows are history; what matters is no message left unfinished
            pending = client2.webhooks.list_endpoint_attempts(
                ep.id, status=["PENDING", "SENDING"], page_size=1
            ).pagination.total_count
            return page is not None and pending == 0

        wait_for(settled, timeout=90, interval=0.5, what="every message to settle")
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT message_id, attempt, status FROM attempts WHERE endpoint_id = ?"
                " ORDER BY message_id, attempt", (ep.id,)).fetchall()  # fmt: skip
        by_message: dict[str, list[tuple[int, str]]] = {}
        for message_id, attempt, status in rows:
            by_message.setdefault(message_id, []).append((attempt, status))
        assert set(by_message) == set(messages)  # none lost
        for message_id, attempts in by_message.items():
            statuses = [s for _, s in attempts]
            assert statuses[-1] in ("SUCCEEDED", "DEAD"), (message_id, statuses)
            if "SUCCEEDED" in statuses:  # nothing was sent after it succeeded
                assert statuses.index("SUCCEEDED") == len(statuses) - 1, statuses
    finally:
        proc2.send_signal(signal.SIGTERM)
        proc2.wait(timeout=15)
