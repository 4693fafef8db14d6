"""One deadline per delivery attempt: a receiver that drips its answer fails its own attempt
after ``attempt_timeout`` instead of holding sender workers that other organizations need."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from envoy_api import DeliveryAttempt, EnvoyClient
from envoy_sandbox.config import SECOND_ORG_API_KEY

from ..helpers import wait_for
from .conftest import EVENT_LOAD, make_sandbox
from .support import LocalReceiver

TIMEOUT = 1.0  # attempt_timeout
DRIPS = 3  # endpoints that drip, more than the sender has workers
WORKERS = 2
DRIP_BYTES, INTERVAL = 150, 0.2  # 30 s per answer, and never 1 s without a byte
EVENT = "offer.accepted"


@pytest.mark.parametrize("drip_in", ["body", "headers"])
def test_a_dripping_receiver_does_not_hold_up_others(tmp_path: Path, drip_in: str) -> None:
    sb, stop = make_sandbox(
        tmp_path, loads=20, sender_workers=WORKERS, attempt_timeout=TIMEOUT, seed_history=False
    )
    drip = LocalReceiver(drip=DRIP_BYTES, drip_in=drip_in, interval=INTERVAL)
    healthy = LocalReceiver()
    try:
        with drip, healthy:
            slow_ids = {
                sb.client.webhooks.create_endpoint(url=drip.url, event_types=[EVENT]).id
                for _ in range(DRIPS)
            }
            sb.other.webhooks.create_endpoint(url=healthy.url, event_types=[EVENT])
            emitted = sb.emit(EVENT, EVENT_LOAD)
            wait_for(lambda: len(drip.arrivals) >= WORKERS, what="every worker on a drip")
            started = time.monotonic()
            sb.emit(EVENT, EVENT_LOAD, key=SECOND_ORG_API_KEY)
            wait_for(lambda: healthy.arrivals, timeout=4 * TIMEOUT, what="the healthy delivery")
            waited = time.monotonic() - started
            first = next(m["id"] for m in emitted["messages"] if m["endpoint_id"] in slow_ids)
            attempt = wait_for(lambda: failed_first_attempt(sb.client, first), what="a FAILED")
    finally:
        stop()
    assert attempt is not None
    assert waited < 4 * TIMEOUT  # a drip would have held both workers DRIP_BYTES * INTERVAL s
    assert attempt.error_message and attempt.error_message.startswith("Timed out")
    assert attempt.response_status_code is None
    assert attempt.duration_ms is not None
    assert TIMEOUT * 1000 * 0.95 <= attempt.duration_ms < TIMEOUT * 1000 * 1.5


def failed_first_attempt(client: EnvoyClient, message_id: str) -> DeliveryAttempt | None:
    rows = client.webhooks.list_message_attempts(message_id)
    return rows[0] if rows and rows[0].status == "FAILED" else None
