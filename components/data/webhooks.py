"""Webhooks: endpoints, the event-type catalogue, delivery attempts (a page, a message, a
sample for charts, a bounded walk for bulk work), the messages of a window judged by all their
attempts, each endpoint's health, and every write, each of which makes stale what it changed
(``cache._changing``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from components.data.cache import (
    _POOL,
    CATALOGUE_TTL,
    MESSAGE_TTL,
    TTL,
    Ctx,
    Fetched,
    Outcome,
    PageResult,
    _changing,
    _fresh,
    _now,
    _outcome,
    _record,
    client,
    read,
    steady,
    submit,
)
from components.domain import deliveries
from components.domain.rules import REPLAYABLE
from envoy_api import (
    DeliveryAttempt,
    EnvoyError,
    EventType,
    MessageSummary,
    Pagination,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)


@st.cache_data(ttl=TTL, max_entries=200, show_spinner=False)
def _endpoints(ctx: Ctx) -> Fetched[list[WebhookEndpoint]]:
    return Fetched(client(ctx).webhooks.list_endpoints(), _now())


@st.cache_data(ttl=CATALOGUE_TTL, max_entries=100, show_spinner=False)
def _event_types(ctx: Ctx) -> Fetched[list[EventType]]:
    return Fetched(client(ctx).webhooks.list_event_types(), _now(), CATALOGUE_TTL)


@dataclass(frozen=True)
class AttemptFilter:
    """The deliveries view's filters (hashable: part of the cache key).

    ``outcome`` (a key of ``deliveries.OUTCOMES``) is a message filter the API cannot apply: the
    console judges each message of the window itself (``messages``); it is never sent.
    """

    endpoint_id: str
    statuses: tuple[str, ...] = ()
    event_type: str | None = None
    load_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None

    def query(self) -> dict[str, Any]:
        return {
            "status": list(self.statuses) or None,
            "event_type": self.event_type,
            "load_id": self.load_id,
            "since": self.since,
            "until": self.until,
        }


@st.cache_data(ttl=TTL, max_entries=500, show_spinner="Loading attempts…")  # on a miss only
def _attempts_page(
    ctx: Ctx, flt: AttemptFilter, page: int, page_size: int
) -> Fetched[PageResult[DeliveryAttempt]]:
    result = client(ctx).webhooks.list_endpoint_attempts(
        flt.endpoint_id, page=page, page_size=page_size, **flt.query()
    )
    now = _now()
    return Fetched(PageResult(result.data, result.pagination, now), now)


@st.cache_data(ttl=MESSAGE_TTL, max_entries=500, show_spinner=False)
def _message_attempts(ctx: Ctx, message_id: str) -> Fetched[list[DeliveryAttempt]]:
    return Fetched(client(ctx).webhooks.list_message_attempts(message_id), _now(), MESSAGE_TTL)


HEALTH_PAGES = 10  # pages of 100 of an endpoint's last 24 h that its health reads at most


@st.cache_data(ttl=TTL, max_entries=500, show_spinner=False)
def _health(ctx: Ctx, endpoint_id: str, hour: str) -> Fetched[deliveries.Health]:
    # The newest attempts of the last 24 hours (``hour`` keys the window), page after page on
    # this pool thread; bounded, so an endpoint with millions of attempts costs what 1,000 do.
    since = datetime.fromisoformat(hour) - timedelta(hours=24)
    rows, total = day_of_attempts(ctx, endpoint_id, since)
    return Fetched(deliveries.health(rows, total), _now())


def day_of_attempts(
    ctx: Ctx, endpoint_id: str, since: datetime | None, pages: int = HEALTH_PAGES
) -> tuple[list[DeliveryAttempt], int]:
    """The endpoint's newest attempts (since ``since``, when given), at most ``pages`` pages of
    100, newest first, and how many there are in all: what its health is judged on, and what a
    search for an event or attempt id scans. Page after page on the calling thread (which may be
    a pool thread: the pool must not wait on itself). Not cached."""
    api = client(ctx).webhooks
    rows: list[DeliveryAttempt] = []
    total = 0
    for number in range(1, pages + 1):
        page = api.list_endpoint_attempts(endpoint_id, since=since, page=number, page_size=100)
        rows += page.data
        total = page.pagination.total_count
        if number >= page.pagination.total_pages:
            break
    return rows, total


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
    result = _record(read(_endpoints, ctx))
    if must_include and all(ep.id != must_include for ep in result):
        _endpoints.clear(ctx)
        result = _record(_endpoints(ctx))
    return result


def event_types(ctx: Ctx) -> list[EventType]:
    return _record(_event_types(steady(ctx)))


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


def walk_attempts(
    ctx: Ctx, flt: AttemptFilter, *, max_pages: int = 20, page_size: int = 100
) -> tuple[list[DeliveryAttempt], bool]:
    """Up to ``max_pages`` pages of a filter, newest first, fetched concurrently after the first.

    Returns the attempts and whether that was all of them. Not cached: bulk work wants it fresh.
    """
    rows, pagination = _walk(ctx, flt, max_pages, page_size)
    return rows, pagination.total_pages <= max_pages


def _walk(
    ctx: Ctx, flt: AttemptFilter, max_pages: int, page_size: int
) -> tuple[list[DeliveryAttempt], Pagination]:
    """``walk_attempts``, with the first page's pagination (the filter's total)."""
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
    return rows, first.pagination


MESSAGE_PAGES = 20  # pages of 100 attempts the message filters read at most: the newest 2,000
HISTORY_LOOKUPS = 100  # messages whose older attempts fell outside those, looked up one by one


@dataclass(frozen=True)
class Messages:
    """The messages that had an attempt in a filter's window (status aside), each judged by all
    its attempts, as far as the bounds allowed."""

    states: list[deliveries.MessageState]  # newest message first
    attempts: list[DeliveryAttempt]  # every attempt read: the window's and older ones looked up
    read: int  # attempts of the window read (the newest ones)
    total: int  # attempts in the window
    unsure: int = 0  # messages whose older attempts were not looked up (judged on the window's)

    @property
    def complete(self) -> bool:
        return self.read >= self.total


def _read_messages(ctx: Ctx, flt: AttemptFilter, max_pages: int, fresh: bool) -> Messages:
    """The window's newest attempts, grouped into messages. The API filters attempts, not
    messages, so a message's outcome is judged here: by its newest attempt, which the window's
    newest-first read always holds, and by whether any attempt failed before it. A message whose
    first attempt is older than what was read, and whose newest did not fail, has its attempts
    read whole (up to HISTORY_LOOKUPS messages, concurrently): delivered after a replay today of
    last week's dead message is "delivered after retries", not "delivered". Those histories come
    from the cache a message's own view reads too, unless ``fresh``."""
    rows, pagination = _walk(ctx, replace(flt, statuses=(), outcome=None), max_pages, 100)
    by_message: dict[str, list[DeliveryAttempt]] = {}
    for a in rows:
        by_message.setdefault(a.message_id, []).append(a)
    partial = [m for m, seen in by_message.items()  # newest first, as read
               if min(a.attempt for a in seen) > 1
               and max(seen, key=lambda a: a.attempt).status not in REPLAYABLE]  # fmt: skip
    api = client(ctx).webhooks

    def history_of(message_id: str) -> list[DeliveryAttempt]:
        if fresh:
            return api.list_message_attempts(message_id)
        return _message_attempts(ctx, message_id).value

    lookups = {m: submit(history_of, m) for m in partial[:HISTORY_LOOKUPS]}
    unsure = max(len(partial) - HISTORY_LOOKUPS, 0)
    for message_id, future in lookups.items():
        try:
            history = future.result()
        except EnvoyError:  # one message's history is a refinement: judged on what was read
            unsure += 1
            continue
        if history:
            by_message[message_id] = history
    attempts = [a for seen in by_message.values() for a in seen]
    return Messages(deliveries.message_states(attempts), attempts, len(rows),
                    pagination.total_count, unsure)  # fmt: skip


@st.cache_resource(ttl=TTL, max_entries=50, show_spinner="Reading the window's messages…")
def _messages(ctx: Ctx, flt: AttemptFilter, max_pages: int) -> Fetched[Messages]:
    # A resource cache: thousands of attempts are handed out as they are (only read), not
    # unpickled on every rerun.
    return Fetched(_read_messages(ctx, flt, max_pages, fresh=False), _now())


def messages(
    ctx: Ctx, flt: AttemptFilter, *, max_pages: int = MESSAGE_PAGES, fresh: bool = False
) -> Messages:
    """The messages with an attempt in ``flt``'s window (its event type, load and time; its
    statuses and outcome aside), from its newest ``max_pages`` pages of 100 attempts. Cached,
    unless ``fresh`` (bulk work)."""
    ctx, flt = _fresh(ctx), replace(flt, statuses=(), outcome=None)  # one read for every outcome
    if fresh:
        return _read_messages(ctx, flt, max_pages, fresh=True)
    return _record(_messages(ctx, flt, max_pages))


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
