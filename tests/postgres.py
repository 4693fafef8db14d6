"""A throwaway PostgreSQL server for the session (``deploy.processes.Postgres``, the one ``make
team`` starts too): initdb into a temporary folder (as the ``postgres`` system user when running
as root, since initdb refuses root), started on a free port, stopped at the end. Under CI a
machine without PostgreSQL fails instead of skipping."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from deploy.processes import Postgres, free_port, pg_bindir

TIMINGS: dict[str, float] = {}  # shown in the terminal summary
PgServer = Postgres
__all__ = ["TIMINGS", "PgServer", "free_port", "postgres_server"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    bindir = pg_bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    started = time.monotonic()
    server = Postgres(bindir).start()
    TIMINGS["initdb and start"] = time.monotonic() - started
    try:
        yield server
    finally:
        from components import store

        stopping = time.monotonic()
        store.reset()  # close our connections first: a fast stop would cut them anyway
        server.stop()
        TIMINGS["stop"] = time.monotonic() - stopping
