"""The cached data layer: every read the pages make goes through here.

Each cached function takes a ``Ctx`` first: the connection's fingerprint (a digest of URL and
credential, never the credential), the organization and the session's refresh counter, so two
agents with different credentials or organizations never share an entry, and "Refresh data"
only refetches for the agent who asked. Nothing that carries a secret is cached here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from envoy_api import (
    Call,
    CarrierVerification,
    DeliveryAttempt,
    EnvoyClient,
    EnvoyError,
    Escalation,
    EventType,
    Load,
    MessageSummary,
    Pagination,
    TabCounts,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)
from envoy_api.client import WebhooksResource

from . import deliveries, story
from .connection import Connection, client_for

T = TypeVar("T")
V = TypeVar("V")
TTL = 60
LARGE_EXPORT = 2_000  # rows: a bigger CSV export asks before it starts
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
    return client_for(ctx.fingerprint, ctx.organization_id, conn.timeout, conn.max_retries, conn)


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


@dataclass(frozen=True)
class LoadsView:
    """The tab counts and one page of a tab, fetched together so they never disagree."""

    counts: TabCounts
    page: PageResult[Load]


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _loads_view(
    ctx: Ctx, tab: str, search: str | None, page: int, page_size: int
) -> Fetched[LoadsView]:
    api = client(ctx).loads
    counts = _POOL.submit(api.tab_counts)
    rows = api.list(tab=None if tab == "all" else tab, search=search, page=page,
                    page_size=page_size)  # fmt: skip
    return Fetched(LoadsView(counts.result(), PageResult(rows.data, rows.pagination)), _now())


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


def loads_view(ctx: Ctx, *, tab: str, search: str, page: int, page_size: int) -> LoadsView:
    """Tab counts and a page of ``tab`` as one snapshot (tab "all" lists every load)."""
    return _record(_loads_view(ctx, tab, search or None, page, page_size))


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
    at: datetime | None = None  # when the value was fetched

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class LoadAttempts:
    """Every attempt of every message about one load, across the organization's endpoints."""

    endpoints: list[WebhookEndpoint]
    attempts: list[DeliveryAttempt]
    problems: list[tuple[str, Exception]]  # what could not be read (an endpoint's URL), and why
    complete: bool  # False when an endpoint had more than STORY_PAGES pages of them
    fetched: tuple[datetime, ...] = ()  # when each endpoint's were fetched: their identity

    def story(self, ctx: Ctx, load_id: str) -> tuple[list[story.Message], list[story.Entry]]:
        """The load's messages and their timeline entries, worked out once per fetch."""
        names = {ep.id: story.name_of(ep) for ep in self.endpoints}
        return _story(ctx.fingerprint, ctx.organization_id, load_id, self.fetched,
                      self.attempts, names)  # fmt: skip


@dataclass
class LoadDetail:
    load: Outcome[Load]
    calls: Outcome[list[Call]]
    verifications: Outcome[list[CarrierVerification]]
    escalations: Outcome[list[Escalation]]
    seconds: float
    webhooks: LoadAttempts | None = None


def load_detail(ctx: Ctx, load_id: str, *, webhooks: bool = False) -> LoadDetail:
    """The load and its three sections (and, with ``webhooks``, every attempt of its messages on
    each endpoint), fetched concurrently: wall time ≈ the slowest request."""
    started = time.perf_counter()
    eps: list[WebhookEndpoint] = []
    problem: Exception | None = None
    if webhooks:
        try:
            eps = endpoints(ctx)
        except Exception as exc:  # the endpoints' list failed: the load still shows
            problem = exc
    fns: list[Callable[[Ctx, str], Fetched[Any]]] = [_load, _calls, _verifications, _escalations]
    futures = [submit(fn, ctx, load_id) for fn in fns]
    walks = [submit(_load_attempts, _fresh(ctx), ep.id, load_id) for ep in eps]
    load, calls, verifications, escalations = (_outcome(f) for f in futures)
    detail = LoadDetail(load, calls, verifications, escalations, 0.0)
    if webhooks:
        found = LoadAttempts(eps, [], [], True)
        if problem is not None:
            found.problems.append(("the webhook endpoints", problem))
        for ep, future in zip(eps, walks, strict=True):
            outcome = _outcome(future)
            if outcome.ok and outcome.value is not None:
                rows, complete = outcome.value
                found.attempts += rows
                found.complete &= complete
                found.fetched += (outcome.at or _now(),)
            elif outcome.error is not None:
                found.problems.append((ep.url, outcome.error))
        detail.webhooks = found
    detail.seconds = time.perf_counter() - started
    return detail


