"""``make team`` (``python -m deploy.team``): starts the whole team topology, says where and how
to sign in, and stops everything, its throwaway folder included, on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from deploy.processes import free_port
from deploy.team import ADMIN, READER

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_make_team_starts_prints_the_logins_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "team.out").open("w+")
    started = time.monotonic()
    team = subprocess.Popen(
        [sys.executable, "-m", "deploy.team", "--port", str(port), "--loads", "200"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while "Ctrl-C stops everything" not in (said := (tmp_path / "team.out").read_text()):
            assert team.poll() is None, said
            assert time.monotonic() < deadline, said
            time.sleep(0.2)
        ready = time.monotonic() - started
        assert f"Open http://127.0.0.1:{port}" in said
        assert ADMIN.email in said and READER.email in said
        children = psutil.Process(team.pid).children(recursive=True)
        assert len(children) >= 6  # proxy, three replicas, sandbox, provider (and PostgreSQL)
        answer = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True, timeout=30)
        assert answer.status_code == 200
        assert "console_replica" in answer.cookies  # through the proxy, pinned to a replica
        folder = Path(re.search(r"topology in (\S+) ", said).group(1))  # type: ignore[union-attr]
        assert folder.is_dir()

        os.killpg(team.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches its process group
        try:
            code = team.wait(timeout=90)
        except subprocess.TimeoutExpired:  # say what it was still doing, and who is left
            pytest.fail(
                f"still stopping after 90 s; alive: {running(children)}\n{said_now(tmp_path)}"
            )
        assert code == 0
        said = (tmp_path / "team.out").read_text()
        assert said.rstrip().endswith("Stopped."), said
        _, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, [p.cmdline() for p in alive]
        assert not folder.exists()
        print(f"make team: ready in {ready:.1f} s, stopped cleanly")
    finally:
        if team.poll() is None:
            os.killpg(team.pid, signal.SIGKILL)
        log.close()


def said_now(tmp_path: Path) -> str:
    return (tmp_path / "team.out").read_text()[-3000:]


def running(processes: list[psutil.Process]) -> list[str]:
    """The command lines of those still running."""
    left = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(" ".join(p.cmdline()[:4]))
        except psutil.Error:
            pass
    return left
