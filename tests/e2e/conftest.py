"""Real-browser tests: Debian's Chromium driven by Playwright against ``streamlit run app.py``.

The console runs as a separate process configured to a sandbox this test process owns, so tests
can inject faults and steer the demo receivers. Each test leaves a screenshot in
test-artifacts/e2e; a failing one also leaves the page's text.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from ..sandboxes import Sandbox

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout:g} s")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def console(sandbox: Sandbox) -> Iterator[str]:
    """``streamlit run app.py`` on a free port, configured to the test sandbox."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "ENVOY_BASE_URL": sandbox.base_url,
        "ENVOY_API_KEY": sandbox.api_key,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    env.pop("ENVOY_BEARER_TOKEN", None)
    env.pop("ENVOY_ORGANIZATION_ID", None)
    log = (ARTIFACTS / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/_stcore/health")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    # Secret hygiene in the server's own log.
    assert sandbox.api_key not in (ARTIFACTS / "streamlit.log").read_text()


@pytest.fixture
def page(browser: Browser, console: str, sandbox: Sandbox, request: pytest.FixtureRequest
         ) -> Iterator[Page]:  # fmt: skip
    sandbox.clear_faults()
    context = browser.new_context(viewport={"width": 1600, "height": 1300}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    name = request.node.name
    try:
        # Secret hygiene in the browser: the page never holds the API key.
        assert sandbox.api_key not in pg.content(), "the API key reached the page"
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            (ARTIFACTS / f"{name}.txt").write_text(pg.inner_text("body"))
    finally:
        context.close()
        sandbox.clear_faults()


def settle(pg: Page, timeout: float = 30.0) -> None:
    """Wait until the script run is over (Streamlit's running indicator gone for a moment), so
    typing is not lost to a rerun that redraws the form."""
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        running = pg.locator('[data-testid="stStatusWidget"]').count() > 0
        now = time.monotonic()
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since > 0.5:
            return
        time.sleep(0.1)
    raise AssertionError("the app kept running")


def doc_shot(pg: Page, name: str) -> None:
    """Refresh the README's screenshot of a page when asked (make screenshots)."""
    if os.environ.get("UPDATE_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        settle(pg)
        pg.wait_for_timeout(500)  # let charts finish drawing
        pg.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)


def grid(pg: Page, index: int = 0) -> list[list[str]]:
    """The rows a dataframe shows, read from its accessible grid (header row left out)."""
    frame = pg.locator('[data-testid="stDataFrame"]').nth(index)
    frame.locator('[role="gridcell"]').first.wait_for(state="attached")
    rows: list[list[str]] = frame.evaluate(
        """el => Array.from(el.querySelectorAll('[role=row]'))
              .map(r => Array.from(r.querySelectorAll('[role=gridcell]')).map(c => c.innerText))
              .filter(cells => cells.length > 0)"""
    )
    return rows


def first_column(pg: Page, index: int = 0) -> list[str]:
    return [row[0] for row in grid(pg, index)]


def select_row(pg: Page, row: int, index: int = 0) -> None:
    """Click the selection checkbox of a row (the grid is a canvas: click by position)."""
    box = pg.locator('[data-testid="stDataFrame"]').nth(index).bounding_box()
    assert box is not None
    pg.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * row + 17)


def wait_until(check: Any, timeout: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.2)
