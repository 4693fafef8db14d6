"""SandboxExtras: the typed helper for the sandbox's own routes, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from envoy_api import (
    APIConnectionError,
    AuthenticationError,
    EnvoyClient,
    NotFoundError,
    UnprocessableEntityError,
)
from envoy_sandbox import SandboxExtras
from envoy_sandbox.config import DEMO_EMAIL, DEMO_PASSWORD, TOKEN_TTL
from envoy_sandbox.contract import EVENT_TYPE_NAMES, ORG_A, ORG_B

from .conftest import EVENT_LOAD, Sandbox


def test_info_and_root(sandbox: Sandbox) -> None:
    info = sandbox.extras.info()
    assert [o["id"] for o in info["organizations"]] == [ORG_A, ORG_B]
    assert info["event_types"] == EVENT_TYPE_NAMES and info["anchor"]
    with SandboxExtras(sandbox.root + "/") as same:  # a trailing slash names the same server
        assert same.root == sandbox.extras.root == sandbox.base_url.removesuffix("/api/v1")


def test_login_reads_the_expiry_and_hides_the_token(sandbox: Sandbox) -> None:
    login = sandbox.extras.login(DEMO_EMAIL, DEMO_PASSWORD)
    assert login.token not in repr(login)
    assert login.expires_at is not None
    expected = datetime.now(UTC) + timedelta(seconds=TOKEN_TTL)
    assert abs(login.expires_at - expected) < timedelta(minutes=1)
    with EnvoyClient(sandbox.base_url, bearer_token=login.token, organization_id=ORG_B) as c:
        assert c.loads.list(page_size=1).data[0].organization_id == ORG_B
    with pytest.raises(AuthenticationError):
        sandbox.extras.login(DEMO_EMAIL, "wrong")


def test_emit_as_a_bearer_user_in_a_chosen_organization(sandbox: Sandbox) -> None:
    token = sandbox.extras.login(DEMO_EMAIL, DEMO_PASSWORD).token
    with SandboxExtras(sandbox.root, bearer_token=token, organization_id=ORG_B) as extras:
        assert token not in repr(extras)
        emitted = extras.emit("load.created", EVENT_LOAD)
    theirs = {e.id for e in sandbox.other.webhooks.list_endpoints()}
    assert emitted["messages"] and {m["endpoint_id"] for m in emitted["messages"]} <= theirs
    assert emitted["event"]["data"] == EVENT_LOAD


def test_errors_are_envoy_api_errors(sandbox: Sandbox) -> None:
    with pytest.raises(UnprocessableEntityError) as info:
        sandbox.extras.emit("no.such_event", {})
    assert info.value.param == "type"
    with SandboxExtras(sandbox.root) as anonymous, pytest.raises(AuthenticationError):
        anonymous.emit("load.created", EVENT_LOAD)
    with pytest.raises(NotFoundError):
        sandbox.extras.set_receiver("a/b", "ok")  # a name is one path segment
    with SandboxExtras("http://127.0.0.1:9") as nowhere, pytest.raises(APIConnectionError):
        nowhere.info()


def test_receivers_faults_and_stats(sandbox: Sandbox) -> None:
    x = sandbox.extras
    name = sandbox.new_receiver("down")
    assert x.set_receiver(name, "flaky", 0.25) == {
        "name": name, "mode": "flaky", "failure_rate": 0.25,
    }  # fmt: skip
    log = x.received(name, limit=5)
    assert (log["mode"], log["failure_rate"], log["count"], log["received"]) == (
        "flaky", 0.25, 0, [],
    )  # fmt: skip
    x.clear_receiver(name)
    try:
        added = x.fault(route="/no-such-route", status=503, remaining=2)
        assert added["status"] == 503 and added["method"] == "*"
        assert [f["id"] for f in x.faults()] == [added["id"]]
    finally:
        x.clear_faults()
    assert x.faults() == []
    x.reset_stats()
    sandbox.client.webhooks.list_event_types()
    stats = x.stats()
    assert stats["total"] >= 1 and stats["routes"].get("GET /api/v1/webhooks/event-types")
