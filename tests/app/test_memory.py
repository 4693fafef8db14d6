"""The console's own full garbage collection (Streamlit's after every run is off)."""

from __future__ import annotations

import gc
import time
import tomllib
import weakref
from pathlib import Path

from components.shell import memory

ROOT = Path(__file__).resolve().parents[2]


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only a collection frees it


def test_streamlit_does_not_collect_after_every_run() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


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
