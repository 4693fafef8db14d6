"""Seed determinism and scale, and the ``envoy-sandbox`` command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
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


def _seed_seconds(path: Path, loads: int) -> tuple[float, int]:
    db = Database(str(path))
    started = time.perf_counter()
    seed(db, SandboxSettings(db_path="unused", loads=loads), anchor=ANCHOR)
    elapsed = time.perf_counter() - started
    count = db.connect().execute("SELECT count(*) FROM loads").fetchone()[0]
    db.close()
    return elapsed, int(count)


@pytest.mark.slow
def test_hundred_thousand_loads_seed_in_linear_time(tmp_path: Path) -> None:
    """Measured side by side (a shared machine's absolute times mean little): ten times the
    loads takes about ten times as long, not more. Alone here it takes about 30 s."""
    small, small_count = _seed_seconds(tmp_path / "small.db", 10_000)
    big, count = _seed_seconds(tmp_path / "big.db", 100_000)
    assert small_count == 11_000 and count == 110_000  # plus 10 % in the second organization
    assert big < 15 * small, f"100,000 loads took {big:.1f} s, 10,000 took {small:.1f} s"


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
