"""The cache's one home: what an entry is keyed by, how long it lives, and what a change makes
stale.

Each cached read takes a ``Ctx`` first: the connection's fingerprint (a digest of URL and
credential, never the credential), the organization, the session's refresh counter, the
organization's change stamp (``store.stamp``: raised by every change made through any replica)
and this process's generation of that credential's and organization's webhooks (raised by a
change made in this run, before the stamp is read again). So two agents with different
credentials or organizations never share an entry, "Refresh data" refetches only for the agent
who asked, and a change made through any replica makes the organization's webhook reads stale on
every replica. Reads the console cannot change (loads, the event catalogue) are keyed without
the stamp (``steady``). Nothing that carries a secret is cached. Reads run on one bounded pool
per process. docs/freshness.md tells the whole model.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from components.data.connection import Connection, client_for
from envoy_api import EnvoyClient, Pagination
from envoy_api.client import WebhooksResource

T = TypeVar("T")
V = TypeVar("V")
# Cache lifetimes, in seconds: most reads (``ENVOY_CACHE_SECONDS``), the event-type catalogue
# (it changes with a release), and one message's attempts (the message view watches a replay
# through it). A screen refreshes itself when the oldest entry it shows expires.
TTL = int(os.environ.get("ENVOY_CACHE_SECONDS", "60"))
FETCHED = "_fetched_at"  # this run's (fetched at, expires at) pairs, in session state
CATALOGUE_TTL = 600
MESSAGE_TTL = 10
# One bounded pool for the whole server process: a page's concurrent requests and exports.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="envoy-fetch")
_CONNECTIONS: dict[str, Connection] = {}
_GENERATIONS: dict[tuple[str, str | None], int] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Ctx:
    """What a cache entry is keyed by, besides the call's own arguments.

    ``generation`` counts the changes made through this console to this credential's and
    organization's webhooks: a change bumps it, so the reads it made stale are fetched anew for
    every agent of that credential and organization, and nobody else's cache is touched.
    """

    fingerprint: str
    organization_id: str | None
    nonce: int = 0
    generation: int = 0
    stamp: int = 0  # the organization's change stamp when this run began
    tick: int = 0  # raised while the screen follows work in flight: its webhook reads refetch


@dataclass(frozen=True)
class Fetched(Generic[V]):
    value: V
    at: datetime
    ttl: int = TTL  # how long the cache keeps it: the screen refreshes itself when it is due


@dataclass(frozen=True)
class PageResult(Generic[V]):
    items: list[V]
    pagination: Pagination
    fetched: datetime | None = None  # when: the fetch's identity, for what is made from it once


def register(
    conn: Connection, organization_id: str | None, nonce: int = 0, stamp: int = 0, tick: int = 0
) -> Ctx:
    """Make ``conn`` reachable from its fingerprint and return the context for this run."""
    with _LOCK:
        _CONNECTIONS[conn.fingerprint] = conn
    return Ctx(conn.fingerprint, organization_id, nonce, stamp=stamp, tick=tick)


def shared(ctx: Ctx) -> Ctx:
    """``ctx`` for a view every agent of the organization shares (the attention board): keyed
    by the change stamp, not by one session's following of work in flight."""
    return replace(ctx, tick=0)


def steady(ctx: Ctx) -> Ctx:
    """``ctx`` for a read no change made through the console touches (loads, the catalogue):
    its entries outlive the organization's changes and live their TTL."""
    return replace(ctx, generation=0, stamp=0, tick=0)


def connection_of(ctx: Ctx) -> Connection:
    return _CONNECTIONS[ctx.fingerprint]


def client(ctx: Ctx) -> EnvoyClient:
    conn = connection_of(ctx)
    return client_for(ctx.fingerprint, ctx.organization_id, conn.timeout, conn.max_retries, conn)


def _now() -> datetime:
    return datetime.now(UTC)


Span = tuple[datetime, datetime]  # a piece of data's (fetched at, cache entry expires at)
_COLLECTING: ContextVar[list[Span] | None] = ContextVar("collecting", default=None)


def _record(fetched: Fetched[T]) -> T:
    """Remember when each piece of data on this run was fetched and when its cache entry
    expires (for the sidebar's age and the screen's scheduled refresh)."""
    span = (fetched.at, _expires(fetched))
    if (seen := _COLLECTING.get()) is not None:
        seen.append(span)
    remember([span])
    return fetched.value


def remember(spans: list[Span]) -> None:
    """Record ``spans`` on this script run (a view derived once, read by many runs)."""
    with suppress(Exception):  # outside a script run (a worker thread): nothing to record into
        st.session_state.setdefault(FETCHED, []).extend(spans)


# Set on the warm thread (``ahead``): a cached read whose entry expires within this margin is
# fetched again now, so the shared view made from it is replaced before any agent's rerun finds
# it expired and has to make it while the agent waits.
_AHEAD: ContextVar[timedelta | None] = ContextVar("ahead", default=None)


@contextmanager
def ahead(margin: timedelta) -> Iterator[None]:
    """Within the block, reads made from this thread (``read``, ``submit``) fetch again first
    what expires within ``margin``."""
    token = _AHEAD.set(margin)
    try:
        yield
    finally:
        _AHEAD.reset(token)


