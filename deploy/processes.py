"""The parts of a team deployment as local processes: a throwaway PostgreSQL server, and any
server started as a child process that answers on a health URL. ``deploy.team`` builds the
topology from them; the test suite's PostgreSQL is the same ``Postgres``."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def answers(url: str) -> bool:
    """Whether ``url`` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class Process:
    """A server in a child process, its output in a log file."""

    name: str
    args: Sequence[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False)

    def start(self, health: str | None = None, timeout: float = 120) -> Process:
        """Start it; with ``health``, return once that URL answers 200."""
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            list(self.args), env=self.env, cwd=self.cwd, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,  # Ctrl-C reaches us, not it
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        try:
            while health and not answers(health):
                if self.popen.poll() is not None:
                    raise RuntimeError(f"{self.name} exited ({self.popen.returncode}); "
                                       f"see {self.log_path}")  # fmt: skip
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not answer within {timeout:g} s; "
                                       f"see {self.log_path}")  # fmt: skip
                time.sleep(0.2)
        except BaseException:  # Ctrl-C included: nothing is left behind
            self.stop()
            raise
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: the process dies at once, as a crashed replica does."""
        if self.popen is not None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)
        self._close_log()

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, and SIGKILL if it has not exited within ``timeout``."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=30)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def pg_bindir() -> Path | None:
    """Debian's versioned folder (newest first); elsewhere, whatever pg_ctl is on PATH. Never
    /usr/local/bin symlinks, which a fresh machine does not have."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        return Path(max(found, key=_major)).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _major(initdb: str) -> int:
    version = Path(initdb).parts[-3]  # /usr/lib/postgresql/<version>/bin/initdb
    return int(version) if version.isdigit() else 0


def _run_pg(args: list[str], cwd: Path) -> None:
    """Run a PostgreSQL binary, as the postgres user when we are root (initdb refuses root)."""
    name = Path(args[0]).name
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr or done.stdout}")


@dataclass
class Postgres:
    """A PostgreSQL server in a throwaway folder (trust authentication, localhost only), from
    ``initdb`` to ``rm -rf``."""

    bindir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="console-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def _ctl(self) -> list[str]:
        return [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
                "-l", str(self.root / "log")]  # fmt: skip

    def start(self) -> Postgres:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        _run_pg([str(self.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                 "-N"], self.root)  # fmt: skip
        # fsync off: a throwaway server's durability is not what it is for.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run_pg([*self._ctl, "-o", options, "-w", "start"], self.root)
        return self

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg  # here: most users of this module never open a connection

        name = f"console_{uuid.uuid4().hex[:12]}"
        dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # a fresh name of ours, not user input
        return name

    def stop(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            _run_pg([*self._ctl, "-m", "fast", "-w", "stop"], self.root)
        shutil.rmtree(self.root, ignore_errors=True)
