"""One deadline per delivery attempt: a receiver that drips its answer, or a name that takes for
ever to resolve, fails its own attempt after ``attempt_timeout`` instead of holding sender
workers that other organizations need."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from envoy_api import DeliveryAttempt, EnvoyClient
from envoy_sandbox.config import SECOND_ORG_API_KEY

from ..helpers import wait_for
from .conftest import EVENT_LOAD, make_sandbox
from .support import LocalReceiver

TIMEOUT = 1.0  # attempt_timeout
# An attempt ends at its deadline, give or take a busy machine's scheduling (1.6 s seen beside
# a CPU burner): far short of the 30 s a drip would hold it, which is what the bound tells apart.
LATE = 3
DRIPS = 3  # endpoints that drip, more than the sender has workers
WORKERS = 2
DRIP_BYTES, INTERVAL = 150, 0.2  # 30 s per answer, and never 1 s without a byte
EVENT = "offer.accepted"
HANGING_HOST = "resolver-hangs.test"


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
    assert TIMEOUT * 1000 * 0.95 <= attempt.duration_ms < TIMEOUT * 1000 * LATE


def test_a_name_resolution_that_hangs_fails_its_attempt_on_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = threading.Event()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != HANGING_HOST:
            return real(host, *args, **kwargs)
        released.wait(60)  # the OS resolver, stuck until the test ends
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    sb, stop = make_sandbox(tmp_path, loads=20, attempt_timeout=TIMEOUT, seed_history=False)
    try:
        sb.client.webhooks.create_endpoint(url=f"http://{HANGING_HOST}/hook", event_types=[EVENT])
        message = sb.emit(EVENT, EVENT_LOAD)["messages"][0]["id"]
        attempt = wait_for(lambda: failed_first_attempt(sb.client, message), what="a FAILED")
    finally:
        released.set()
        stop()
    assert attempt is not None
    assert attempt.error_message and attempt.error_message.startswith("Timed out")
    assert attempt.duration_ms is not None
    assert TIMEOUT * 1000 * 0.95 <= attempt.duration_ms < TIMEOUT * 1000 * LATE


def failed_first_attempt(client: EnvoyClient, message_id: str) -> DeliveryAttempt | None:
    rows = client.webhooks.list_message_attempts(message_id)
    return rows[0] if rows and rows[0].status == "FAILED" else None