@st.cache_resource(ttl=TTL, max_entries=100, show_spinner=False)
def _story(
    fingerprint: str,
    organization_id: str | None,
    load_id: str,
    fetched: tuple[datetime, ...],
    _attempts: list[DeliveryAttempt],
    _names: dict[str, str],
) -> tuple[list[story.Message], list[story.Entry]]:
    # Keyed by the fetches it is made from (``_`` arguments are not part of the key).
    msgs = story.messages(_attempts)
    return msgs, story.message_entries(msgs, _names)


def forget_load_attempts(ctx: Ctx, load_id: str) -> None:
    """Drop the cached attempts of one load (its deliveries moved on since they were read)."""
    ctx = _fresh(ctx)
    for ep in endpoints(ctx):
        _load_attempts.clear(ctx, ep.id, load_id)


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


# ---- webhooks: cached reads ----


@st.cache_data(ttl=TTL, max_entries=200, show_spinner=False)
def _endpoints(ctx: Ctx) -> Fetched[list[WebhookEndpoint]]:
    return Fetched(client(ctx).webhooks.list_endpoints(), _now())


@st.cache_data(ttl=600, max_entries=100, show_spinner=False)
def _event_types(ctx: Ctx) -> Fetched[list[EventType]]:
    return Fetched(client(ctx).webhooks.list_event_types(), _now())


@dataclass(frozen=True)
class AttemptFilter:
    """The deliveries view's filters (hashable: part of the cache key)."""

    endpoint_id: str
    statuses: tuple[str, ...] = ()
    event_type: str | None = None
    load_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> dict[str, Any]:
        return {
            "status": list(self.statuses) or None,
            "event_type": self.event_type,
            "load_id": self.load_id,
            "since": self.since,
            "until": self.until,
        }


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _attempts_page(
    ctx: Ctx, flt: AttemptFilter, page: int, page_size: int
) -> Fetched[PageResult[DeliveryAttempt]]:
    result = client(ctx).webhooks.list_endpoint_attempts(
        flt.endpoint_id, page=page, page_size=page_size, **flt.query()
    )
    return Fetched(PageResult(result.data, result.pagination), _now())


@st.cache_data(ttl=10, max_entries=500, show_spinner=False)
def _message_attempts(ctx: Ctx, message_id: str) -> Fetched[list[DeliveryAttempt]]:
    return Fetched(client(ctx).webhooks.list_message_attempts(message_id), _now())


HEALTH_PAGES = 10  # pages of 100 of an endpoint's last 24 h that its health reads at most


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _health(ctx: Ctx, endpoint_id: str, hour: str) -> Fetched[deliveries.Health]:
    # The newest attempts of the last 24 hours (``hour`` keys the window), page after page on
    # this pool thread; bounded, so an endpoint with millions of attempts costs what 1,000 do.
    since = datetime.fromisoformat(hour) - timedelta(hours=24)
    api = client(ctx).webhooks
    rows: list[DeliveryAttempt] = []
    total = 0
    for number in range(1, HEALTH_PAGES + 1):
        page = api.list_endpoint_attempts(endpoint_id, since=since, page=number, page_size=100)
        rows += page.data
        total = page.pagination.total_count
        if number >= page.pagination.total_pages:
            break
    return Fetched(deliveries.health(rows, total), _now())


STORY_PAGES = 50  # pages of 100 attempts per endpoint a load's story reads at most


# A resource cache: a busy load's thousands of attempts are handed out as they are, not copied on
# every rerun (they are only read).
@st.cache_resource(ttl=TTL, max_entries=500, show_spinner=False)
def _load_attempts(
    ctx: Ctx, endpoint_id: str, load_id: str
) -> Fetched[tuple[list[DeliveryAttempt], bool]]:
    # Page after page on this thread: it already runs on the pool, which must not wait on itself.
    api = client(ctx).webhooks
    rows: list[DeliveryAttempt] = []
    for number in range(1, STORY_PAGES + 1):
        page = api.list_endpoint_attempts(endpoint_id, load_id=load_id, page=number, page_size=100)
        rows += page.data
        if number >= page.pagination.total_pages:
            return Fetched((rows, True), _now())
    return Fetched((rows, False), _now())


def endpoints(ctx: Ctx, *, must_include: str | None = None) -> list[WebhookEndpoint]:
    """The organization's endpoints; refetched once if ``must_include`` is not among the cached
    ones (a deep link to an endpoint created since the list was cached)."""
    ctx = _fresh(ctx)
    result = _record(_endpoints(ctx))
    if must_include and all(ep.id != must_include for ep in result):
        _endpoints.clear(ctx)
        result = _record(_endpoints(ctx))
    return result


