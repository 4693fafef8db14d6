"""A slow receiver harms nobody else: while 8 endpoints' receivers hold their connections,
dripping their answers a byte a second, another endpoint's event still arrives within 2 s,
whether that endpoint belongs to the same organization or another.

The sender runs on the sandbox's own defaults (workers, attempt timeout, poll interval): only
retries are fast, as in every sandbox test."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from envoy_sandbox import SandboxExtras
from envoy_sandbox.config import SECOND_ORG_API_KEY, SandboxSettings

from ..helpers import wait_for
from .conftest import EVENT_LOAD, make_sandbox
from .support import Arrival, LocalReceiver

DEFAULTS = SandboxSettings()
DRIPS = 8
DRIP_BYTES, INTERVAL = 60, 1.0  # a byte a second: a whole answer would take a minute
TARGET = 2.0  # seconds from the emit to the healthy receiver reading the delivery
EVENT = "offer.accepted"


def test_dripping_receivers_do_not_delay_a_healthy_endpoint(tmp_path: Path) -> None:
    sb, stop = make_sandbox(
        tmp_path,
        loads=20,
        seed_history=False,
        sender_workers=DEFAULTS.sender_workers,
        attempt_timeout=DEFAULTS.attempt_timeout,
        sender_poll_interval=DEFAULTS.sender_poll_interval,
    )
    drip = LocalReceiver(drip=DRIP_BYTES, interval=INTERVAL)
    same_org, other_org = LocalReceiver(), LocalReceiver()
    # One client per organization, made before the clock starts: only the sender is timed.
    other = SandboxExtras(sb.root, api_key=SECOND_ORG_API_KEY)
    try:
        with drip, same_org, other_org, other:

            def healthy() -> dict[str, float]:
                return {
                    "another organization": delay(other_org, lambda: other.emit(EVENT, EVENT_LOAD)),
                    "the same organization": delay(same_org, lambda: sb.emit(EVENT, EVENT_LOAD)),
                }

            sb.client.webhooks.create_endpoint(url=same_org.url, event_types=[EVENT])
            sb.other.webhooks.create_endpoint(url=other_org.url, event_types=[EVENT])
            without = healthy()
            for _ in range(DRIPS):
                sb.client.webhooks.create_endpoint(url=drip.url, event_types=[EVENT])
            sb.emit(EVENT, EVENT_LOAD)  # to the drips first (and the same-org healthy one)
            wait_for(lambda: len(drip.arrivals) >= DRIPS, what="every drip holding a connection")
            # Until then no drip attempt has timed out, so none has given its worker back.
            held_until = drip.arrivals[0].at + DEFAULTS.attempt_timeout
            # The same organization's emit also sends each drip a second message: those must not
            # go ahead of the healthy endpoint's either.
            with_ = healthy()
            last_arrival = max(other_org.arrivals[-1].at, same_org.arrivals[-1].at)
    finally:
        stop()
    report = "; ".join(
        f"healthy delivery ({who}): {with_[who]:.2f} s with {DRIPS} drip receivers,"
        f" {without[who]:.2f} s without"
        for who in with_
    )
    print(f"\n{report}")
    assert max(with_.values()) < TARGET, report
    assert last_arrival < held_until, f"measured after a drip gave its worker back: {report}"


def delay(receiver: LocalReceiver, emit: Callable[[], object]) -> float:
    """Seconds from ``emit`` (one event) to ``receiver`` reading its delivery."""
    seen = len(receiver.arrivals)

    def arrived() -> Arrival | None:
        return receiver.arrivals[seen] if len(receiver.arrivals) > seen else None

    started = time.monotonic()
    emit()
    # Bound well past the target, so that a miss is measured rather than cut short.
    arrival = wait_for(arrived, timeout=4 * DEFAULTS.attempt_timeout, what="the healthy delivery")
    assert arrival is not None
    return arrival.at - started
