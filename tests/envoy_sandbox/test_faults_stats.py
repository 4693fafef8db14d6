"""Fault injection, request statistics and the per-credential rate limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from envoy_api import APIResponseValidationError, InternalServerError, RateLimitError

from .conftest import Sandbox, make_sandbox


@pytest.fixture
def clean(sandbox: Sandbox) -> Iterator[Sandbox]:
    sandbox.http.delete("/_sandbox/faults")
    yield sandbox
    sandbox.http.delete("/_sandbox/faults")


def test_forced_status_on_one_route(clean: Sandbox) -> None:
    sb = clean
    load = sb.client.loads.list(tab="active_escalations", page_size=1).data[0]
    r = sb.http.post("/_sandbox/faults", json={"route": "/loads/*/escalations", "status": 500})
    assert r.status_code == 201
    with pytest.raises(InternalServerError) as info:
        sb.client.loads.active_escalations(load.id)
    assert info.value.code == "internal_error"
    assert sb.client.loads.calls(load.id) is not None  # other routes unaffected
    assert len(sb.http.get("/_sandbox/faults").json()) == 1
    sb.http.delete("/_sandbox/faults")
    assert sb.client.loads.active_escalations(load.id)


def test_latency_and_malformed_body(clean: Sandbox) -> None:
    sb = clean
    sb.http.post("/_sandbox/faults", json={"route": "/loads/tab-counts", "latency_ms": 300})
    started = time.perf_counter()
    sb.client.loads.tab_counts()
    assert time.perf_counter() - started >= 0.3
    sb.http.post("/_sandbox/faults", json={"route": "/loads", "malformed": True})
    with pytest.raises(APIResponseValidationError):
        sb.client.loads.list()


def test_forced_429_has_retry_after_and_remaining(clean: Sandbox) -> None:
    sb = clean
    sb.http.post(
        "/_sandbox/faults",
        json={"route": "/webhooks/event-types", "status": 429, "retry_after": 3, "remaining": 1},
    )
    with pytest.raises(RateLimitError) as info:
        sb.client.webhooks.list_event_types()
    assert info.value.retry_after == 3
    assert sb.client.webhooks.list_event_types()  # the fault was used up


def test_stats_count_per_route_template(tmp_path: Path) -> None:
    # A sandbox of its own: the session's sandbox is also read by the e2e tests' console, whose
    # warm thread keeps fetching from it (CI once counted 14 requests here instead of 3).
    sb, stop = make_sandbox(tmp_path, loads=10)
    try:
        sb.http.delete("/_sandbox/stats")
        load = sb.client.loads.list(page_size=1).data[0]
        sb.client.loads.calls(load.id)
        sb.client.loads.calls(load.id)
        stats = sb.http.get("/_sandbox/stats").json()
        assert stats["routes"]["GET /api/v1/loads/{load_id}/calls"] == 2
        assert stats["routes"]["GET /api/v1/loads"] == 1
        assert stats["total"] == 3
    finally:
        stop()


def test_rate_limit_per_credential(tmp_path: Path) -> None:
    sb, stop = make_sandbox(tmp_path, loads=10, rate_limit_per_minute=5)
    try:
        for _ in range(5):
            sb.client.loads.tab_counts()
        with pytest.raises(RateLimitError) as info:
            sb.client.loads.tab_counts()
        assert info.value.retry_after is not None and 1 <= info.value.retry_after <= 60
        raw = sb.http.get("/api/v1/loads", headers={"X-API-Key": sb.api_key})
        assert raw.status_code == 429 and int(raw.headers["Retry-After"]) >= 1
        sb.other.loads.tab_counts()  # another credential has its own budget
    finally:
        stop()


def test_small_responses_are_not_held_back_by_nagle(sandbox: Sandbox) -> None:
    """Every small response used to take ~44 ms (Nagle + delayed ACK) before TCP_NODELAY."""
    import socket

    from envoy_sandbox.server import free_socket

    sock = free_socket()
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()
    times = []
    for _ in range(20):
        started = time.perf_counter()
        sandbox.client.loads.tab_counts()
        times.append(time.perf_counter() - started)
    # Nagle held back every response by ~40 ms; a busy machine slows some of them (the median
    # was 21.5 ms in a full suite run), so the fastest is what tells.
    assert min(times) < 0.02, times
