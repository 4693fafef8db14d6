"""The cached data layer: every read the pages make goes through here.

Each cached function takes a ``Ctx`` first: the connection's fingerprint (a digest of URL and
credential, never the credential), the organization and the session's refresh counter, so two
agents with different credentials or organizations never share an entry, and "Refresh data"
only refetches for the agent who asked. Nothing that carries a secret is cached here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from envoy_api import (
    Call,
    CarrierVerification,
    EnvoyClient,
    Escalation,
    Load,
    Pagination,
    TabCounts,
)

from .connection import Connection, client_for

T = TypeVar("T")
V = TypeVar("V")
TTL = 60
LARGE_EXPORT = 2_000  # rows: a bigger CSV export asks before it starts
# One bounded pool for the whole server process: a page's concurrent requests and exports.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="envoy-fetch")
_CONNECTIONS: dict[str, Connection] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Ctx:
    """What a cache entry is keyed by, besides the call's own arguments."""

    fingerprint: str
    organization_id: str | None
    nonce: int = 0


@dataclass(frozen=True)
class Fetched(Generic[V]):
    value: V
    at: datetime


@dataclass(frozen=True)
class PageResult(Generic[V]):
    items: list[V]
    pagination: Pagination


def register(conn: Connection, organization_id: str | None, nonce: int = 0) -> Ctx:
    """Make ``conn`` reachable from its fingerprint and return the context for this run."""
    with _LOCK:
        _CONNECTIONS[conn.fingerprint] = conn
    return Ctx(conn.fingerprint, organization_id, nonce)


def client(ctx: Ctx) -> EnvoyClient:
    conn = _CONNECTIONS[ctx.fingerprint]
    return client_for(ctx.fingerprint, ctx.organization_id, conn)


def _now() -> datetime:
    return datetime.now(UTC)


def _record(fetched: Fetched[T]) -> T:
    """Remember when the oldest piece of data on this run was fetched (for the sidebar)."""
    try:
        times = st.session_state.setdefault("_fetched_at", [])
        times.append(fetched.at)
    except Exception:  # outside a script run (a worker thread): nothing to record into
        pass
    return fetched.value


# ---- cached reads ----


@st.cache_data(ttl=TTL, max_entries=200, show_spinner=False)
def _tab_counts(ctx: Ctx) -> Fetched[TabCounts]:
    return Fetched(client(ctx).loads.tab_counts(), _now())


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _loads_page(
    ctx: Ctx, tab: str | None, search: str | None, page: int, page_size: int
) -> Fetched[PageResult[Load]]:
    result = client(ctx).loads.list(tab=tab, search=search, page=page, page_size=page_size)
    return Fetched(PageResult(result.data, result.pagination), _now())


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _load(ctx: Ctx, load_id: str) -> Fetched[Load]:
    return Fetched(client(ctx).loads.retrieve(load_id), _now())


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _calls(ctx: Ctx, load_id: str) -> Fetched[list[Call]]:
    return Fetched(client(ctx).loads.calls(load_id), _now())


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _verifications(ctx: Ctx, load_id: str) -> Fetched[list[CarrierVerification]]:
    return Fetched(client(ctx).loads.failed_verifications(load_id), _now())


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _escalations(ctx: Ctx, load_id: str) -> Fetched[list[Escalation]]:
    return Fetched(client(ctx).loads.active_escalations(load_id), _now())


def tab_counts(ctx: Ctx) -> TabCounts:
    return _record(_tab_counts(ctx))


def loads_page(
    ctx: Ctx, *, tab: str | None, search: str | None, page: int, page_size: int
) -> PageResult[Load]:
    return _record(_loads_page(ctx, tab, search or None, page, page_size))


# ---- concurrency ----


def submit(fn: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``fn`` on the shared pool, with this script run's context attached."""
    script_ctx = get_script_run_ctx()

    def run() -> T:
        if script_ctx is not None:
            add_script_run_ctx(threading.current_thread(), script_ctx)
        return fn(*args)

    return _POOL.submit(run)


@dataclass
class Outcome(Generic[V]):
    """A value, or the error that stopped it: one failing section leaves the others standing."""

    value: V | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class LoadDetail:
    load: Outcome[Load]
    calls: Outcome[list[Call]]
    verifications: Outcome[list[CarrierVerification]]
    escalations: Outcome[list[Escalation]]
    seconds: float


def load_detail(ctx: Ctx, load_id: str) -> LoadDetail:
    """The load and its three sections, fetched concurrently (wall time ≈ the slowest)."""
    started = time.perf_counter()
    fns: list[Callable[[Ctx, str], Fetched[Any]]] = [_load, _calls, _verifications, _escalations]
    futures = [submit(fn, ctx, load_id) for fn in fns]
    outcomes: list[Outcome[Any]] = []
    for future in futures:
        try:
            outcomes.append(Outcome(value=_record(future.result())))
        except Exception as exc:
            outcomes.append(Outcome(error=exc))
    load, calls, verifications, escalations = outcomes
    return LoadDetail(load, calls, verifications, escalations, time.perf_counter() - started)


def iter_all_loads(
    ctx: Ctx, *, tab: str | None, search: str | None, page_size: int = 100, parallel: int = 4
) -> Iterator[tuple[list[Load], int, int]]:
    """Every load of a view, fetching pages concurrently (bounded); yields (rows, done, total
    pages) in page order so a caller can show progress. Not cached: exports want fresh data."""
    api = client(ctx)
    first = api.loads.list(tab=tab, search=search, page=1, page_size=page_size)
    total_pages = max(first.pagination.total_pages, 1)
    yield first.data, 1, total_pages
    pending: dict[int, Future[Any]] = {}
    next_page = 2
    done = 1
    while next_page <= total_pages or pending:
        while next_page <= total_pages and len(pending) < parallel:
            pending[next_page] = _POOL.submit(
                lambda n: api.loads.list(tab=tab, search=search, page=n, page_size=page_size),
                next_page,
            )
            next_page += 1
        page_no = min(pending)
        result = pending.pop(page_no).result()
        done += 1
        yield result.data, done, total_pages


def clear_after_change() -> None:
    """After a change made through the console, drop the cached reads so pages refetch."""
    st.cache_data.clear()
