"""Suite-wide rules: under CI a skipped test is a failure, so a missing dependency cannot pass."""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pluggy
import pytest

from .app import matrix
from .hostile import serve  # noqa: F401 (a fixture for every layer)
from .postgres import postgres_server  # noqa: F401 (the store's and the replicas' tests)

if TYPE_CHECKING:
    from .sandboxes import Sandbox

# This module is imported first, by every process, the xdist main process too: which runs no
# test, so the imports only tests need (the sandbox: FastAPI, SQLAlchemy; Streamlit and pandas)
# are made where they are used, not here, so as not to hold up the workers' start.


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
    monkeypatch.setenv("ENVOY_ALERTS_WORKER", "0")  # alert tests run rounds themselves


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One seeded sandbox for the session (300 loads, fast retries), over real HTTP."""
    from .sandboxes import make_sandbox

    sb, close = make_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield sb
    close()


# Tests that spend most of their time waiting (for retries to run out, for a deadline, for a
# process to die): about 45 s of waiting for 10 s of CPU. Sent out in collection order, every
# worker came to them at once and the cores stood half idle; as one unit of work, the biggest,
# they go out first, to one worker, and run one after another while the other workers keep both
# cores busy.
WAITING = (
    "tests/app/test_jobs.py::",
    "tests/app/test_audit.py::",
    "tests/app/test_shell.py::test_no_configuration_runs_on_the_embedded_sandbox",
    "tests/envoy_api/test_hostile_servers.py::",
    "tests/envoy_sandbox/test_headers.py::test_unsendable_stored_headers_fail_like_any_try",
    "tests/envoy_sandbox/test_sender_deadline.py::",
    "tests/envoy_sandbox/test_sender_fairness.py::",
)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``--dist loadgroup`` (the Makefile's), the waiting tests are one group. Done here
    by node id, in the main process: pytest 9 ignores the node id suffix that xdist's own
    ``xdist_group`` marker relies on, so the marker groups nothing."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class WaitingTogether(LoadGroupScheduling):  # type: ignore[misc]  # xdist is untyped
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(WAITING):
                return "waiting"
            scope: str = super()._split_scope(nodeid)
            return scope

    return WaitingTogether(config, log)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the collection imported (Streamlit, pandas, FastAPI, SQLAlchemy, the tests: over
    200,000 objects) lives as long as the process: frozen, Python's full collections stop walking
    it again each time (garbage collection took 2 to 3.5 s of CPU per xdist worker, about a
    quarter less frozen). What the tests make is collected as before."""
    gc.freeze()


def pytest_sessionstart(session: pytest.Session) -> None:
    """A new run's fault matrix starts empty (in the main process, before any worker starts)."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(matrix.CELLS, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault matrix when it ran."""
    table = matrix.write_table()
    if table:
        terminalreporter.section("fault matrix")
        terminalreporter.write_line(table)