def event_types(ctx: Ctx) -> list[EventType]:
    return _record(_event_types(ctx))


def attempts_page(
    ctx: Ctx, flt: AttemptFilter, page: int, page_size: int
) -> PageResult[DeliveryAttempt]:
    return _record(_attempts_page(_fresh(ctx), flt, page, page_size))


def message_attempts(ctx: Ctx, message_id: str, *, fresh: bool = False) -> list[DeliveryAttempt]:
    """Every attempt of a message; ``fresh`` skips the cache (the live view after a replay)."""
    ctx = _fresh(ctx)
    if fresh:
        _message_attempts.clear(ctx, message_id)
    return _record(_message_attempts(ctx, message_id))


def endpoint_health(ctx: Ctx, endpoint_ids: Sequence[str]) -> dict[str, Outcome[Any]]:
    """Health of several endpoints, one request each, concurrently, cached for the hour."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0).isoformat()
    ctx = _fresh(ctx)
    futures = {e: submit(_health, ctx, e, hour) for e in endpoint_ids}
    return {e: _outcome(f) for e, f in futures.items()}


# ---- the attention board ----

BOARD_LOADS = 200  # loads of one kind the board reads at most (affected, escalated, vetted)


@dataclass
class Impact:
    """Each endpoint's health and the loads its undelivered messages are about."""

    endpoints: list[WebhookEndpoint]
    healths: dict[str, Outcome[deliveries.Health]]
    loads: dict[str, Load]  # the affected loads that could be read
    escalated: Outcome[list[Load]]  # loads with an active escalation
    capped: list[str]  # what was read only up to BOARD_LOADS


@dataclass
class Board:
    """What needs a human now, read concurrently; each part may have failed on its own."""

    impact: Impact
    escalations: Outcome[list[tuple[Load, Escalation]]]
    verifications: Outcome[list[tuple[Load, CarrierVerification]]]


