"""Suite-wide rules: under CI a skipped test is a failure, so a missing dependency cannot pass."""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator

import pluggy
import pytest

from .hostile import serve  # noqa: F401 (a fixture for every layer)
from .postgres import postgres_server  # noqa: F401 (the store's and the replicas' tests)
from .sandboxes import Sandbox, make_sandbox


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which counts as a failure: {report.longrepr}"


@pytest.fixture(autouse=True)
def _no_warming_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests keep the attention board warm themselves (``warm.warm_once``): a thread in the test
    process would read whatever sandbox the environment names then, and eat injected faults."""
    monkeypatch.setenv("ENVOY_WARM", "0")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One seeded sandbox for the session (300 loads, fast retries), over real HTTP."""
    sb, close = make_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield sb
    close()


def pytest_sessionstart(session: pytest.Session) -> None:
    """A new run's fault matrix starts empty (in the main process, before any worker starts)."""
    if not hasattr(session.config, "workerinput"):
        from .app import test_fault_matrix

        shutil.rmtree(test_fault_matrix.CELLS, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault matrix when it ran."""
    from .app import test_fault_matrix

    table = test_fault_matrix.write_table()
    if table:
        terminalreporter.section("fault matrix")
        terminalreporter.write_line(table)
