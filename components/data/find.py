"""Find: ask the API only what a pasted term's kind needs, concurrently and bounded.

Envoy can look up a load, a message (by its id, the ``webhook-id`` header) and an endpoint
directly, and search loads by number, name and city. It cannot look up an event, an attempt, a
call or an escalation by id: those are found in bounded scans (the newest attempts of each
endpoint; the calls of the newest loads; the escalations of the loads with an active one), and
``Found.searched`` says each window, so "not found" is never claimed beyond what was read.
Every read is cached with the usual keys (connection fingerprint and organization, ``cache``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import streamlit as st

from components.data.cache import TTL, Ctx, Fetched, _fresh, _now, _outcome, steady, submit
from components.data.loads import _calls, _escalations, loads_page
from components.data.loads import load as read_load
from components.data.webhooks import day_of_attempts, endpoints, message_attempts
from components.domain import find
from components.domain.find import Hit, Kind, Query
from components.domain.formats import when
from components.domain.story import safe_url
from envoy_api import DeliveryAttempt, EnvoyError, Load, NotFoundError, WebhookEndpoint

LOAD_MATCHES = 20  # loads a text search lists (the Loads list has the rest)
SCAN_PAGES = 5  # pages of 100 of each endpoint's newest attempts an evt_/atmp_ search reads
CALL_LOADS = 50  # the newest loads whose calls a call_ search reads
ESCALATED_LOADS = 100  # loads with an active escalation whose escalations an esc_ search reads


@dataclass
class Found:
    """What a search found, what it searched (each bounded read with its window) and what
    could not be read (a source and its error: the rest still counts)."""

    query: Query
    hits: list[Hit] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)
    problems: list[tuple[str, Exception]] = field(default_factory=list)
    more_loads: int = 0  # loads the text search matched beyond those listed

    def attempt(self, what: str, fn: Callable[[], None]) -> None:
        """Run one source; an API error is noted against ``what`` and the others go on."""
        try:
            fn()
        except NotFoundError:
            pass
        except (EnvoyError, ValueError) as exc:
            self.problems.append((what, exc))


def search(ctx: Ctx, query: Query) -> Found:
    """Everything ``query``'s kind can be, looked up."""
    found = Found(query)
    runners: dict[Kind, list[Callable[[Ctx, Found], None]]] = {
        Kind.LOAD: [_load_by_id],
        Kind.MESSAGE: [_message_by_id],
        Kind.ENDPOINT: [_endpoints],
        Kind.UUID: [_load_by_id, _message_by_id, _endpoints],
        Kind.EVENT: [_scan_attempts],
        Kind.ATTEMPT: [_scan_attempts],
        Kind.CALL: [_scan_calls],
        Kind.ESCALATION: [_scan_escalations],
        Kind.URL: [_endpoints],
        Kind.CITY_PAIR: [_city_pair, _endpoints],
        Kind.TEXT: [_loads_text, _endpoints],
    }
    for run in runners.get(query.kind, []):
        run(ctx, found)
    return found


def _id_for(query: Query, prefix: str) -> str:
    return query.term if query.kind is not Kind.UUID else f"{prefix}_{query.term}"


def _load_by_id(ctx: Ctx, found: Found) -> None:
    load_id = _id_for(found.query, "load")
    found.searched.append(f"the load with id {load_id}")

    def look() -> None:
        found.hits.append(find.load_hit(read_load(ctx, load_id), "load id", 100))

    found.attempt("the load", look)


def _message_by_id(ctx: Ctx, found: Found) -> None:
    message_id = _id_for(found.query, "msg")
    found.searched.append(f"the message with id (webhook-id) {message_id}")

    def look() -> None:
        attempts = message_attempts(ctx, message_id)
        if attempts:
            first = attempts[0]
            event = (first.payload.type if first.payload else None) or "unknown event"
            why = "message id (the webhook-id header its receiver logged)"
            hit = find.message_hit(message_id, first.endpoint_id or "", event, why, 100)
            found.hits.append(hit)

    found.attempt("the message", look)


def _endpoints(ctx: Ctx, found: Found) -> None:
    term = _id_for(found.query, "ep") if found.query.kind is Kind.UUID else found.query.term
    found.searched.append("every webhook endpoint's id, URL and description")

    def look() -> None:
        for ep in endpoints(ctx):
            hit = find.endpoint_match(ep, term)
            if hit is not None:
                found.hits.append(hit)

    found.attempt("the webhook endpoints", look)


def _loads_text(ctx: Ctx, found: Found, term: str | None = None) -> None:
    term = term or found.query.term
    found.searched.append(f"every load's number, customer, carrier and cities for “{term}”")

    def look() -> None:
        page = loads_page(ctx, tab=None, search=term, page=1, page_size=LOAD_MATCHES)
        found.hits += [find.load_match(load, term) for load in page.items]
        found.more_loads = max(page.pagination.total_count - len(page.items), 0)

    found.attempt("the loads", look)