def soon() -> datetime:
    """What counts as expired now: the present, or the present plus ``ahead``'s margin."""
    return _now() + (_AHEAD.get() or timedelta(0))


def read(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, a cached read; within ``ahead``, an entry about to expire is fetched
    again first."""
    return _read(fn, args, _AHEAD.get())


def _read(fn: Callable[..., T], args: tuple[Any, ...], margin: timedelta | None) -> T:
    result = fn(*args)
    if margin is not None and isinstance(result, Fetched) and _expires(result) - _now() < margin:
        fn.clear(*args)  # type: ignore[attr-defined]  # a Streamlit cached function
        result = fn(*args)
    return result


def _expires(fetched: Fetched[Any]) -> datetime:
    return fetched.at + timedelta(seconds=fetched.ttl)


@contextmanager
def collecting() -> Iterator[list[Span]]:
    """The spans recorded in this thread within the block: what a derived view was made of."""
    seen: list[Span] = []
    token = _COLLECTING.set(seen)
    try:
        yield seen
    finally:
        _COLLECTING.reset(token)


# ---- concurrency ----


# (cached read, its arguments) → when the entry it last fetched expires, for ``submit``.
_WARM: dict[tuple[Any, ...], datetime] = {}
WARM_MARGIN = timedelta(seconds=1)  # an entry this close to its expiry is fetched on the pool
_NEVER = datetime.min.replace(tzinfo=UTC)
WARM_LIMIT = 5000  # reads noted at most; past it the notes start again


def submit(fn: Callable[..., T], *args: Any) -> Future[T]:
    """Run ``fn`` on the shared pool, with this script run's context attached; a cached read
    whose entry is still warm (it returned a ``Fetched`` that has not expired) runs on this
    thread instead, as the cache hit it is: handing a hit to the pool and back costs more than
    the read when the server is busy (each hand-off waits for the interpreter lock). Within
    ``ahead`` (the warm thread), an entry about to expire is fetched again on the pool."""
    key, now, margin = _warm_key(fn, args), _now(), _AHEAD.get()
    if _until(key) > soon():
        done: Future[T] = Future()
        try:
            result = fn(*args)
        except Exception as exc:
            done.set_exception(exc)
            return done
        if isinstance(result, Fetched) and result.at >= now:  # it was not a hit after all
            forget_warm()  # (evicted early, or cleared): the reads after it go to the pool
        done.set_result(_noting(key, result))
        return done
    script_ctx = get_script_run_ctx()

    def run() -> T:
        if script_ctx is not None:
            add_script_run_ctx(threading.current_thread(), script_ctx)
        return _noting(key, _read(fn, args, margin))

    return _POOL.submit(run)


def warm(fn: Callable[..., Any], *args: Any) -> bool:
    """Whether ``submit(fn, *args)`` would run here, as a cache hit (a guess, see ``submit``)."""
    return _until(_warm_key(fn, args)) > _now()


def _until(key: tuple[Any, ...] | None) -> datetime:
    """Until when the read ``key`` names is warm (long ago when it is not known)."""
    return _WARM.get(key, _NEVER) if key is not None else _NEVER


def forget_warm() -> None:
    """Forget which reads are warm: every read goes to the pool until it is fetched again."""
    with _LOCK:
        _WARM.clear()


def _warm_key(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    try:
        key = (fn, *args)
        hash(key)
    except TypeError:  # an argument Python cannot hash: always on the pool
        return None
    return key


def _noting(key: tuple[Any, ...] | None, result: T) -> T:
    """Note when ``result``'s cache entry expires, if it is a cached read's ``Fetched``."""
    if key is not None and isinstance(result, Fetched):
        with _LOCK:
            if len(_WARM) >= WARM_LIMIT:  # a guess: forgetting costs one hand-off per read
                _WARM.clear()
            _WARM[key] = _expires(result) - WARM_MARGIN
    return result


@dataclass
class Outcome(Generic[V]):
    """A value, or the error that stopped it: one failing section leaves the others standing."""

    value: V | None = None
    error: Exception | None = None
    at: datetime | None = None  # when the value was fetched

    @property
    def ok(self) -> bool:
        return self.error is None


def _outcome(future: Future[Fetched[T]]) -> Outcome[T]:
    try:
        fetched = future.result()
    except Exception as exc:
        return Outcome(error=exc)
    return Outcome(value=_record(fetched), at=fetched.at)


def _fresh(ctx: Ctx) -> Ctx:
    """``ctx`` at the current generation of its credential's and organization's webhooks."""
    return replace(ctx, generation=_GENERATIONS.get((ctx.fingerprint, ctx.organization_id), 0))


def _changed(ctx: Ctx) -> None:
    key = (ctx.fingerprint, ctx.organization_id)
    with _LOCK:
        _GENERATIONS[key] = _GENERATIONS.get(key, 0) + 1


@contextmanager
def _changing(ctx: Ctx) -> Iterator[WebhooksResource]:
    """The webhooks API for one write; what it touched is stale afterwards, even when it failed
    (a timeout may still have changed something)."""
    try:
        yield client(ctx).webhooks
    finally:
        _changed(ctx)
