"""Keeping the shared, expensive views warm: the attention board and endpoint health.

Every agent of an organization opens the attention board, and it costs dozens of reads. A
thread in each replica refreshes it (and with it every endpoint's health) every few seconds for
the organizations opened in the last ten minutes, at the organization's current change stamp:
what a change made stale, or what will expire within two of its rounds (``AHEAD``), is
fetched again here and the board made again, so the agent's click finds it made instead of
waiting for the refetch. An agent who pressed Refresh data reads with keys of their own and
fetches.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import timedelta

from components import data, store
from components.ops import background

log = logging.getLogger("envoy_console.warm")
EVERY = 5.0  # seconds between refreshes
# What expires within this is refreshed on this round. Those reads go to the replica's pool, as
# an agent's do: fetched one after another on this thread they took less of a busy replica's
# interpreter lock, but against an Envoy 200 ms away the hundreds of reads of a large
# organization's board would not all be fetched again before they expire.
AHEAD = timedelta(seconds=2 * EVERY)
THREAD = "console-warm"
IDLE_AFTER = 600.0  # an organization nobody opened for this long is no longer kept warm
_active: dict[tuple[str, str | None], tuple[data.Ctx, float]] = {}
_lock = threading.Lock()


def note(ctx: data.Ctx) -> None:
    """An agent works in ``ctx``'s organization: keep its board warm (and start the thread)."""
    shared = replace(ctx, nonce=0, generation=0, tick=0)
    with _lock:
        _active[(ctx.fingerprint, ctx.organization_id)] = (shared, time.monotonic())
    background.start_once(THREAD, "ENVOY_WARM", _loop, quiet=True)


def warm_once() -> int:
    """Refresh what has gone stale for every organization kept warm; how many were."""
    now = time.monotonic()
    with _lock:
        for key, (_, seen) in list(_active.items()):
            if now - seen > IDLE_AFTER:
                del _active[key]
        kept = [ctx for ctx, _ in _active.values()]
    for ctx in kept:
        try:  # one organization failing (a revoked key) leaves the others warm
            current = replace(ctx, stamp=store.stamp(ctx.organization_id))
            with data.ahead(AHEAD):  # what is fresh comes back at once; the rest is fetched now
                data.board(current)
        except Exception as exc:
            log.warning("could not keep a board warm: %s", type(exc).__name__)
    return len(kept)


def _loop() -> None:
    while True:
        try:
            warm_once()
        except Exception as exc:  # Envoy or the database away for a moment: next round
            log.warning("could not keep the attention board warm: %s", type(exc).__name__)
        time.sleep(EVERY)
