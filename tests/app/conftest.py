"""AppTest against the sandbox: the console configured (as a remote API) to the test sandbox."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, app_test, local_script_runner
from streamlit.util import calc_hash

from components import data
from components.shell import nav

from ..sandboxes import Sandbox

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
_DOWNLOADS: dict[str, bytes] = {}
_DEFERRED: dict[str, Callable[[], Any]] = {}


@pytest.fixture(autouse=True)
def _no_background_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run recovery jobs themselves (jobs.work_once): a worker thread in the test process
    would pick up other tests' jobs against whatever database the environment names then."""
    monkeypatch.setenv("ENVOY_JOB_WORKER", "0")


@pytest.fixture(autouse=True)
def _record_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the bytes of every download button, so a test can read the CSV it would give."""
    original = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self: Any, path_or_data: Any, *args: Any, **kwargs: Any) -> str:
        file_id: str = original(self, path_or_data, *args, **kwargs)
        if isinstance(path_or_data, bytes):
            _DOWNLOADS[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    add_deferred = MediaFileManager.add_deferred

    def record_deferred(self: Any, data: Any, *args: Any, **kwargs: Any) -> str:
        file_id: str = add_deferred(self, data, *args, **kwargs)
        _DEFERRED[file_id] = data
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)


def download_bytes(button: Any) -> bytes:
    """What the button gives: its data, or what its callable makes when it is clicked."""
    if button.proto.deferred_file_id:
        made = _DEFERRED[button.proto.deferred_file_id]()
        return made.encode() if isinstance(made, str) else bytes(made)
    file_id = button.proto.url.rsplit("/", 1)[-1].split(".")[0]
    return _DOWNLOADS[file_id]


def download_frame(button: Any) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(download_bytes(button)), dtype=str, keep_default_na=False)


@pytest.fixture
def configured(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The console pointed at the session sandbox through the environment."""
    for name in ("ENVOY_BEARER_TOKEN", "ENVOY_ORGANIZATION_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENVOY_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("ENVOY_API_KEY", sandbox.api_key)
    sandbox.clear_faults()
    data.clear_caches()  # each test sees the sandbox as it is now
    yield sandbox
    sandbox.clear_faults()
    data.clear_caches()


@pytest.fixture
def audit_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh console database (a SQLite file, returned) holding this test's audit trail, and
    no legacy audit file to carry over."""
    db = tmp_path / "console.db"
    monkeypatch.setenv("ENVOY_CONSOLE_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("ENVOY_AUDIT_DB", str(tmp_path / "audit.db"))
    return db


# What a served app does once per process, AppTest does once per instance or per run: scan every
# installed package for components (~0.1 s) and compile each page script (~0.05 s a page) and
# app.py (~5 ms). The scripts and packages do not change during a session, so the suite does both
# once, as a server would; every run still executes the scripts from the top.
_COMPONENTS = BidiComponentManager()
_COMPONENTS.discover_and_register_components(start_file_watching=False)
_SCRIPTS = ScriptCache()
app_test.ScriptCache = lambda: _SCRIPTS  # type: ignore[attr-defined,assignment]
local_script_runner.ScriptCache = lambda: _SCRIPTS  # type: ignore[attr-defined,assignment]


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at._bidi_component_manager = _COMPONENTS
    return at


def run_app(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def deep_link(path: str | None, **query: str) -> AppTest:
    """An app whose first run is a pasted deep link to the view at ``path`` (the landing page
    for None) with ``query``: as a browser asks for a URL, the frame runs with that page first.

    ``AppTest.switch_page`` before a first run matches a page by its file's stem, which our
    views' URL paths differ from on purpose (see app.py); a browser asks for the page whose
    hash is its URL path's, which is what this sets."""
    at = new_app()
    if path is not None:
        (view,) = [v for v in nav.VIEWS if v.path == path]
        at._page_hash = calc_hash(view.url_path)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def open_page(path: str, **query: str) -> AppTest:
    """A page as a pasted deep link, run."""
    return run_app(deep_link(path, **query))


def loads_app() -> AppTest:
    """The Loads list as opened from the menu (the landing page is the attention board)."""
    return open_page("views/load_list.py")


def open_load(load_id: str, section: str | None = None) -> AppTest:
    """The load's page, on the tab ``section`` (only the open tab's content is drawn)."""
    query = {"load_id": load_id, **({"section": section} if section else {})}
    return open_page("views/load_detail.py", **query)


def open_expander(at: AppTest, key: str) -> None:
    """Open the expander ``key`` as the agent's click would (an expander that draws its inside
    only while open: AppTest has no click for one), and run the page."""
    at.session_state[key] = True
    run_app(at)


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader",
                 "title"):  # fmt: skip
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The table showing ``column`` (AppTest finds tables by position, not by key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)
