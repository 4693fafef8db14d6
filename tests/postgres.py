"""A throwaway PostgreSQL server for the session: initdb into a temporary folder (as the
``postgres`` system user when running as root, since initdb refuses root), started on a free
port, stopped at the end. Under CI a machine without PostgreSQL fails instead of skipping."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TIMINGS: dict[str, float] = {}  # shown in the terminal summary


@dataclass(frozen=True)
class PgServer:
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg  # here, not at the top: every process imports this module, few use it

        name = f"console_{uuid.uuid4().hex[:12]}"
        dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # a fresh name of ours, not user input
        return name


def _major(initdb: str) -> int:
    version = Path(initdb).parts[-3]  # /usr/lib/postgresql/<version>/bin/initdb
    return int(version) if version.isdigit() else 0


def pg_bindir() -> Path | None:
    """Debian's versioned folder (newest first); elsewhere, whatever pg_ctl is on PATH. Never
    /usr/local/bin symlinks, which a fresh machine does not have."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        return Path(max(found, key=_major)).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(args: list[str], cwd: Path) -> None:
    """Run a PostgreSQL binary, as the postgres user when we are root (initdb refuses root)."""
    name = Path(args[0]).name
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr or done.stdout}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    bindir = pg_bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="console-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port, started = root / "data", free_port(), time.monotonic()
    _run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-N"], root)
    # fsync off: a throwaway server's durability is not under test, its locking is.
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log")]
    try:
        _run([*pg_ctl, "-o", options, "-w", "start"], root)
        TIMINGS["initdb and start"] = time.monotonic() - started
        yield PgServer(port)
    finally:
        from components import store

        stopping = time.monotonic()
        store.reset()  # close our connections first: a fast stop would cut them anyway
        if (data / "postmaster.pid").exists():
            _run([*pg_ctl, "-m", "fast", "-w", "stop"], root)
        TIMINGS["stop"] = time.monotonic() - stopping
        shutil.rmtree(root, ignore_errors=True)
