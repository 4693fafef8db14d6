"""The store's tests run on both engines, each a real one: a SQLite file, and the session's
throwaway PostgreSQL server (tests/postgres.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from components import store
from components.store.db import URL_ENV
from components.store.legacy import LEGACY_ENV

from ..postgres import TIMINGS, PgServer


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty database of each engine, configured through the environment, with no legacy
    audit file unless the test writes one (at ``tmp_path / "audit.db"``)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'console.db'}"
    else:
        server: PgServer = request.getfixturevalue("postgres_server")
        url = server.url(server.create_database())
    monkeypatch.setenv(URL_ENV, url)
    monkeypatch.setenv(LEGACY_ENV, str(tmp_path / "audit.db"))
    store.reset()
    yield url
    store.reset()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in TIMINGS.items())
        terminalreporter.write_line(f"test PostgreSQL server: {parts}")
