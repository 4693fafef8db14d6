"""Custom endpoint headers: refused by the API when the rule says so, and whatever a stored row
holds, never able to stall the sender or override its own headers."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from envoy_api import DeliveryAttempt

from ..helpers import wait_for
from .conftest import EVENT_LOAD, Sandbox
from .support import LocalReceiver, raw

__all__ = ["raw"]  # a fixture

ENDPOINTS = "/api/v1/webhooks/endpoints"
TOO_LONG = "v" * 1025
RESERVED = [
    "Host", "content-length", "Content-Type", "Transfer-Encoding", "CONNECTION", "Keep-Alive",
    "TE", "Trailer", "Upgrade", "Proxy-Authorization", "webhook-id", "Webhook-Signature",
    "WEBHOOK-anything",
]  # fmt: skip
REFUSED: list[dict[str, Any]] = [
    {"X-Bad Name": "v"},  # a space
    {"X-T\u00ebst": "v"},  # not ASCII
    {"X-A\r\nInjected": "v"},  # CR LF
    {"": "v"},
    {"X:Colon": "v"},
    *({name: "v"} for name in RESERVED),
    {"X-V": "a\r\nb"},
    {"X-V": "caf\u00e9"},
    {"X-V": 5},
    {"X-V": None},
    {f"X-{i}": "v" for i in range(21)},
    {"X-V": TOO_LONG},
]


def new_endpoint(raw: httpx.Client, url: str, headers: Any = None) -> httpx.Response:
    body = {"url": url, "event_types": ["load.created"], "headers": headers}
    return raw.post(ENDPOINTS, json=body)


@pytest.mark.parametrize("headers", REFUSED, ids=range(len(REFUSED)))
def test_register_and_update_refuse_bad_headers(
    sandbox: Sandbox, raw: httpx.Client, headers: dict[str, Any]
) -> None:
    refused = new_endpoint(raw, "https://hooks.example.com/h", headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "validation_error"
    assert refused.json()["error"]["param"] == "headers"
    ep = new_endpoint(raw, "https://hooks.example.com/h", {"X-Fine": "yes"}).json()
    try:
        patched = raw.patch(f"{ENDPOINTS}/{ep['id']}", json={"headers": headers})
        assert patched.status_code == 422, patched.text
        assert patched.json()["error"]["param"] == "headers"
        assert raw.get(f"{ENDPOINTS}/{ep['id']}").json()["headers"] == {"X-Fine": "yes"}
    finally:
        raw.delete(f"{ENDPOINTS}/{ep['id']}")


def test_headers_at_the_limits_are_accepted(raw: httpx.Client) -> None:
    most = {f"X-Custom-{i}": "v" * 1024 for i in range(20)} | {"X-Custom-0": "a\tb c~"}
    created = new_endpoint(raw, "https://hooks.example.com/h", most)
    assert created.status_code == 201, created.text
    assert created.json()["headers"] == most
    raw.delete(f"{ENDPOINTS}/{created.json()['id']}")


def store_headers(sandbox: Sandbox, endpoint_id: str, stored: str) -> None:
    """Write an endpoint's headers column as a row from before the rule would hold it."""
    with sqlite3.connect(sandbox.db_path, timeout=30) as db:
        db.execute("UPDATE endpoints SET headers = ? WHERE id = ?", (stored, endpoint_id))


def attempts_when_dead(sandbox: Sandbox, message_id: str) -> list[DeliveryAttempt]:
    def dead() -> list[DeliveryAttempt] | None:
        rows = sandbox.client.webhooks.list_message_attempts(message_id)
        return rows if rows and rows[-1].status == "DEAD" else None

    found = wait_for(dead, timeout=20, what=f"{message_id} to end DEAD")
    assert found is not None
    return found


@pytest.mark.parametrize(
    "stored, reason",
    [
        ('{"X-Name": "caf\\u00e9"}', "X-Name"),  # cannot be encoded: re-queued each second before
        ('{"X-Bad\\r\\nName": "v"}', "not a valid header name"),
        ('["not", "a", "map"]', "not a map"),
    ],
)
def test_unsendable_stored_headers_fail_like_any_try(
    sandbox: Sandbox, raw: httpx.Client, stored: str, reason: str
) -> None:
    with LocalReceiver() as receiver:
        ep = new_endpoint(raw, receiver.url).json()
        store_headers(sandbox, ep["id"], stored)
        emitted = sandbox.emit("load.created", EVENT_LOAD)
        msg = next(m["id"] for m in emitted["messages"] if m["endpoint_id"] == ep["id"])
        rows = attempts_when_dead(sandbox, msg)
        raw.delete(f"{ENDPOINTS}/{ep['id']}")
    assert [a.status for a in rows] == ["FAILED"] * 4 + ["DEAD"]
    assert all(a.error_message and reason in a.error_message for a in rows), rows[0]
    assert all(a.response_status_code is None for a in rows)
    assert "caf" not in (rows[0].error_message or "")  # names the header, never its value
    assert receiver.arrivals == []


def test_custom_headers_never_override_the_senders_own(sandbox: Sandbox, raw: httpx.Client) -> None:
    forged = {
        "Content-Type": "text/plain", "content-length": "3", "Host": "evil.example",
        "Webhook-Id": "msg_forged", "webhook-signature": "v1,forged", "Transfer-Encoding": "gzip",
        "User-Agent": "someone-else", "X-Kept": "yes",
    }  # fmt: skip
    with LocalReceiver() as receiver:
        ep = new_endpoint(raw, receiver.url).json()
        store_headers(sandbox, ep["id"], json.dumps(forged))
        emitted = sandbox.emit("load.created", EVENT_LOAD)
        msg = next(m["id"] for m in emitted["messages"] if m["endpoint_id"] == ep["id"])
        (got,) = wait_for(lambda: receiver.arrivals, what="the delivery")
        raw.delete(f"{ENDPOINTS}/{ep['id']}")
    assert got.values("content-type") == ["application/json"]
    assert got.values("content-length") == [str(len(got.body))]
    assert got.values("host") == [receiver.url.split("/")[2]]
    assert got.values("webhook-id") == [msg]
    assert got.values("user-agent") == ["Envoy-Webhooks/1.0 (sandbox)"]
    assert got.values("transfer-encoding") == []
    assert got.values("x-kept") == ["yes"]
    Webhook(ep["signing_secret"]).verify(got.body, dict(got.headers))
