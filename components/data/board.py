"""The attention board: what needs a human now (failing endpoints and the loads they leave
uninformed, active escalations, failed vettings), read concurrently; each part may fail alone."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from components.data.cache import (
    Ctx,
    Outcome,
    Span,
    _fresh,
    _now,
    _outcome,
    _record,
    collecting,
    remember,
    shared,
    soon,
    steady,
    submit,
)
from components.data.loads import _escalations, _load, _loads_page, _verifications, loads_page
from components.data.webhooks import endpoint_health, endpoints
from components.domain import deliveries
from components.domain.formats import words
from envoy_api import CarrierVerification, Escalation, Load, WebhookEndpoint

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

    @property
    def complete(self) -> bool:
        """Every part read without an error (a board with a failed part is not kept)."""
        parts = [self.escalations.ok, self.verifications.ok, self.impact.escalated.ok]
        return all(parts) and all(h.ok for h in self.impact.healths.values())


def _tab_loads(ctx: Ctx, tab: str, capped: list[str]) -> Outcome[list[Load]]:
    """Up to BOARD_LOADS loads of a tab (cached pages); notes in ``capped`` when there are more."""
    try:
        first = loads_page(ctx, tab=tab, search=None, page=1, page_size=100)
        pages = min(first.pagination.total_pages, BOARD_LOADS // 100)
        rest = [submit(_loads_page, steady(ctx), tab, None, n, 100) for n in range(2, pages + 1)]
        rows = list(first.items) + [x for f in rest for x in _record(f.result()).items]
    except Exception as exc:  # the board and the health table stand without this part
        return Outcome(error=exc)
    if first.pagination.total_pages > pages:
        capped.append(words(tab, capital=False))
    return Outcome(rows)


def impact(ctx: Ctx) -> Impact:
    ctx = shared(ctx)
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


# One board per organization and data version, shared by every agent's reruns: made again only
# when a piece of it expires from the cache, or the change stamp, this replica's generation of
# the organization's webhooks or a Refresh data (the key, ``_key``) says it is stale. Until
# then a rerun would only rebuild the same board from the same cache entries, at dozens of cache
# reads and pool tasks each. The warm thread makes it again a little before it is due
# (``cache.ahead``), so an agent's rerun finds it made.
_made: dict[Ctx, tuple[Board, list[Span], datetime]] = {}  # board, its spans, when it is due
_made_lock = threading.Lock()


def _key(ctx: Ctx) -> Ctx:
    return _fresh(shared(ctx))


def board(ctx: Ctx) -> Board:
    ctx = _key(ctx)
    now = _now()
    with _made_lock:
        for key in [k for k, (_, _, due) in _made.items() if due <= now]:
            del _made[key]
        kept = _made.get(ctx)
    if kept is not None and kept[2] > soon():
        remember(kept[1])  # this run shows data of those ages, and refreshes when it is due
        return kept[0]
    with collecting() as spans:
        made = _board(ctx)
    if spans and made.complete:
        due = min(expires for _, expires in spans)
        with _made_lock:
            if ctx not in _made or _made[ctx][2] < due:  # not over a newer one made meanwhile
                _made[ctx] = (made, spans, due)
    return made


def board_ready(ctx: Ctx) -> bool:
    """Whether ``board`` has this data version's board made (it then answers at once)."""
    kept = _made.get(_key(ctx))
    return kept is not None and kept[2] > _now()


def forget_boards() -> None:
    """Make every board again on its next read (after the caches were cleared)."""
    with _made_lock:
        _made.clear()


def _board(ctx: Ctx) -> Board:
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
