"""The console's own full garbage collection (Streamlit's after every run is off)."""

from __future__ import annotations

import ast
import gc
import threading
import time
import tomllib
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import streamlit as st
from streamlit.runtime.caching import cache_data_api, cache_utils
from streamlit.runtime.stats import CACHE_MEMORY_FAMILY

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


class Kept:
    """A cached value a weak reference can follow."""


def test_expired_cache_entries_are_freed_without_another_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Streamlit drops an expired entry only when that function's cache is written again: after
    the agents who read a window of attempts had left, it stayed. The sweep frees it (both kinds
    of cache), and leaves an entry whose time is not up."""
    clock = [1_000.0]
    monkeypatch.setattr(cache_utils, "TTLCACHE_TIMER", lambda: clock[0])  # read as a cache is made
    big = 3_000_000  # bytes of the data cache's entry: told apart from any other test's

    @st.cache_resource(ttl=60)
    def resource(n: int) -> Kept:
        return Kept()

    @st.cache_data(ttl=60)
    def data(n: int) -> str:
        return "x" * n

    def data_kept() -> bool:
        stats = cache_data_api._data_caches.get_stats().get(CACHE_MEMORY_FAMILY, [])
        return any(s.byte_length >= big for s in stats)

    def sweep() -> None:
        memory.expire_caches()
        gc.collect()

    gone = weakref.ref(resource(1))
    data(big)
    clock[0] += 30
    young = weakref.ref(resource(2))
    sweep()  # nothing is past its 60 s yet
    assert gone() is not None and young() is not None and data_kept()
    clock[0] += 31  # the first entries' time is up, the second's not
    sweep()
    assert gone() is None and not data_kept() and young() is not None
    clock[0] += 30
    sweep()
    assert young() is None
    resource.clear()
    data.clear()


def test_tables_made_once_are_freed_by_the_sweep_once_their_time_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tables every session shares (``tables.made_once``) are not a Streamlit cache: the
    once-a-minute sweep drops those past their time too, with nobody asking for a table."""
    import pandas as pd

    from components.widgets import tables

    clock = [5_000.0]
    monkeypatch.setattr(tables, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    tables._made.clear()
    made = tables.made_once(("test-sweep", 1), lambda: (pd.DataFrame({"a": [1]}), {}))[0]
    gone = weakref.ref(made)
    del made
    clock[0] += tables._made.ttl - 1
    memory.expire_caches()
    gc.collect()
    assert gone() is not None  # not yet
    clock[0] += 2
    memory.expire_caches()
    gc.collect()
    assert gone() is None


# Kept for the process's life on purpose: the embedded sandbox, the collector thread, and per
# configured Envoy its probe and its clients (one per credential and organization, at most 64).
PROCESS_WIDE = {"_probe_sandbox", "embedded_sandbox", "client_for", "collector", "no_delay"}


def test_every_cache_of_what_agents_open_has_a_lifetime() -> None:
    """A cache without ``ttl`` keeps its entries until ``max_entries`` pushes them out, and the
    minute's sweep cannot free them: the charts' cache (keyed by the data they draw) grew all
    through a 30-agent soak that way. Every cached function in the console has a lifetime, but
    the process-wide ones."""
    found: dict[str, bool] = {}
    for path in [
        ROOT / "app.py",
        *(ROOT / "components").rglob("*.py"),
        *(ROOT / "views").rglob("*.py"),
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if ast.unparse(target) in ("st.cache_data", "st.cache_resource"):
                    keywords = deco.keywords if isinstance(deco, ast.Call) else []
                    found[f"{path.relative_to(ROOT)}:{node.name}"] = any(
                        k.arg == "ttl" for k in keywords
                    )
    assert len(found) > 20  # the walk found the console's caches
    without = {where for where, ttl in found.items() if not ttl}
    assert {w.rsplit(":", 1)[1] for w in without} == PROCESS_WIDE, sorted(without)
