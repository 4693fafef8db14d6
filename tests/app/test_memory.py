"""The console's own full garbage collection (Streamlit's after every run is off)."""

from __future__ import annotations

import gc
import threading
import time
import tomllib
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.shell import memory

ROOT = Path(__file__).resolve().parents[2]


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only a collection frees it


def test_streamlit_does_not_collect_after_every_run() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


@pytest.fixture
def fast_collector_stopped(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test's collector (a full collection every 0.05 s) ends with the test: left running,
    it would take most of a core for the rest of the worker's session. Its loop has no stop, so
    its next sleep ends the thread with a SystemExit, which is that thread's alone to swallow."""
    yield
    thread = memory.collector(0.05)
    excepthook = threading.excepthook

    def quiet_end(args: threading.ExceptHookArgs) -> None:
        if not (args.thread is thread and args.exc_type is SystemExit):
            excepthook(args)

    class StopsTheFastCollector:
        def __getattr__(self, name: str) -> object:
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            if threading.current_thread() is thread:
                raise SystemExit
            time.sleep(seconds)

    monkeypatch.setattr(threading, "excepthook", quiet_end)
    monkeypatch.setattr(memory, "time", StopsTheFastCollector())
    thread.join(timeout=30)
    assert not thread.is_alive(), "the fast collector did not stop"
    memory.collector.clear(0.05)  # a later call would otherwise get the ended thread


@pytest.mark.usefixtures("fast_collector_stopped")
def test_cyclic_garbage_is_collected_by_the_console_thread() -> None:
    gc.disable()  # Python's own collector would free the cycle too
    try:
        node = Node()
        gone = weakref.ref(node)
        del node
        assert gone() is not None  # nothing freed it yet
        thread = memory.collector(0.05)
        assert thread.daemon and thread.is_alive() and memory.collector(0.05) is thread
        deadline = time.monotonic() + 30
        while gone() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone() is None
    finally:
        gc.enable()
