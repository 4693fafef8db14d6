"""Each endpoint's shape and status codes, through envoy_api and with raw httpx."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from envoy_api import (
    AuthenticationError,
    EnvoyClient,
    NotFoundError,
    PermissionDeniedError,
)
from envoy_sandbox.config import DEMO_EMAIL, DEMO_PASSWORD
from envoy_sandbox.contract import ORG_A, ORG_B

from .conftest import Sandbox, make_sandbox


def api(sb: Sandbox, method: str, path: str, **kw: object) -> httpx.Response:
    headers = {"X-API-Key": sb.api_key, **kw.pop("headers", {})}  # type: ignore[dict-item]
    return sb.http.request(method, "/api/v1" + path, headers=headers, **kw)  # type: ignore[arg-type]


def timestamps(values: Iterable[datetime | None]) -> list[datetime]:
    """The timestamps, each of which must be set (ordering them needs every one)."""
    out: list[datetime] = []
    for value in values:
        assert value is not None
        out.append(value)
    return out


def assert_envelope(r: httpx.Response, status: int, code: str, param: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body
    assert "detail" not in r.text
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if param is not None:
        assert body["error"]["param"] == param


def first_load_with(sb: Sandbox, tab: str) -> str:
    return sb.client.loads.list(tab=tab, page_size=1).data[0].id


def test_tab_counts_order_and_consistency(sandbox: Sandbox) -> None:
    counts = sandbox.client.loads.tab_counts()
    assert counts.keys() == [
        "all", "available", "covered", "in_transit", "delivered",
        "active_escalations", "failed_verifications",
    ]  # fmt: skip
    assert counts["all"] == 300
    assert sum(counts[k] for k in ("available", "covered", "in_transit", "delivered")) == 300
    for key in counts.keys():
        page = sandbox.client.loads.list(tab=key, page_size=5)
        assert page.pagination.total_count == counts[key], key


def test_loads_paging_and_order(sandbox: Sandbox) -> None:
    first = sandbox.client.loads.list(page_size=7)
    p = first.pagination
    assert (p.page, p.page_size, p.total_count, p.total_pages) == (1, 7, 300, 43)
    assert p.has_next and not p.has_prev
    stamps = [load.updated_at for load in first.data]
    assert stamps == sorted(stamps, reverse=True)
    second = sandbox.client.loads.list(page=2, page_size=7)
    assert second.pagination.has_prev
    assert not {x.id for x in first.data} & {x.id for x in second.data}
    assert len(list(sandbox.client.loads.list(page_size=100).iter_all())) == 300


def test_loads_search(sandbox: Sandbox) -> None:
    load = sandbox.client.loads.list(page=3, page_size=10).data[4]
    found = sandbox.client.loads.list(search=load.load_number)
    assert [x.id for x in found.data] == [load.id]
    assert load.customer_name
    by_customer = sandbox.client.loads.list(search=load.customer_name.upper(), page_size=100)
    assert by_customer.data and all(x.customer_name == load.customer_name for x in by_customer.data)
    city = load.stops[0].location.city  # type: ignore[index]
    by_city = sandbox.client.loads.list(search=city, page_size=100)
    assert load.id in {x.id for x in by_city.iter_all()}
    assert sandbox.client.loads.list(search="no-such-load-zzz").pagination.total_count == 0
    assert sandbox.client.loads.list(search="100%_").pagination.total_count == 0


def test_load_detail_calls_verifications_escalations(sandbox: Sandbox) -> None:
    c = sandbox.client
    load = c.loads.retrieve(first_load_with(sandbox, "failed_verifications"))
    assert load.stops and len(load.stops) >= 2 and load.stops[0].appointment_start
    verifications = c.loads.failed_verifications(load.id)
    assert verifications and all("_" not in v.id for v in verifications)  # bare uuids
    assert all(v.reasons and v.carrier and v.carrier.mc_number for v in verifications)
    esc_load = first_load_with(sandbox, "active_escalations")
    escalations = c.loads.active_escalations(esc_load)
    assert escalations and {e.status for e in escalations} == {"ACTIVE"}
    for load_id in (load.id, esc_load):
        calls = c.loads.calls(load_id)
        times = timestamps(x.call_time for x in calls)
        assert times == sorted(times, reverse=True)  # newest first
        raw = api(sandbox, "GET", f"/loads/{load_id}/calls")
        assert isinstance(raw.json(), list)


def test_seed_covers_every_status(sandbox: Sandbox) -> None:
    conn_rows = sandbox.client.loads.list(page_size=100)
    statuses, directions = set(), set()
    for load in conn_rows.iter_all():
        for call in sandbox.client.loads.calls(load.id):
            statuses.add(call.status)
            directions.add(call.call_direction)
        if len(statuses) >= 7:
            break
    assert {"COMPLETED", "SCHEDULED", "FAILED", "NO_ANSWER"} <= statuses
    assert directions == {"INBOUND", "OUTBOUND"}


def test_bare_uuid_and_bad_ids(sandbox: Sandbox) -> None:
    load_id = first_load_with(sandbox, "all")
    bare = load_id.removeprefix("load_")
    assert api(sandbox, "GET", f"/loads/{bare}").json()["id"] == load_id
    assert_envelope(api(sandbox, "GET", "/loads/car_" + bare), 400, "invalid_id_format", "load_id")
    assert_envelope(api(sandbox, "GET", "/loads/garbage/calls"), 400, "invalid_id_format")
    assert_envelope(
        api(sandbox, "GET", "/webhooks/endpoints/load_" + bare), 400, "invalid_id_format"
    )


def test_errors_use_the_envelope(sandbox: Sandbox) -> None:
    assert_envelope(sandbox.http.get("/api/v1/loads"), 401, "not_authenticated")
    assert_envelope(
        sandbox.http.get("/api/v1/loads", headers={"X-API-Key": "envai_live_wrong"}),
        401,
        "not_authenticated",
    )
    assert_envelope(api(sandbox, "GET", "/nope"), 404, "not_found")
    assert_envelope(api(sandbox, "GET", "/loads", params={"page_size": 101}), 422,
                    "validation_error", "page_size")  # fmt: skip
    assert_envelope(api(sandbox, "GET", "/loads", params={"page": 0}), 422, "validation_error",
                    "page")  # fmt: skip
    assert_envelope(api(sandbox, "GET", "/loads", params={"tab": "bogus"}), 422,
                    "validation_error", "tab")  # fmt: skip
    assert_envelope(
        api(sandbox, "POST", "/webhooks/endpoints", json={"url": "https://x.example"}),
        422, "validation_error", "event_types",
    )  # fmt: skip
    assert_envelope(
        api(sandbox, "POST", "/webhooks/endpoints", content=b"{not json",
            headers={"content-type": "application/json"}),
        400, "validation_error",
    )  # fmt: skip
    assert_envelope(api(sandbox, "DELETE", "/loads"), 405, "method_not_allowed")


def test_org_header_and_tenancy(sandbox: Sandbox) -> None:
    r = api(sandbox, "GET", "/loads", headers={"X-Organization-ID": ORG_B})
    assert_envelope(r, 403, "insufficient_permissions")
    assert api(sandbox, "GET", "/loads", headers={"X-Organization-ID": ORG_A}).status_code == 200
    theirs = sandbox.other.loads.list(page_size=1).data[0]
    assert theirs.organization_id == ORG_B
    with pytest.raises(NotFoundError):  # 404, not 403: no leak of what exists
        sandbox.client.loads.retrieve(theirs.id)
    with pytest.raises(NotFoundError):
        sandbox.client.loads.calls(theirs.id)
    their_ep = sandbox.other.webhooks.list_endpoints()[0]
    with pytest.raises(NotFoundError):
        sandbox.client.webhooks.retrieve_endpoint(their_ep.id)
    with pytest.raises(NotFoundError):
        sandbox.client.webhooks.list_endpoint_attempts(their_ep.id)
    ours = {e.id for e in sandbox.client.webhooks.list_endpoints()}
    assert their_ep.id not in ours


def test_bearer_login_and_organizations(sandbox: Sandbox) -> None:
    bad = sandbox.http.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": "x"})
    assert_envelope(bad, 401, "not_authenticated")
    r = sandbox.http.post(
        "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    token = r.json()["access_token"]
    default = EnvoyClient(sandbox.base_url, bearer_token=token)
    assert default.loads.list(page_size=1).data[0].organization_id == ORG_A
    second = EnvoyClient(sandbox.base_url, bearer_token=token, organization_id=ORG_B)
    assert second.loads.list(page_size=1).data[0].organization_id == ORG_B
    foreign = "org_99999999-9999-4999-8999-999999999999"
    with pytest.raises(PermissionDeniedError):
        EnvoyClient(sandbox.base_url, bearer_token=token, organization_id=foreign).loads.list()
    with pytest.raises(AuthenticationError):
        EnvoyClient(sandbox.base_url, bearer_token=token + "x").loads.list()


def test_endpoint_crud(sandbox: Sandbox) -> None:
    c = sandbox.client
    created = c.webhooks.create_endpoint(
        url="https://hooks.example.com/envoy", event_types=["load.created"],
        description="CRUD test", headers={"X-Team": "support"},
    )  # fmt: skip
    assert created.signing_secret.get_secret_value().startswith("whsec_")
    raw = api(sandbox, "GET", f"/webhooks/endpoints/{created.id}")
    assert "signing_secret" not in raw.json() and "secret" not in raw.text
    assert raw.json()["status"] == "ACTIVE"
    updated = c.webhooks.update_endpoint(created.id, description=None, status="PAUSED")
    assert updated.description is None and updated.status == "PAUSED"
    assert updated.headers == {"X-Team": "support"}  # omitted fields are left alone
    r = api(sandbox, "PATCH", f"/webhooks/endpoints/{created.id}", json={"status": "DISABLED"})
    assert_envelope(r, 422, "validation_error", "status")
    r = api(sandbox, "PATCH", f"/webhooks/endpoints/{created.id}", json={"event_types": []})
    assert_envelope(r, 422, "validation_error", "event_types")
    r = api(sandbox, "PATCH", f"/webhooks/endpoints/{created.id}", json={"url": "ftp://x"})
    assert_envelope(r, 422, "validation_error", "url")
    rotated = c.webhooks.rotate_secret(created.id)
    assert rotated.signing_secret.get_secret_value() != created.signing_secret.get_secret_value()
    assert rotated.model_extra and "previous_secret_expires_at" in rotated.model_extra
    assert created.id in {e.id for e in c.webhooks.list_endpoints()}
    r = api(sandbox, "DELETE", f"/webhooks/endpoints/{created.id}")
    assert r.status_code == 204
    assert_envelope(api(sandbox, "GET", f"/webhooks/endpoints/{created.id}"), 404, "not_found")
    assert created.id not in {e.id for e in c.webhooks.list_endpoints()}


def test_endpoint_list_paginated_envelope(sandbox: Sandbox) -> None:
    body = api(sandbox, "GET", "/webhooks/endpoints").json()
    assert set(body) == {"data", "pagination"}
    assert set(body["pagination"]) == {
        "page", "page_size", "total_count", "total_pages", "has_next", "has_prev",
    }  # fmt: skip


def test_event_types_catalogue(sandbox: Sandbox) -> None:
    types = sandbox.client.webhooks.list_event_types()
    names = [t.name for t in types]
    assert "call.completed" in names and "escalation.created" in names and len(names) == 11
    assert all(t.description and t.payload_schema for t in types)
    assert isinstance(api(sandbox, "GET", "/webhooks/event-types").json(), list)


def test_attempt_filters(sandbox: Sandbox) -> None:
    c = sandbox.client
    down = next(e for e in c.webhooks.list_endpoints() if e.url.endswith("/down"))
    dead = c.webhooks.list_endpoint_attempts(down.id, status="DEAD", page_size=50)
    assert dead.data and {a.status for a in dead.data} == {"DEAD"}
    both = c.webhooks.list_endpoint_attempts(down.id, status=["DEAD", "FAILED"], page_size=100)
    assert {a.status for a in both.data} <= {"DEAD", "FAILED"}
    assert both.pagination.total_count > dead.pagination.total_count
    created = timestamps(a.created_at for a in both.data)
    assert created == sorted(created, reverse=True)  # newest first
    sample = dead.data[0]
    assert sample.payload and sample.payload.load_id
    by_load = c.webhooks.list_endpoint_attempts(down.id, load_id=sample.payload.load_id)
    assert by_load.data and all(
        a.payload and a.payload.data["load_id"] == sample.payload.load_id for a in by_load.data
    )
    by_type = c.webhooks.list_endpoint_attempts(down.id, event_type=sample.payload.type)
    assert all(a.payload and a.payload.type == sample.payload.type for a in by_type.data)
    assert sample.created_at is not None
    window = c.webhooks.list_endpoint_attempts(down.id, until=sample.created_at, page_size=100)
    assert all(a.created_at and a.created_at < sample.created_at for a in window.data)
    attempts = c.webhooks.list_message_attempts(sample.message_id)
    assert [a.attempt for a in attempts] == list(range(1, len(attempts) + 1))
    assert attempts[-1].status == "DEAD" and attempts[0].status == "FAILED"
    assert attempts[0].next_attempt_at is not None
    r = api(sandbox, "GET", f"/webhooks/endpoints/{down.id}/messages", params={"status": "NOPE"})
    assert_envelope(r, 422, "validation_error", "status")


def test_seeded_history_holds_every_status(tmp_path: Path) -> None:
    # A sandbox of its own that sends nothing: the shared one's sender delivers the seeded
    # PENDING retries as the session goes on, so what it holds depends on when this runs.
    sb, stop = make_sandbox(tmp_path, loads=30, send_webhooks=False)
    try:
        seen: set[str] = set()
        for ep in sb.client.webhooks.list_endpoints():
            for status in ("PENDING", "SUCCEEDED", "FAILED", "DEAD"):
                page = sb.client.webhooks.list_endpoint_attempts(ep.id, status=status)
                if page.pagination.total_count:
                    seen.add(status)
    finally:
        stop()
    assert seen == {"PENDING", "SUCCEEDED", "FAILED", "DEAD"}


def test_openapi_operation_ids(sandbox: Sandbox) -> None:
    spec = sandbox.http.get("/openapi.json").json()
    ids = {
        op["operationId"] for path in spec["paths"].values() for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }  # fmt: skip
    assert "get_load_calls_api_v1_loads__load_id__calls_get" in ids
    assert "replay_webhook_message_api_v1_webhooks_messages__message_id__replay_post" in ids
    api_paths = [p for p in spec["paths"] if p.startswith("/api/v1/")]
    assert len(api_paths) >= 13  # 14 contract operations + loads list/detail + login on 13 paths