def _tab_loads(ctx: Ctx, tab: str, capped: list[str]) -> Outcome[list[Load]]:
    """Up to BOARD_LOADS loads of a tab (cached pages); notes in ``capped`` when there are more."""
    try:
        first = loads_page(ctx, tab=tab, search=None, page=1, page_size=100)
        pages = min(first.pagination.total_pages, BOARD_LOADS // 100)
        rest = [submit(_loads_page, ctx, tab, None, n, 100) for n in range(2, pages + 1)]
        rows = list(first.items) + [x for f in rest for x in _record(f.result()).items]
    except Exception as exc:  # the board and the health table stand without this part
        return Outcome(error=exc)
    if first.pagination.total_pages > pages:
        capped.append(tab.replace("_", " "))
    return Outcome(rows)


def impact(ctx: Ctx) -> Impact:
    eps = endpoints(ctx)
    healths = endpoint_health(ctx, [ep.id for ep in eps])
    capped: list[str] = []
    affected = sorted({i for h in healths.values() if h.value for i in h.value.affected_loads})
    if len(affected) > BOARD_LOADS:
        capped.append("loads affected")
    futures = {i: submit(_load, ctx, i) for i in affected[:BOARD_LOADS]}
    escalated = _tab_loads(ctx, "active_escalations", capped)
    loads = {i: o.value for i, f in futures.items() if (o := _outcome(f)).value is not None}
    return Impact(eps, healths, loads, escalated, capped)


def board(ctx: Ctx) -> Board:
    found = impact(ctx)
    escalations: Outcome[list[tuple[Load, Escalation]]] = Outcome(error=found.escalated.error)
    if found.escalated.ok:
        futures = [(x, submit(_escalations, ctx, x.id)) for x in found.escalated.value or []]
        try:
            escalations = Outcome([(x, e) for x, f in futures for e in _record(f.result())
                                   if e.status == "ACTIVE"])  # fmt: skip
        except Exception as exc:
            escalations = Outcome(error=exc)
    verifications: Outcome[list[tuple[Load, CarrierVerification]]]
    vetted = _tab_loads(ctx, "failed_verifications", found.capped)
    verifications = Outcome(error=vetted.error)
    if vetted.ok:
        futures_v = [(x, submit(_verifications, ctx, x.id)) for x in vetted.value or []]
        try:
            verifications = Outcome([(x, v) for x, f in futures_v for v in _record(f.result())])
        except Exception as exc:
            verifications = Outcome(error=exc)
    return Board(found, escalations, verifications)


def _outcome(future: Future[Fetched[T]]) -> Outcome[T]:
    try:
        fetched = future.result()
    except Exception as exc:
        return Outcome(error=exc)
    return Outcome(value=_record(fetched), at=fetched.at)


def walk_attempts(
    ctx: Ctx, flt: AttemptFilter, *, max_pages: int = 20, page_size: int = 100
) -> tuple[list[DeliveryAttempt], bool]:
    """Up to ``max_pages`` pages of a filter, newest first, fetched concurrently after the first.

    Returns the attempts and whether that was all of them. Not cached: bulk work wants it fresh.
    """
    api = client(ctx).webhooks
    first = api.list_endpoint_attempts(flt.endpoint_id, page=1, page_size=page_size, **flt.query())
    pages = min(first.pagination.total_pages, max_pages)
    rest = [
        _POOL.submit(
            lambda n: (
                api.list_endpoint_attempts(
                    flt.endpoint_id, page=n, page_size=page_size, **flt.query()
                ).data
            ),
            n,
        )
        for n in range(2, pages + 1)
    ]
    rows = list(first.data)
    for future in rest:
        rows += future.result()
    return rows, first.pagination.total_pages <= max_pages


@st.cache_data(ttl=TTL, max_entries=200, show_spinner=False)
def _attempt_sample(
    ctx: Ctx, flt: AttemptFilter, max_pages: int
) -> Fetched[tuple[list[DeliveryAttempt], bool]]:
    return Fetched(walk_attempts(ctx, flt, max_pages=max_pages), _now())


def attempt_sample(
    ctx: Ctx, flt: AttemptFilter, max_pages: int = 5
) -> tuple[list[DeliveryAttempt], bool]:
    """The newest ``max_pages`` pages of a filter, cached (for charts)."""
    return _record(_attempt_sample(_fresh(ctx), flt, max_pages))


# ---- writes: never cached; each makes stale what it changed, for this credential and org ----


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


def create_endpoint(ctx: Ctx, **fields: Any) -> WebhookEndpointWithSecret:
    with _changing(ctx) as api:
        return api.create_endpoint(**fields)


def update_endpoint(ctx: Ctx, endpoint_id: str, **fields: Any) -> WebhookEndpoint:
    with _changing(ctx) as api:
        return api.update_endpoint(endpoint_id, **fields)


def delete_endpoint(ctx: Ctx, endpoint_id: str) -> None:
    with _changing(ctx) as api:
        api.delete_endpoint(endpoint_id)


def rotate_secret(ctx: Ctx, endpoint_id: str) -> WebhookEndpointWithSecret:
    with _changing(ctx) as api:
        return api.rotate_secret(endpoint_id)


def replay(ctx: Ctx, message_id: str, endpoint_id: str) -> MessageSummary:
    with _changing(ctx) as api:
        return api.replay(message_id, endpoint_id=endpoint_id)


def _extras(ctx: Ctx) -> Any:
    """The sandbox's extras for this agent (only when connected to the sandbox)."""
    from envoy_sandbox.extras import SandboxExtras

    conn = _CONNECTIONS[ctx.fingerprint]
    if conn.sandbox_root is None:
        raise ValueError("Test events need the sandbox; this console is connected to Envoy.")
    return SandboxExtras(conn.sandbox_root, api_key=conn.api_key, bearer_token=conn.bearer_token,
                         organization_id=ctx.organization_id)  # fmt: skip


def last_demo_delivery(ctx: Ctx) -> dict[str, Any] | None:
    """The newest signed delivery a demo receiver accepted, with its headers (sandbox only)."""
    api = client(ctx).webhooks
    with _extras(ctx) as extras:
        for name in ("ok", "flaky"):
            for receipt in extras.received(name, limit=10)["received"]:
                if not (receipt["verified"] and receipt["webhook_id"]):
                    continue
                try:  # the receivers are shared: the delivery must be this organization's
                    api.list_message_attempts(receipt["webhook_id"])
                except EnvoyError:
                    continue
                return dict(receipt)
    return None


def demo_secret(ctx: Ctx, message_id: str) -> str:
    """The current secret of the endpoint ``message_id`` went to (sandbox only; never cached)."""
    attempts = client(ctx).webhooks.list_message_attempts(message_id)
    endpoint_id = attempts[0].endpoint_id if attempts else None
    if not endpoint_id:
        raise ValueError(f"No attempt of {message_id} names its endpoint.")
    with _extras(ctx) as extras:
        secrets: list[str] = extras.endpoint_secrets(endpoint_id)
    return secrets[0]


def send_test_event(ctx: Ctx, event_type: str, payload: dict[str, Any]) -> int:
    """Emit an event through the sandbox (offered only when connected to one); returns how many
    messages it queued."""
    with _extras(ctx) as extras:
        try:
            return len(extras.emit(event_type, payload)["messages"])
        finally:
            _changed(ctx)
