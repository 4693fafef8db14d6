"""The data layer's pool: a cached read whose entry is warm runs on the caller's thread (a hit
handed to the pool and back waits twice for the interpreter lock on a busy server); one that
turns out not to be warm after all sends the reads after it back to the pool."""

from __future__ import annotations

import threading

import streamlit as st

from components.data import cache
from components.data.cache import Fetched


def test_a_warm_read_runs_here_and_a_wrong_guess_sends_the_rest_to_the_pool() -> None:
    cache.forget_warm()
    fetched: list[int] = []
    threads: list[str] = []

    @st.cache_data(ttl=60, show_spinner=False)
    def read(x: int) -> Fetched[int]:
        fetched.append(x)
        return Fetched(x * 10, cache._now())

    def traced(x: int) -> Fetched[int]:
        threads.append(threading.current_thread().name)
        return read(x)

    here = threading.current_thread().name
    assert [cache.submit(traced, x).result().value for x in (1, 2)] == [10, 20]
    assert all(t.startswith("envoy-fetch") for t in threads) and fetched == [1, 2]

    threads.clear()
    assert [cache.submit(traced, x).result().value for x in (1, 2)] == [10, 20]
    assert threads == [here, here] and fetched == [1, 2]  # both hits, on this thread

    read.clear()  # evicted behind the guess's back
    threads.clear()
    assert [cache.submit(traced, x).result().value for x in (1, 2)] == [10, 20]
    # 1 was guessed warm and fetched here; that miss sent 2 to the pool.
    assert threads[0] == here and threads[1].startswith("envoy-fetch")
    assert fetched == [1, 2, 1, 2]


def test_an_error_on_the_callers_thread_reaches_the_future() -> None:
    cache.forget_warm()

    @st.cache_data(ttl=60, show_spinner=False)
    def read(x: int) -> Fetched[int]:
        return Fetched(x, cache._now())

    def fails_when_warm(x: int) -> Fetched[int]:
        if threading.current_thread().name.startswith("envoy-fetch"):
            return read(x)
        raise RuntimeError("the read failed")

    assert cache.submit(fails_when_warm, 3).result().value == 3
    future = cache.submit(fails_when_warm, 3)
    assert isinstance(future.exception(), RuntimeError)


def test_the_notes_are_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cache.forget_warm()
    monkeypatch.setattr(cache, "WARM_LIMIT", 2)

    @st.cache_data(ttl=60, show_spinner=False)
    def read(x: int) -> Fetched[int]:
        return Fetched(x, cache._now())

    for x in (1, 2, 3):
        cache.submit(read, x).result()
    assert cache.warm(read, 3) and not cache.warm(read, 1)  # full at the third: started again
