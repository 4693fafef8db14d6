"""Seed determinism and scale, and the ``envoy-sandbox`` command line."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from envoy_sandbox import SandboxSettings
from envoy_sandbox.db import Database
from envoy_sandbox.seed import seed

from ..helpers import wait_for

ANCHOR = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def dump(path: Path) -> list[tuple[Any, ...]]:
    db = Database(str(path))
    conn = db.connect()
    rows = []
    for table in ("loads", "calls", "verifications", "escalations", "attempts"):
        rows += [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY id")]
    rows += [tuple(r)[:8] for r in conn.execute("SELECT * FROM endpoints ORDER BY id")]
    db.close()
    return rows


def test_seed_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        db = Database(str(tmp_path / f"{name}.db"))
        seed(db, SandboxSettings(db_path="unused", loads=200, seed=7), anchor=ANCHOR)
        db.close()
    a, b = dump(tmp_path / "a.db"), dump(tmp_path / "b.db")
    assert a == b and len(a) > 500
    db = Database(str(tmp_path / "c.db"))
    seed(db, SandboxSettings(db_path="unused", loads=200, seed=8), anchor=ANCHOR)
    db.close()
    assert dump(tmp_path / "c.db") != a


def test_scheduled_calls_lie_ahead(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "s.db"))
    seed(db, SandboxSettings(db_path="unused", loads=300, seed=5), anchor=ANCHOR)
    rows = db.connect().execute(
        "SELECT json_extract(body, '$.status'), call_time FROM calls").fetchall()  # fmt: skip
    db.close()
    scheduled = [t for status, t in rows if status == "SCHEDULED"]
    assert scheduled and all(t > "2026-11-01T12:00:00" for t in scheduled)
    assert any(t < "2026-11-01T12:00:00" for status, t in rows if status == "COMPLETED")


SEED_SCRIPT = """
import sys
from datetime import datetime
from envoy_sandbox import SandboxSettings
from envoy_sandbox.db import Database
from envoy_sandbox.seed import seed
db = Database(sys.argv[1])
seed(db, SandboxSettings(db_path="unused", loads=int(sys.argv[2])),
     anchor=datetime.fromisoformat(sys.argv[3]))
print(db.connect().execute("SELECT count(*) FROM loads").fetchone()[0])
"""


def _seed_cpu_seconds(path: Path, loads: int) -> tuple[float, int]:
    """CPU seconds (user and system, the seeding process and its worker pool) to seed ``loads``.

    CPU time, not wall time: another busy process on the machine stretches the wall clock of
    both sizes unevenly, but not the work each one does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", SEED_SCRIPT, str(path), str(loads), ANCHOR.isoformat()],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, int(done.stdout.strip())


@pytest.mark.slow
def test_hundred_thousand_loads_seed_in_linear_time(tmp_path: Path) -> None:
    """Measured side by side: ten times the loads costs about ten times the CPU, not more
    (each size in a process of its own, so its start-up is counted in both)."""
    small, small_count = _seed_cpu_seconds(tmp_path / "small.db", 10_000)
    big, count = _seed_cpu_seconds(tmp_path / "big.db", 100_000)
    assert small_count == 11_000 and count == 110_000  # plus 10 % in the second organization
    assert big < 15 * small, f"100,000 loads took {big:.1f} CPU s, 10,000 took {small:.1f}"


def test_cli_serves_the_seeded_demo(tmp_path: Path) -> None:
    env = {**os.environ, "ENVOY_SANDBOX_API_KEY": "envai_live_cli_test_key"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "envoy_sandbox", "--port", "0", "--db", str(tmp_path / "c.db"),
         "--loads", "50", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    try:
        stdout = proc.stdout
        assert stdout is not None
        lines: list[str] = []

        def banner_seen() -> bool:
            lines.append(stdout.readline())
            return "API key" in lines[-1]

        wait_for(banner_seen, timeout=60, what="the CLI banner")
        text = "".join(lines)
        match = re.search(r"(http://127\.0\.0\.1:\d+/api/v1)", text)
        assert match, text
        assert "envai_live_cli_test_key" in text
        base = match.group(1)
        r = wait_for(
            lambda: _get(f"{base}/loads/tab-counts", "envai_live_cli_test_key"), timeout=30
        )
        assert r is not None
        assert r.json()["all"] == 50
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _get(url: str, key: str) -> httpx.Response | None:
    try:
        r = httpx.get(url, headers={"X-API-Key": key}, timeout=2)
    except httpx.HTTPError:
        return None
    return r if r.status_code == 200 else None
