"""The README's quick start on a clone: `make run` serves the console with data, `make test` runs.

The clone uses this session's virtualenv (``VENV=…``, its install step marked done with make's
``-o``) instead of building a second one inside the suite: CI already installs from scratch on a
fresh clone, and that install is the rest of what the two commands do."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from .conftest import ARTIFACTS, ROOT, free_port, wait_http

# One clone and one `make run` for both tests: on one xdist worker.
pytestmark = [pytest.mark.quickstart, pytest.mark.xdist_group("quickstart")]


def readme_commands() -> tuple[str, str]:
    """The two commands of the README's quick start block."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert len(commands) == 2, commands
    return commands[0], commands[1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("quickstart") / "console"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENVOY_", "PYTEST_"))}
    env.pop("VIRTUAL_ENV", None)
    return env


def make(command: str) -> list[str]:
    """``make <target>`` in the clone with this session's virtualenv, already installed."""
    venv = Path(sys.prefix)
    target = command.removeprefix("make ").strip()
    return ["make", "-o", f"{venv}/.installed-stamp", target, f"VENV={venv}"]


@pytest.fixture(scope="module")
def running(clone: Path) -> Iterator[str]:
    run, _ = readme_commands()
    assert run == "make run"
    port = free_port()
    log = (ARTIFACTS / "quickstart-run.log").open("w")
    proc = subprocess.Popen(
        [*make(run), f"PORT={port}"], cwd=clone, env=_env(), stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/_stcore/health", timeout=120)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def test_run_command_serves_the_console_with_data(running: str, browser: Browser) -> None:
    import httpx

    assert httpx.get(running, timeout=10).status_code == 200
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    try:
        page.goto(running)
        expect(page.get_by_text("Connected to Sandbox (demo data)")).to_be_visible(timeout=120_000)
        expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Loads").click()
        expect(page.get_by_text(re.compile(r"Page 1 of \d+ · [\d,]+ loads"))).to_be_visible()
        cell = page.locator('[data-testid="stDataFrame"] [role="gridcell"]').first
        expect(cell).to_have_text(re.compile(r"^LD\d+$"))
        page.screenshot(path=str(ARTIFACTS / "quickstart.png"))
    finally:
        page.close()


def test_test_command_runs_the_suite(clone: Path) -> None:
    _, test = readme_commands()
    assert test == "make test"
    # One layer of the suite: the whole of it is this very run.
    result = subprocess.run(
        [*make(test), "PYTEST_ARGS=-p no:cacheprovider tests/envoy_api"],
        cwd=clone, env=_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    (ARTIFACTS / "quickstart-test.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\d+ passed", result.stdout)
    assert f"rootdir: {clone}" in result.stdout  # the clone's tests, not this checkout's
