"""Request size limits: a body over 1 MiB (declared or chunked) and event data over 256 KiB
answer 413 ``payload_too_large`` before anything parses them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from envoy_sandbox.db import dumps

from .conftest import EVENT_LOAD, Sandbox
from .support import raw

__all__ = ["raw"]  # a fixture

MIB = 1024 * 1024
CHUNK = 64 * 1024


def chunked(size: int) -> Iterator[bytes]:
    """``size`` bytes as a stream: httpx sends it chunked, with no Content-Length."""
    for start in range(0, size, CHUNK):
        yield b"x" * min(CHUNK, size - start)


def assert_too_large(r: httpx.Response, param: str) -> None:
    assert r.status_code == 413, r.text[:300]
    assert r.json()["error"]["code"] == "payload_too_large"
    assert r.json()["error"]["param"] == param


def inbox() -> str:
    return f"limits-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/webhooks/endpoints",
        "/api/v1/auth/login",
        "/_sandbox/faults",
        "/_sandbox/receivers/big",
    ],
)
def test_a_declared_body_over_1_mib_is_413(raw: httpx.Client, path: str) -> None:
    body = b'{"url": "' + b"x" * MIB + b'"}'
    r = raw.post(path, content=body, headers={"content-type": "application/json"})
    assert "content-length" in r.request.headers
    assert_too_large(r, "body")
    assert raw.get("/api/v1/loads/tab-counts").status_code == 200  # the client can go on


def test_a_chunked_body_over_1_mib_is_413_before_the_route_sees_it(
    sandbox: Sandbox, raw: httpx.Client
) -> None:
    name = inbox()
    r = raw.post(f"/_sandbox/receivers/{name}", content=chunked(2 * MIB))
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in r.request.headers
    assert_too_large(r, "body")
    assert sandbox.extras.received(name)["count"] == 0  # the receiver never ran
    r = raw.post("/api/v1/webhooks/endpoints", content=chunked(MIB + 1))
    assert_too_large(r, "body")


def test_bodies_of_exactly_1_mib_go_through(sandbox: Sandbox, raw: httpx.Client) -> None:
    name = inbox()
    for content in (chunked(MIB), b"x" * MIB):
        r = raw.post(f"/_sandbox/receivers/{name}", content=content)
        assert r.status_code == 401, r.text[:200]  # the receiver ran: unsigned, so refused
    assert sandbox.extras.received(name)["count"] == 2


def event(data_bytes: int) -> dict[str, Any]:
    """An event whose data serializes to exactly ``data_bytes`` bytes of JSON."""
    data: dict[str, Any] = {**EVENT_LOAD, "blob": ""}
    data["blob"] = "x" * (data_bytes - len(dumps(data)))  # the sandbox measures it so
    return {"type": "load.created", "data": data}


def test_event_data_over_256_kib_is_413(raw: httpx.Client) -> None:
    assert_too_large(raw.post("/_sandbox/events", json=event(256 * 1024 + 1)), "data")
    r = raw.post("/_sandbox/events", json=event(256 * 1024))
    assert r.status_code == 201, r.text[:300]