def _city_pair(ctx: Ctx, found: Found) -> None:
    origin, destination = found.query.pair
    found.searched.append(f"loads going from “{origin}” to “{destination}”")

    def look() -> None:
        page = loads_page(ctx, tab=None, search=origin, page=1, page_size=100)
        for load in page.items:
            hit = find.pair_match(load, origin, destination)
            if hit is not None:
                found.hits.append(hit)
        if page.pagination.total_count > len(page.items):
            found.searched[-1] += f" (among the newest 100 of {page.pagination.total_count:,} "
            found.searched[-1] += f"loads with a stop in “{origin}”)"

    found.attempt("the loads", look)
    if not found.hits:  # "Ship to Shore" is a name, not a lane
        _loads_text(ctx, found)


# ---- bounded scans: what the API cannot look up by id ----


@st.cache_resource(ttl=TTL, max_entries=200, show_spinner=False)
def _newest_attempts(ctx: Ctx, endpoint_id: str, pages: int) -> Fetched[list[DeliveryAttempt]]:
    # A resource cache: only read, so handed out as it is.
    return Fetched(day_of_attempts(ctx, endpoint_id, None, pages)[0], _now())


def _scan_attempts(ctx: Ctx, found: Found) -> None:
    """An event or an attempt id, among the newest attempts of every endpoint."""
    try:
        eps = endpoints(ctx)
    except EnvoyError as exc:
        found.problems.append(("the webhook endpoints", exc))
        return
    fresh = _fresh(ctx)
    futures = {ep.id: submit(_newest_attempts, fresh, ep.id, SCAN_PAGES) for ep in eps}
    oldest: datetime | None = None
    for ep in eps:
        outcome = _outcome(futures[ep.id])
        if outcome.value is None:
            found.problems.append((f"the attempts of {ep.url}", outcome.error or Exception()))
            continue
        rows = outcome.value
        times = [a.created_at for a in rows if a.created_at is not None]
        if len(rows) >= SCAN_PAGES * 100 and times:
            oldest = min(times) if oldest is None else max(oldest, min(times))
        found.hits += _attempt_hits(found.query, rows, ep)
    window = "" if oldest is None else f", back to {when(oldest)} UTC on the busiest"
    found.searched.append(
        f"the newest {SCAN_PAGES * 100:,} delivery attempts of each of the {len(eps)} webhook "
        f"endpoints{window}"
    )


def _attempt_hits(query: Query, rows: list[DeliveryAttempt], ep: WebhookEndpoint) -> list[Hit]:
    hits: list[Hit] = []
    for a in rows:
        payload = a.payload
        event = (payload.type if payload else None) or "unknown event"
        if query.kind is Kind.ATTEMPT and a.id == query.term:
            why = f"attempt {a.attempt} of this message is {a.id}"
        elif query.kind is Kind.EVENT and payload is not None and payload.id == query.term:
            why = f"event {query.term} was sent as this message to {safe_url(ep.url)}"
        else:
            continue
        hits.append(find.message_hit(a.message_id, a.endpoint_id or "", event, why, 100))
    return hits


def _scan_loads(
    ctx: Ctx, found: Found, tab: str | None, size: int, read: Callable[..., Fetched[Any]]
) -> list[tuple[Load, Any]]:
    """(load, what ``read`` gave for it) for the first ``size`` loads of ``tab``, concurrently."""
    page = loads_page(ctx, tab=tab, search=None, page=1, page_size=size)
    futures: list[tuple[Load, Future[Fetched[Any]]]] = [
        (load, submit(read, steady(ctx), load.id)) for load in page.items
    ]
    result: list[tuple[Load, Any]] = []
    for load, future in futures:
        outcome = _outcome(future)
        if outcome.value is None:
            found.problems.append((f"load {load.load_number}", outcome.error or Exception()))
        else:
            result.append((load, outcome.value))
    return result


def _scan_calls(ctx: Ctx, found: Found) -> None:
    """A call id, among the calls of the newest loads (Envoy lists calls per load only)."""
    found.searched.append(f"the calls of the {CALL_LOADS} most recently updated loads")

    def look() -> None:
        for load, calls in _scan_loads(ctx, found, None, CALL_LOADS, _calls):
            if any(c.id == found.query.term for c in calls):
                found.hits.append(find.entry_hit("Calls", found.query.term, load, "call id"))

    found.attempt("the loads", look)


def _scan_escalations(ctx: Ctx, found: Found) -> None:
    """An escalation id, among the active escalations of the loads that have one (Envoy lists
    only active escalations, and per load only)."""
    found.searched.append(
        f"the active escalations of up to {ESCALATED_LOADS} loads with an active escalation"
    )

    def look() -> None:
        for load, escs in _scan_loads(ctx, found, "active_escalations", ESCALATED_LOADS,
                                      _escalations):  # fmt: skip
            if any(e.id == found.query.term for e in escs):
                hit = find.entry_hit("Escalations", found.query.term, load, "escalation id")
                found.hits.append(hit)

    found.attempt("the loads", look)
