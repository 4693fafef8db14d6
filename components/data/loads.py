"""Loads: the list and its tab counts, one load with its calls, failed verifications and active
escalations, and every webhook attempt about it (the load's story), read concurrently."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import streamlit as st

from components.data.cache import (
    _POOL,
    TTL,
    Ctx,
    Fetched,
    Outcome,
    PageResult,
    _fresh,
    _now,
    _outcome,
    _record,
    client,
    read,
    steady,
    submit,
    warm,
)
from components.data.webhooks import _load_attempts, endpoints
from components.domain import story
from envoy_api import (
    Call,
    CarrierVerification,
    DeliveryAttempt,
    Escalation,
    Load,
    TabCounts,
    WebhookEndpoint,
)

LARGE_EXPORT = 2_000  # rows: a bigger CSV export asks before it starts


@dataclass(frozen=True)
class LoadsView:
    """The tab counts and one page of a tab, fetched together so they never disagree."""

    counts: TabCounts
    page: PageResult[Load]


# The spinner is Streamlit's cache's: shown on a miss only (``st.spinner`` starts a thread on
# every call, which waits for the interpreter lock on a busy server: ~30 ms a click). Kept as
# the object, not a pickled copy: unpickling a page of loads on every rerun of the Loads page
# was a tenth of the rerun; the page only reads it (``views/load_list.py``).
@st.cache_resource(ttl=TTL, max_entries=500, show_spinner="Loading loads…")
def _loads_view(
    ctx: Ctx, tab: str, search: str | None, page: int, page_size: int
) -> Fetched[LoadsView]:
    api = client(ctx).loads
    counts = _POOL.submit(api.tab_counts)
    rows = api.list(tab=None if tab == "all" else tab, search=search, page=page,
                    page_size=page_size)  # fmt: skip
    now = _now()
    return Fetched(LoadsView(counts.result(), PageResult(rows.data, rows.pagination, now)), now)


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _loads_page(
    ctx: Ctx, tab: str | None, search: str | None, page: int, page_size: int
) -> Fetched[PageResult[Load]]:
    result = client(ctx).loads.list(tab=tab, search=search, page=page, page_size=page_size)
    now = _now()
    return Fetched(PageResult(result.data, result.pagination, now), now)


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


DETAIL_READS: tuple[Callable[[Ctx, str], Fetched[Any]], ...] = (
    _load,
    _calls,
    _verifications,
    _escalations,
)


def loads_view(ctx: Ctx, *, tab: str, search: str, page: int, page_size: int) -> LoadsView:
    """Tab counts and a page of ``tab`` as one snapshot (tab "all" lists every load)."""
    return _record(_loads_view(steady(ctx), tab, search or None, page, page_size))


def loads_page(
    ctx: Ctx, *, tab: str | None, search: str | None, page: int, page_size: int
) -> PageResult[Load]:
    return _record(read(_loads_page, steady(ctx), tab, search or None, page, page_size))


def load(ctx: Ctx, load_id: str) -> Load:
    """One load (raises ``NotFoundError`` when this organization has none by that id)."""
    return _record(_load(steady(ctx), load_id))


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


def detail_warm(ctx: Ctx, load_id: str) -> bool:
    """Whether the load's own reads are warm (``load_detail`` then answers at once)."""
    return all(warm(fn, steady(ctx), load_id) for fn in DETAIL_READS)


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
    futures = [submit(fn, steady(ctx), load_id) for fn in DETAIL_READS]
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
