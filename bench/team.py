"""How many agents one console serves: the Locust agents of ``bench.agents`` against one console
process, at several team sizes, measured side by side in one run.

``run_team`` starts the console as a team runs it (``streamlit run app.py`` talking over HTTP to
the Envoy sandbox, which runs in a process of its own, as the real API would), reads what the
agents open from the sandbox's database, then runs each team size in
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
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from deploy.processes import Process, free_port
from deploy.team import SANDBOX_KEY

ROOT = Path(__file__).resolve().parents[1]
TEAM_TARGETS = {30: 1.0, 50: 2.0}  # concurrent agents → step p95 in seconds
RSS_AFTER_RATIO = 1.1  # the console's RSS after all agents left ÷ before they came
# How long the console keeps a session whose websocket dropped (``server.disconnectedSessionTTL``).
SESSION_TTL = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"][
    "disconnectedSessionTTL"
]


@dataclass(frozen=True)
class Console:
    url: str
    pid: int
    db: Path


@contextmanager
def console(tmp: Path, loads: int = 1000) -> Iterator[Console]:
    """One console replica as a team runs it: the Envoy sandbox in a process of its own (seeded
    with ``loads`` loads before the console starts) and the console talking to it over HTTP."""
    db = tmp / "team-sandbox.db"
    sandbox_port, port = free_port(), free_port()
    sandbox = Process("sandbox", [sys.executable, "-m", "envoy_sandbox", "--port",
                                  str(sandbox_port), "--db", str(db), "--loads", str(loads)],
                      tmp / "team-sandbox.log", cwd=ROOT)  # fmt: skip
    base = {k: v for k, v in os.environ.items() if not k.startswith("ENVOY_")}
    env = {**base, "ENVOY_BASE_URL": f"http://127.0.0.1:{sandbox_port}/api/v1",
           "ENVOY_API_KEY": SANDBOX_KEY, "ENVOY_CONSOLE_DATABASE_URL": f"sqlite:///{tmp}/c.db",
           "ENVOY_JOB_WORKER": "0", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}  # fmt: skip
    server = Process("console", [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                                 "--server.port", str(port), "--server.headless", "true"],
                     tmp / "team-console.log", env=env, cwd=ROOT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        sandbox.start(f"http://127.0.0.1:{sandbox_port}/openapi.json", timeout=600)
        server.start(f"{url}/_stcore/health")
        assert server.popen is not None
        yield Console(url, server.popen.pid, db)
    finally:
        server.stop()
        sandbox.stop()


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


def _agents_args(con: Console, tmp: Path, args: tuple[str, ...], seconds: float) -> list[str]:
    spec = tmp / "targets.json"
    if not spec.exists() and "--warm" not in args:
        spec.write_text(json.dumps(targets(con.db)))
    if seconds:
        args = (*args, "--seconds", str(seconds))
    return [sys.executable, "-m", "bench.agents", "--host", con.url, "--targets", str(spec),
            "--server-pid", str(con.pid), *args]  # fmt: skip


def _summary(returncode: int, stdout: str, stderr: str) -> dict[str, Any]:
    if returncode != 0:
        raise RuntimeError(f"bench.agents failed: {stderr[-2000:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result


def agents(con: Console, tmp: Path, *args: str, seconds: float = 0.0) -> dict[str, Any]:
    """One run of ``bench.agents`` (for ``seconds``, when it runs agents) in a process of its
    own; its JSON summary."""
    out = subprocess.run(_agents_args(con, tmp, args, seconds), cwd=ROOT, capture_output=True,
                         text=True, timeout=seconds + 600, check=False)  # fmt: skip
    return _summary(out.returncode, out.stdout, out.stderr)


def sessions(con: Console) -> int:
    """The WebSocket sessions open on the console (its established connections)."""
    port = int(con.url.rsplit(":", 1)[1])
    found = psutil.Process(con.pid).net_connections(kind="tcp")
    return sum(1 for c in found if c.status == "ESTABLISHED" and c.laddr and c.laddr.port == port)


def agents_and_clicks(
    con: Console, tmp: Path, n: int, seconds: float, rounds: int, one_button: str, soak: bool
) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """``n`` agents for ``seconds`` (with ``soak``, coming and going) and, once they are all
    connected, Chromium's clicks on the same console (and on the one-button app, in the same
    rounds): both summaries. The clicks must end while the agents still work."""
    out, err = tmp / f"agents-{n}.json", tmp / f"agents-{n}.log"  # files: a pipe could fill
    args = ("--agents", str(n), *(["--soak"] if soak else []))
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(_agents_args(con, tmp, args, seconds), cwd=ROOT, stdout=stdout,
                                stderr=stderr, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while sessions(con) < n and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.5)
            browser = clicks(con, tmp, rounds, False, one_button)
            if proc.poll() is not None:
                raise RuntimeError(f"the {n} agents stopped before the clicks ended")
            proc.wait(timeout=seconds + 600)
        finally:
            if proc.poll() is None:
                proc.kill()
    return _summary(proc.returncode, out.read_text(), err.read_text()), browser


def clicks(con: Console, tmp: Path, repeat: int, first: bool,
           one_button: str | None = None) -> dict[str, list[float]]:  # fmt: skip
    """``bench.clicks`` in Chromium, in a process of its own."""
    spec = tmp / "targets.json"
    if not spec.exists():
        spec.write_text(json.dumps(targets(con.db)))
    return _clicks("--host", con.url, "--targets", str(spec), "--repeat", str(repeat),
                   *(["--first"] if first else []),
                   *(["--one-button", one_button] if one_button else []))  # fmt: skip


def _clicks(*args: str) -> dict[str, list[float]]:
    """``python -m bench.clicks`` with ``args``: its JSON of step → seconds."""
    out = subprocess.run([sys.executable, "-m", "bench.clicks", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"bench.clicks failed: {out.stderr[-2000:]}")
    result: dict[str, list[float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@contextmanager
def streamlit_app(tmp: Path, name: str, code: str) -> Iterator[str]:
    """A Streamlit script of its own (Streamlit's floor, for the ratios), served; its URL."""
    script = tmp / f"{name}.py"
    script.write_text(code)
    port = free_port()
    server = Process(name, [sys.executable, "-m", "streamlit", "run", str(script),
                            "--server.port", str(port), "--server.headless", "true",
                            "--browser.gatherUsageStats", "false"],
                     tmp / f"{name}.log", cwd=tmp)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    server.start(f"{url}/_stcore/health")
    try:
        yield url
    finally:
        server.stop()


def streamlit_floor(tmp: Path, repeat: int) -> dict[str, list[float]]:
    """``bench.clicks --floor``: a one-line app's first visit."""
    from bench.clicks import ONE_LINE_APP

    with streamlit_app(tmp, "one_line", ONE_LINE_APP) as line:
        return _clicks("--host", line, "--floor", "--repeat", str(repeat))


def warm(con: Console, tmp: Path, seconds: float) -> tuple[float, float]:
    """The first session fills the caches; one session then opens every target once, as a day's
    first agent sees the data all the others will open (the RSS before the agents came is a
    console that has held that data: what they leave behind is theirs, not the data's); then one
    agent's morning warms the pages. Returns the first visit's seconds and the console's RSS
    (MB) before the tour."""
    first: float = agents(con, tmp, "--warm")["first_visit_s"]
    fresh = server_rss_mb(con)
    agents(con, tmp, "--tour")
    agents(con, tmp, "--agents", "1", seconds=seconds)
    return first, fresh


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


def server_rss_mb(con: Console) -> float:
    """The console's resident memory (with any children), in MB."""
    proc = psutil.Process(con.pid)
    rss: int = sum(p.memory_info().rss for p in [proc, *proc.children(True)])
    return rss / 2**20


def after_agents_left(con: Console, tmp: Path, before: float, bound: float) -> tuple[float, float]:
    """The console's RSS once every agent has gone and their sessions have been let go, and the
    seconds that took. Streamlit keeps a disconnected session for ``SESSION_TTL`` seconds in
    case its browser comes back, and drops expired ones when another session comes or goes: a
    new visit every few seconds (as the next agent's morning would) until the RSS is back within
    the target, or ``bound`` seconds have passed."""
    started = time.monotonic()
    while sessions(con) and time.monotonic() - started < 60:
        time.sleep(0.5)
    rss = server_rss_mb(con)
    while rss > before * RSS_AFTER_RATIO and time.monotonic() - started < bound:
        time.sleep(5)
        agents(con, tmp, "--warm")
        rss = server_rss_mb(con)
    return rss, time.monotonic() - started


def two_replicas(
    tmp: Path, n: int, seconds: float, loads: int, warm_seconds: float
) -> dict[str, Any]:
    """``n`` agents through the proxy on two replicas for ``seconds``: the team's deployment
    (HAProxy running deploy/haproxy.cfg, replicas started by deploy/start-console, one
    PostgreSQL, the sandbox in a process of its own), its third replica taken out on the proxy
    and stopped; no sign-in (anonymous agents). Both replicas are warmed first, by 4 agents for
    ``warm_seconds``."""
    from deploy.team import Team

    root = tmp / "two-replicas"
    root.mkdir()
    team = Team(root, loads=loads, retry_scale=0.01, sign_in=False).start()
    try:
        team.set_state("c", "maint")
        team.replicas["c"].stop()
        # The agents' step times are both replicas'; their CPU and RSS figures are replica a's.
        replica_a = team.replicas["a"].popen
        assert replica_a is not None
        via_proxy = Console(team.url, replica_a.pid, root / "sandbox.db")
        agents(via_proxy, root, "--agents", "4", seconds=warm_seconds)
        return agents(via_proxy, root, "--agents", str(n), seconds=seconds)
    finally:
        team.stop()


def first_visit_in_browser(tmp: Path, loads: int) -> float:
    """A new console's first page in Chromium, from the server's first answer (the sandbox's
    database is already seeded, as after the first run)."""
    with console(tmp, loads) as con:
        return clicks(con, tmp, 0, True)["first visit"][0]


def run_team(sizes: list[int], seconds: float, *, soak: float = 0, idle: int = 0,
             loads: int = 1000, warm_seconds: float, click_rounds: int = 0,
             clicks_at: int = 30, wide: int = 0, settle: float) -> dict[str, Any]:  # fmt: skip
    """Each team size for ``seconds``; Chromium clicks while ``clicks_at`` agents work. With
    ``soak``, the ``clicks_at`` level is the soak: that many agents coming and going for
    ``soak`` seconds, the clicks among them. With ``wide``, that many agents on two replicas
    behind the proxy, after the single console is stopped. ``settle`` bounds the wait for the
    agents' sessions to be let go (``after_agents_left``)."""
    from bench.clicks import ONE_BUTTON_APP

    browser: dict[str, list[float]] = {}
    levels = []
    soak_result = None
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        with ExitStack() as stack:  # the console and, with clicks, Streamlit's one-button app
            con = stack.enter_context(console(tmp, loads))
            bare = (stack.enter_context(streamlit_app(tmp, "one_button", ONE_BUTTON_APP))
                    if click_rounds else "")  # fmt: skip
            first_visit, fresh = warm(con, tmp, warm_seconds)
            if click_rounds:  # new browsers on the running console, and Streamlit's floor
                visits = min(3, click_rounds)  # the smoke run's one round: one of each
                browser["first visit"] = [clicks(con, tmp, 0, True)["first visit"][0]
                                          for _ in range(visits)]  # fmt: skip
                browser.update(streamlit_floor(tmp, visits + 2))
            rss_before = server_rss_mb(con)
            for n in sizes:
                if click_rounds and n == clicks_at:
                    # Longer, so that the agents are still at work when the clicks end.
                    took = soak or (seconds + 12 * click_rounds)
                    level, busy = agents_and_clicks(con, tmp, n, took, click_rounds, bare,
                                                    bool(soak))  # fmt: skip
                    browser.update(busy)
                    soak_result = level if soak else None
                else:
                    level = agents(con, tmp, "--agents", str(n), seconds=seconds)
                levels.append(level)
            idle_result = agents(con, tmp, "--idle", str(idle)) if idle else None
            rss_after, waited = after_agents_left(con, tmp, rss_before, settle)
        if click_rounds:  # the same database, seeded: a new server's first page
            browser["cold start"] = [first_visit_in_browser(tmp, loads)]
        wide_result = two_replicas(tmp, wide, seconds, loads, warm_seconds) if wide else None
    return {"levels": levels, "idle": idle_result, "soak": soak_result,
            "first_visit_s": first_visit, "clicks": browser, "wide": wide_result,
            "rss": {"before": rss_before, "after": rss_after, "waited_s": waited,
                    "fresh": fresh}}  # fmt: skip
