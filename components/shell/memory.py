"""Python's full garbage collection, once a minute on a thread of its own.

Streamlit collects after every script run by default (``runner.postScriptGC``): with the caches a
console holds, that was half of all server CPU with ten agents, so ``.streamlit/config.toml``
turns it off. Python's own collector then leaves cyclic garbage in its oldest generation until
that generation has grown by a quarter; a full collection each minute keeps it from piling up,
for a small fraction of the CPU the collection after every run took.
"""

from __future__ import annotations

import gc
import threading
import time

import streamlit as st

EVERY = 60.0  # seconds between full collections


@st.cache_resource(show_spinner=False)
def collector(every: float = EVERY) -> threading.Thread:
    """The collecting thread, started once per server process (and per ``every``)."""

    def run() -> None:
        while True:
            time.sleep(every)
            gc.collect()

    thread = threading.Thread(target=run, name="console-gc", daemon=True)
    thread.start()
    return thread
