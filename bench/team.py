"""How many agents one console serves: the Locust agents of ``bench.agents`` against one console
process on its embedded sandbox, at several team sizes, measured side by side in one run.

``run_team`` starts the console as ``make run`` does (``streamlit run app.py``, nothing
configured), reads what the agents open from the sandbox's database, then runs each team size in
a process of its own (Locust patches the standard library for gevent) and measures the server's
CPU and RSS with it. It returns the rows for ``bench/RESULTS.md`` and a chart of p95 against team
size.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
TEAM_TARGETS = {30: 1.0, 50: 2.0}  # concurrent agents → step p95 in seconds


@dataclass(frozen=True)
class Console:
    url: str
    pid: int
    db: Path


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def console(tmp: Path, loads: int = 1000) -> Iterator[Console]:
    """The console on its embedded sandbox, started once and warmed by a first session."""
    port = _free_port()
    db = tmp / "team-sandbox.db"
    env = {**os.environ, "ENVOY_SANDBOX_DB": str(db), "ENVOY_SANDBOX_LOADS": str(loads),
           "ENVOY_SANDBOX_TICKER": "0", "ENVOY_CONSOLE_DATABASE_URL": f"sqlite:///{tmp}/c.db",
           "ENVOY_JOB_WORKER": "0"}  # fmt: skip
    for name in ("ENVOY_BASE_URL", "ENVOY_API_KEY", "ENVOY_BEARER_TOKEN"):
        env.pop(name, None)
    log = open(tmp / "team-console.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
         str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the console did not start; see {tmp}/team-console.log")
            time.sleep(0.3)
        yield Console(url, proc.pid, db)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def targets(db: Path) -> dict[str, Any]:
    """Loads to open, a failing endpoint and its DEAD messages, of the first organization."""
    conn = sqlite3.connect(db)
    try:
        org = conn.execute("SELECT id FROM organizations ORDER BY id LIMIT 1").fetchone()[0]
        newest = "SELECT id FROM loads WHERE org_id = ? ORDER BY updated_at DESC LIMIT 200"
        loads = [r[0] for r in conn.execute(newest, (org,))]
        endpoint = conn.execute(
            "SELECT id FROM endpoints WHERE org_id = ? AND url LIKE '%/down'", (org,)
        ).fetchone()[0]
        dead = [r[0] for r in conn.execute(
            "SELECT DISTINCT message_id FROM attempts WHERE endpoint_id = ? AND status = 'DEAD'"
            " LIMIT 200", (endpoint,))]  # fmt: skip
    finally:
        conn.close()
    return {"load_ids": loads, "endpoint_id": endpoint, "message_ids": dead}


def agents(con: Console, tmp: Path, *args: str, seconds: float = 0.0) -> dict[str, Any]:
    """One run of ``bench.agents`` (for ``seconds``, when it runs agents) in a process of its
    own; its JSON summary."""
    spec = tmp / "targets.json"
    if not spec.exists() and "--warm" not in args:
        spec.write_text(json.dumps(targets(con.db)))
    if seconds:
        args = (*args, "--seconds", str(seconds))
    out = subprocess.run(
        [sys.executable, "-m", "bench.agents", "--host", con.url, "--targets", str(spec),
         "--server-pid", str(con.pid), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=seconds + 600, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"bench.agents failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def clicks(con: Console, tmp: Path, repeat: int, first: bool) -> dict[str, list[float]]:
    """``bench.clicks`` in Chromium, in a process of its own."""
    spec = tmp / "targets.json"
    if not spec.exists():
        spec.write_text(json.dumps(targets(con.db)))
    out = subprocess.run(
        [sys.executable, "-m", "bench.clicks", "--host", con.url, "--targets", str(spec),
         "--repeat", str(repeat), *(["--first"] if first else [])],
        cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"bench.clicks failed: {out.stderr[-2000:]}")
    result: dict[str, list[float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def warm(con: Console, tmp: Path, seconds: float) -> float:
    """The first session starts the embedded sandbox (seeding it) and fills the caches; then one
    agent's morning warms the pages. Returns the first visit's seconds."""
    first: float = agents(con, tmp, "--warm")["first_visit_s"]
    agents(con, tmp, "--agents", "1", seconds=seconds)
    return first


def chart(levels: list[dict[str, Any]], path: Path) -> None:
    """p95 (and p50) of a step against the team size, as an SVG."""
    import altair as alt
    import pandas as pd
    import vl_convert as vlc

    rows = [{"Agents": lv["agents"], "ms": lv["total"][k], "Percentile": k[:3]}
            for lv in levels for k in ("p50_ms", "p95_ms")]  # fmt: skip
    lines = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("Agents:Q", title="Concurrent agents"),
            y=alt.Y("ms:Q", title="Step time, rerun to script finished (ms)"),
            color=alt.Color("Percentile:N"),
        )
    )
    goals = pd.DataFrame([{"Agents": n, "ms": p95 * 1000, "Target": f"p95 target at {n}"}
                          for n, p95 in TEAM_TARGETS.items()])  # fmt: skip
    marks = (
        alt.Chart(goals)
        .mark_point(shape="cross", size=160, color="#c62828")
        .encode(x="Agents:Q", y="ms:Q", tooltip=["Target:N"])
    )
    spec = (lines + marks).properties(
        width=480, height=260, title="One console replica, 2 cores (crosses: p95 targets)"
    )
    path.write_text(vlc.vegalite_to_svg(spec.to_json()))


def first_visit_in_browser(tmp: Path, loads: int) -> float:
    """A new console's first page in Chromium, from the server's first answer: the embedded
    sandbox's start is part of it (its database is already seeded, as after the first run)."""
    with console(tmp, loads) as con:
        return clicks(con, tmp, 0, True)["first visit"][0]


def run_team(sizes: list[int], seconds: float, *, soak: float = 0, idle: int = 0,
             loads: int = 1000, warm_seconds: float = 25,
             click_rounds: int = 0) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        with console(tmp, loads) as con:
            first_visit = warm(con, tmp, warm_seconds)
            browser = clicks(con, tmp, click_rounds, False) if click_rounds else {}
            levels = [agents(con, tmp, "--agents", str(n), seconds=seconds)
                      for n in sizes]  # fmt: skip
            idle_result = agents(con, tmp, "--idle", str(idle)) if idle else None
            soak_result = (agents(con, tmp, "--agents", str(max(sizes)), "--soak", seconds=soak)
                           if soak else None)  # fmt: skip
        if click_rounds:  # the same database, seeded: a second server's first visit
            browser["first visit"] = [first_visit_in_browser(tmp, loads)]
    return {"levels": levels, "idle": idle_result, "soak": soak_result,
            "first_visit_s": first_visit, "clicks": browser}  # fmt: skip
