"""The /_sandbox extras need the sandbox's API key or a token (all but a receiver's inbox), and
bearer tokens are signed with a secret of the database's own."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from envoy_sandbox.auth import issue_token
from envoy_sandbox.config import DEMO_EMAIL, DEMO_PASSWORD
from envoy_sandbox.contract import USER_ID

from .conftest import Sandbox, make_sandbox

OLD_CONSTANT_SECRET = "sandbox-token-secret"  # the default every sandbox used to share
EXTRAS: list[tuple[str, str, object]] = [
    ("GET", "/_sandbox/info", None),
    ("POST", "/_sandbox/events", {"type": "load.created", "data": {}}),
    ("GET", "/_sandbox/faults", None),
    ("POST", "/_sandbox/faults", {"route": "/loads", "status": 500}),
    ("DELETE", "/_sandbox/faults", None),
    ("GET", "/_sandbox/stats", None),
    ("DELETE", "/_sandbox/stats", None),
    ("GET", "/_sandbox/receivers/auth-test", None),
    ("PUT", "/_sandbox/receivers/auth-test", {"mode": "down"}),
    ("DELETE", "/_sandbox/receivers/auth-test", None),
]


def call(sandbox: Sandbox, method: str, path: str, body: object, **headers: str) -> httpx.Response:
    with httpx.Client(base_url=sandbox.root, headers=headers) as anonymous:
        return anonymous.request(method, path, json=body)


@pytest.mark.parametrize("method, path, body", EXTRAS, ids=[f"{m} {p}" for m, p, _ in EXTRAS])
def test_every_extra_needs_credentials(
    sandbox: Sandbox, method: str, path: str, body: object
) -> None:
    forged = issue_token(OLD_CONSTANT_SECRET, USER_ID)
    for headers in ({}, {"X-API-Key": "envai_live_wrong"}, {"Authorization": f"Bearer {forged}"}):
        r = call(sandbox, method, path, body, **headers)
        assert r.status_code == 401, (headers.keys(), r.text)
        assert r.json()["error"]["code"] == "not_authenticated"
    assert sandbox.extras.faults() == []  # nothing was changed on the way
    assert sandbox.extras.received("auth-test")["mode"] == "ok"


def test_extras_take_a_key_or_a_token(sandbox: Sandbox) -> None:
    token = sandbox.extras.login(DEMO_EMAIL, DEMO_PASSWORD).token
    assert call(sandbox, "GET", "/_sandbox/info", None, **{"X-API-Key": sandbox.api_key}).is_success
    bearer = call(sandbox, "GET", "/_sandbox/stats", None, Authorization=f"Bearer {token}")
    assert bearer.status_code == 200 and "routes" in bearer.json()


def test_a_receivers_inbox_stays_open(sandbox: Sandbox) -> None:
    sandbox.extras.clear_receiver("auth-inbox")
    r = call(sandbox, "POST", "/_sandbox/receivers/auth-inbox", {"id": "evt_unsigned"})
    assert r.status_code == 401 and r.json() == {"error": "signature did not verify"}  # a receiver
    log = sandbox.extras.received("auth-inbox")
    assert log["count"] == 1 and not log["received"][0]["verified"]


def test_a_token_signed_with_the_old_constant_is_refused(sandbox: Sandbox) -> None:
    forged = issue_token(OLD_CONSTANT_SECRET, USER_ID)
    r = sandbox.http.get("/api/v1/loads", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_the_token_secret_is_the_databases_own(tmp_path: Path) -> None:
    def loads_status(sb: Sandbox, token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return sb.http.get("/api/v1/loads", params={"page_size": 1}, headers=headers).status_code

    first, stop = make_sandbox(tmp_path / "a", loads=10, send_webhooks=False)
    token = first.extras.login(DEMO_EMAIL, DEMO_PASSWORD).token
    assert loads_status(first, token) == 200
    stop()
    again, stop = make_sandbox(tmp_path / "a", loads=10, send_webhooks=False)
    try:
        assert loads_status(again, token) == 200  # kept in the database: survives a restart
    finally:
        stop()
    other, stop = make_sandbox(tmp_path / "b", loads=10, send_webhooks=False)
    try:
        assert loads_status(other, token) == 401  # another database, another secret
    finally:
        stop()
    secret = "configured-for-this-test"
    configured, stop = make_sandbox(
        tmp_path / "c", loads=10, send_webhooks=False, token_secret=secret
    )
    try:
        assert loads_status(configured, issue_token(secret, USER_ID)) == 200
        assert loads_status(configured, token) == 401
    finally:
        stop()
