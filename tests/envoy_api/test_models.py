"""Every example payload in the contract parses through the client method that returns it."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from envoy_api import (
    APIResponseValidationError,
    EnvoyClient,
    TabCounts,
)

from . import payloads as P
from .conftest import Recorder


def test_calls_bare_array_from_seed_page(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", f"/loads/{P.LOAD_ID}/calls")] = [P.CALL]
    calls = client.loads.calls(P.LOAD_ID)
    assert len(calls) == 1
    call = calls[0]
    assert call.id == P.CALL["id"]
    assert call.status == "COMPLETED"
    assert call.call_direction == "INBOUND"
    assert call.call_time is not None and call.call_time.tzinfo is not None
    assert call.duration_seconds == 325.0
    assert call.load_number == "LD123456789"


def test_tab_counts_flat_shape_keeps_order(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", "/loads/tab-counts")] = P.TAB_COUNTS_FLAT
    counts = client.loads.tab_counts()
    assert isinstance(counts, TabCounts)
    assert counts.keys() == list(P.TAB_COUNTS_FLAT)
    assert counts["active_escalations"] == 12
    assert counts.label("active_escalations") == "Active escalations"
    assert counts.as_dict() == P.TAB_COUNTS_FLAT


def test_tab_counts_list_shape_and_unknown_key(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", "/loads/tab-counts")] = P.TAB_COUNTS_LIST
    counts = client.loads.tab_counts()
    assert counts.keys() == ["all", "active_escalations", "on_hold"]
    assert counts.label("active_escalations") == "Active Escalations"
    assert counts.label("on_hold") == "On hold"
    assert counts["on_hold"] == 3
    assert "on_hold" in counts and "nope" not in counts


def test_load_full_and_minimal(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", f"/loads/{P.LOAD_ID}")] = P.LOAD
    load = client.loads.retrieve(P.LOAD_ID)
    assert load.equipment_type == "REEFER"
    assert load.origin is not None and load.origin.location.city == "Chicago"
    assert load.destination is not None and load.destination.location.state == "TX"
    assert load.carrier_rep is not None and load.carrier_rep.full_name == "Dana Lee"
    recorder.routes[("GET", f"/loads/{P.LOAD_ID}")] = P.MINIMAL_LOAD
    minimal = client.loads.retrieve(P.LOAD_ID)
    assert minimal.stops is None and minimal.is_posted is False


def test_unknown_enum_and_extra_fields_are_kept(client: EnvoyClient, recorder: Recorder) -> None:
    odd = dict(P.CALL, status="ESCALATED_TO_HUMAN", brand_new_field={"x": 1})
    recorder.routes[("GET", f"/loads/{P.LOAD_ID}/calls")] = [odd]
    call = client.loads.calls(P.LOAD_ID)[0]
    assert call.status == "ESCALATED_TO_HUMAN"
    assert call.model_extra == {"brand_new_field": {"x": 1}}


def test_loads_list_page(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", "/loads")] = P.page([P.LOAD], total=45)
    page = client.loads.list(tab="available", search=" LD12 ", page_size=20)
    assert page.pagination.total_count == 45
    assert page.pagination.total_pages == 3
    assert page.pagination.has_next and not page.pagination.has_prev
    params = recorder.requests[-1].url.params
    assert params["tab"] == "available" and params["search"] == "LD12"
    assert params["page"] == "1" and params["page_size"] == "20"


def test_iter_all_walks_every_page(client: EnvoyClient, recorder: Recorder) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["page"])
        item = dict(P.MINIMAL_LOAD, load_number=f"LD{n}")
        return httpx.Response(200, json=P.page([item], page=n, page_size=1, total=3))

    recorder.routes[("GET", "/loads")] = handler
    first = client.loads.list(page_size=1)
    numbers = [load.load_number for load in first.iter_all()]
    assert numbers == ["LD1", "LD2", "LD3"]


def test_verifications_bare_uuid(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", f"/loads/{P.LOAD_ID}/verifications")] = [P.VERIFICATION]
    v = client.loads.failed_verifications(P.LOAD_ID)[0]
    assert v.id == P.VERIFICATION["id"]  # no prefix
    assert v.reasons == ["Insurance expired", "Missing W9 form"]
    assert v.carrier is not None and v.carrier.mc_number == "MC123456"


def test_escalations(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", f"/loads/{P.LOAD_ID}/escalations")] = [P.ESCALATION]
    esc = client.loads.active_escalations(P.LOAD_ID)[0]
    assert esc.agent_type == "CARRIER_SALES" and esc.call_id == P.CALL["id"]


@pytest.mark.parametrize("reason", ["", None])
def test_endpoint_disabled_reason_empty_or_null(
    client: EnvoyClient, recorder: Recorder, reason: str | None
) -> None:
    recorder.routes[("GET", f"/webhooks/endpoints/{P.EP_ID}")] = dict(
        P.ENDPOINT, disabled_reason=reason
    )
    ep = client.webhooks.retrieve_endpoint(P.EP_ID)
    assert ep.disabled_reason is None
    assert ep.headers == {"X-Source": "envoy"}


def test_list_endpoints_envelope_or_bare(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", "/webhooks/endpoints")] = P.page([P.ENDPOINT])
    assert [e.id for e in client.webhooks.list_endpoints()] == [P.EP_ID]
    assert len(recorder.requests) == 1  # one page, one request
    recorder.routes[("GET", "/webhooks/endpoints")] = [P.ENDPOINT]
    assert [e.id for e in client.webhooks.list_endpoints()] == [P.EP_ID]
    assert len(recorder.requests) == 2


def test_create_endpoint_returns_secret_hidden_in_repr(
    client: EnvoyClient, recorder: Recorder
) -> None:
    recorder.routes[("POST", "/webhooks/endpoints")] = httpx.Response(
        201, json=dict(P.ENDPOINT, signing_secret=P.SECRET)
    )
    ep = client.webhooks.create_endpoint(
        url=P.ENDPOINT["url"], event_types=["load.created"], description="TMS"
    )
    assert ep.signing_secret.get_secret_value() == P.SECRET
    assert P.SECRET not in repr(ep) and P.SECRET not in str(ep)
    sent = json.loads(recorder.requests[-1].content)
    assert sent == {"url": P.ENDPOINT["url"], "event_types": ["load.created"], "description": "TMS"}


def test_rotate_secret(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("POST", f"/webhooks/endpoints/{P.EP_ID}/rotate-secret")] = dict(
        P.ENDPOINT, signing_secret=P.SECRET
    )
    ep = client.webhooks.rotate_secret(P.EP_ID)
    assert ep.signing_secret.get_secret_value() == P.SECRET
    assert json.loads(recorder.requests[-1].content) == {}


def test_attempts_and_filters(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", f"/webhooks/endpoints/{P.EP_ID}/messages")] = P.page([P.ATTEMPT])
    page = client.webhooks.list_endpoint_attempts(
        P.EP_ID,
        status=["FAILED", "DEAD"],
        event_type="call.completed",
        load_id=P.LOAD_ID,
        since="2024-04-20T00:00:00Z",
    )
    attempt = page.data[0]
    assert attempt.payload is not None and attempt.payload.load_id == P.LOAD_ID
    assert attempt.next_attempt_at is not None
    params = recorder.requests[-1].url.params
    assert params.get_list("status") == ["FAILED", "DEAD"]
    assert params["load_id"] == P.LOAD_ID and params["event_type"] == "call.completed"
    assert "until" not in params


def test_message_attempts_and_replay(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", f"/webhooks/messages/{P.MSG_ID}/attempts")] = [P.ATTEMPT]
    assert client.webhooks.list_message_attempts(P.MSG_ID)[0].attempt == 2
    recorder.routes[("POST", f"/webhooks/messages/{P.MSG_ID}/replay")] = httpx.Response(
        202, json=P.SUMMARY
    )
    summary = client.webhooks.replay(P.MSG_ID, endpoint_id=P.EP_ID)
    assert summary.latest_status == "PENDING" and summary.attempt_count == 3
    assert json.loads(recorder.requests[-1].content) == {"endpoint_id": P.EP_ID}


def test_event_types(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", "/webhooks/event-types")] = [P.EVENT_TYPE]
    (et,) = client.webhooks.list_event_types()
    assert et.name == "call.completed" and et.payload_schema == P.EVENT_TYPE["payload_schema"]


def test_update_sends_only_given_fields(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("PATCH", f"/webhooks/endpoints/{P.EP_ID}")] = P.ENDPOINT
    client.webhooks.update_endpoint(P.EP_ID, description=None)
    assert json.loads(recorder.requests[-1].content) == {"description": None}
    client.webhooks.update_endpoint(P.EP_ID, status="PAUSED", headers={"A": "b"})
    assert json.loads(recorder.requests[-1].content) == {"status": "PAUSED", "headers": {"A": "b"}}
    with pytest.raises(ValueError, match="ACTIVE or PAUSED"):
        client.webhooks.update_endpoint(P.EP_ID, status="DISABLED")


def test_delete_204(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("DELETE", f"/webhooks/endpoints/{P.EP_ID}")] = httpx.Response(204)
    # Seen as a callable returning ``object`` so the runtime None can be asserted.
    delete: Callable[[str], object] = client.webhooks.delete_endpoint
    assert delete(P.EP_ID) is None


def test_malformed_success_body(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("GET", f"/loads/{P.LOAD_ID}")] = httpx.Response(200, text="<html>oops")
    with pytest.raises(APIResponseValidationError, match="not JSON"):
        client.loads.retrieve(P.LOAD_ID)
    recorder.routes[("GET", f"/loads/{P.LOAD_ID}")] = {"id": P.LOAD_ID}
    with pytest.raises(APIResponseValidationError, match="Load"):
        client.loads.retrieve(P.LOAD_ID)


def test_times_are_sent_with_a_zone(client: EnvoyClient, recorder: Recorder) -> None:
    from datetime import datetime, timedelta, timezone

    path = f"/webhooks/endpoints/{P.EP_ID}/messages"
    recorder.routes[("GET", path)] = P.page([])
    naive = datetime(2026, 11, 29, 9, 30)
    eastern = datetime(2026, 11, 29, 4, 30, tzinfo=timezone(timedelta(hours=-5)))
    client.webhooks.list_endpoint_attempts(P.EP_ID, since=naive, until=eastern)
    query = recorder.requests[-1].url.params
    assert query["since"] == "2026-11-29T09:30:00Z" and query["until"] == "2026-11-29T09:30:00Z"
