"""Python's full garbage collection, once a minute on a thread of its own.

Streamlit collects after every script run by default (``runner.postScriptGC``): with the caches a
console holds, that was half of all server CPU with ten agents, so ``.streamlit/config.toml``
turns it off. Python's own collector then leaves cyclic garbage in its oldest generation until
that generation has grown by a quarter; a full collection each minute keeps it from piling up,
for a small fraction of the CPU the collection after every run took.

Before collecting, it drops the cache entries whose time is up (``expire_caches``): Streamlit's
caches remove an expired entry only when that function's cache is written again, so a page's
reads, a window's thousands of attempts or a kept table stayed in memory after the agents who
asked for them had gone, until someone asked for the same function again.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any, Protocol

import streamlit as st
from streamlit.runtime.caching import cache_data_api, cache_resource_api

EVERY = 60.0  # seconds between full collections


class Expiring(Protocol):
    def expire(self) -> int: ...


_STORES: list[Expiring] = []  # stores of our own swept with the caches (``tables.Kept``)


def sweep(store: Expiring) -> None:
    """Have ``store``'s expired entries dropped once a minute too, with the caches'."""
    _STORES.append(store)


@st.cache_resource(show_spinner=False)
def collector(every: float = EVERY) -> threading.Thread:
    """The collecting thread, started once per server process (and per ``every``)."""

    def run() -> None:
        while True:
            time.sleep(every)
            expire_caches()
            gc.collect()

    thread = threading.Thread(target=run, name="console-gc", daemon=True)
    thread.start()
    return thread


def expire_caches() -> int:
    """Drop every ``st.cache_data`` and ``st.cache_resource`` entry past its TTL, in every
    cached function, and in the stores given to ``sweep``; returns how many. It reaches into
    Streamlit's internals (as of 1.67: each function's cache is a TTL cache with an
    ``expire()`` of its own, under its lock); tests/app/test_memory.py fails if a Streamlit
    upgrade moves them."""
    dropped = 0
    for registry in (cache_resource_api._resource_caches, cache_data_api._data_caches):
        with registry._caches_lock:
            caches: list[Any] = [c for per in registry._function_caches.values()
                                 for c in per.values()]  # fmt: skip
        for cache in caches:
            holder = getattr(cache, "storage", cache)  # a data cache keeps its entries in storage
            entries, lock = holder._mem_cache, holder._mem_cache_lock
            with lock:
                dropped += len(entries.expire())
                if hasattr(holder, "_take_pending_removals"):  # the data caches' memory budget
                    holder._report_removals(holder._take_pending_removals())
    return dropped + sum(store.expire() for store in _STORES)
