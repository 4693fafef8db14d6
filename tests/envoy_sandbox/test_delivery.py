"""The webhook sender over real HTTP: signing, retries, DEAD, replay, pause, delete, crash."""

from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from envoy_api import DeliveryAttempt, EnvoyClient, NotFoundError
from envoy_sandbox.config import SECOND_ORG_API_KEY
from envoy_sandbox.contract import EventEmitted

from ..helpers import wait_for
from .conftest import EVENT_LOAD, Sandbox, make_sandbox


def register(sb: Sandbox, receiver: str, types: list[str] | None = None) -> tuple[str, str]:
    ep = sb.client.webhooks.create_endpoint(
        url=sb.receiver_url(receiver), event_types=types or ["load.created"]
    )
    return ep.id, ep.signing_secret.get_secret_value()


def attempts_of(sb: Sandbox, message_id: str) -> list[DeliveryAttempt]:
    return sb.client.webhooks.list_message_attempts(message_id)


def settled(
    sb: Sandbox, message_id: str, status: str, timeout: float = 20
) -> list[DeliveryAttempt]:
    def check() -> list[DeliveryAttempt]:
        rows = attempts_of(sb, message_id)
        return rows if rows and rows[-1].status == status else []

    return wait_for(check, timeout=timeout, what=f"{message_id} to end {status}")


def message_for(emitted: EventEmitted, endpoint_id: str) -> str:
    return next(m["id"] for m in emitted["messages"] if m["endpoint_id"] == endpoint_id)


def test_delivery_verifies_with_standardwebhooks(sandbox: Sandbox) -> None:
    name = sandbox.new_receiver("ok")
    ep_id, secret = register(sandbox, name)
    sandbox.client.webhooks.update_endpoint(ep_id, headers={"X-Broker": "acme"})
    emitted = sandbox.emit("load.created", EVENT_LOAD)
    msg = message_for(emitted, ep_id)
    rows = settled(sandbox, msg, "SUCCEEDED")
    assert rows[-1].response_status_code == 200 and rows[-1].delivered_at is not None
    assert rows[-1].duration_ms is not None
    (got,) = wait_for(lambda: sandbox.received(name), what="receipt")
    assert got["verified"] and got["webhook_id"] == msg
    assert got["headers"]["x-broker"] == "acme"  # the endpoint's custom headers
    body = json.loads(got["body"])
    assert set(body) == {"id", "type", "timestamp", "data"} and body["data"] == EVENT_LOAD
    assert body["id"].startswith("evt_") and body["type"] == "load.created"
    assert Webhook(secret).verify(got["body"], got["headers"]) == body


def test_rotation_signs_with_both_secrets(sandbox: Sandbox) -> None:
    name = sandbox.new_receiver("ok")
    ep_id, old = register(sandbox, name)
    new = sandbox.client.webhooks.rotate_secret(ep_id).signing_secret.get_secret_value()
    msg = message_for(sandbox.emit("load.created", EVENT_LOAD), ep_id)
    settled(sandbox, msg, "SUCCEEDED")
    (got,) = sandbox.received(name)
    sigs = got["headers"]["webhook-signature"].split()
    assert len(sigs) == 2 and all(s.startswith("v1,") for s in sigs)
    Webhook(old).verify(got["body"], got["headers"])
    Webhook(new).verify(got["body"], got["headers"])


def test_failed_then_succeeded(sandbox: Sandbox) -> None:
    name = sandbox.new_receiver("flaky")
    sandbox.set_receiver(name, "flaky", rate=1.0)  # fails every time until healed
    ep_id, _ = register(sandbox, name)
    msg = message_for(sandbox.emit("load.created", EVENT_LOAD), ep_id)
    wait_for(lambda: any(a.status == "FAILED" for a in attempts_of(sandbox, msg)), what="FAILED")
    sandbox.set_receiver(name, "flaky", rate=0.0)
    rows = settled(sandbox, msg, "SUCCEEDED")
    assert rows[0].status == "FAILED" and rows[0].response_status_code == 500
    assert rows[0].next_attempt_at is not None and rows[0].response_body_excerpt
    assert [a.attempt for a in rows] == list(range(1, len(rows) + 1))
    assert all(a.status == "FAILED" for a in rows[:-1])


def test_down_receiver_ends_dead_after_five(sandbox: Sandbox) -> None:
    name = sandbox.new_receiver("down")
    ep_id, _ = register(sandbox, name)
    msg = message_for(sandbox.emit("load.created", EVENT_LOAD), ep_id)
    rows = settled(sandbox, msg, "DEAD")
    assert [a.status for a in rows] == ["FAILED"] * 4 + ["DEAD"]
    assert all(a.max_attempts == 5 and a.response_status_code == 503 for a in rows)
    assert rows[-1].next_attempt_at is None
    assert len(sandbox.received(name)) == 5


def test_connection_refused_is_recorded(sandbox: Sandbox) -> None:
    ep = sandbox.client.webhooks.create_endpoint(
        url="http://127.0.0.1:9/unreachable", event_types=["load.created"]
    )
    msg = message_for(sandbox.emit("load.created", EVENT_LOAD), ep.id)
    rows = wait_for(lambda: [a for a in attempts_of(sandbox, msg) if a.status == "FAILED"])
    assert rows[0].error_message and rows[0].response_status_code is None
    sandbox.client.webhooks.delete_endpoint(ep.id)


def test_replay_dead_after_receiver_heals(sandbox: Sandbox) -> None:
    name = sandbox.new_receiver("down")
    ep_id, _ = register(sandbox, name)
    msg = message_for(sandbox.emit("load.created", EVENT_LOAD), ep_id)
    settled(sandbox, msg, "DEAD")
    sandbox.set_receiver(name, "ok")
    summary = sandbox.client.webhooks.replay(msg, endpoint_id=ep_id)
    assert summary.id == msg and summary.attempt_count == 6
    assert summary.latest_status in ("PENDING", "SENDING", "SUCCEEDED")
    rows = settled(sandbox, msg, "SUCCEEDED")
    assert len(rows) == 6
    receipts = sandbox.received(name)
    assert {r["webhook_id"] for r in receipts} == {msg}  # same webhook-id on every attempt
    assert receipts[0]["verified"]


@pytest.mark.parametrize("replays", [10, 50])
def test_concurrent_replays_queue_one(sandbox: Sandbox, replays: int) -> None:
    name = sandbox.new_receiver("down")
    ep_id, _ = register(sandbox, name)
    msg = message_for(sandbox.emit("load.created", EVENT_LOAD), ep_id)
    settled(sandbox, msg, "DEAD")
    sandbox.client.webhooks.update_endpoint(ep_id, status="PAUSED")  # hold the replay PENDING
    with ThreadPoolExecutor(min(replays, 25)) as pool:
        clients = [EnvoyClient(sandbox.base_url, api_key=sandbox.api_key) for _ in range(replays)]
        results = list(pool.map(lambda c: c.webhooks.replay(msg, endpoint_id=ep_id), clients))
    assert {r.attempt_count for r in results} == {6}
    rows = attempts_of(sandbox, msg)
    assert len(rows) == 6 and rows[-1].status == "PENDING"
    sandbox.set_receiver(name, "ok")
    sandbox.client.webhooks.update_endpoint(ep_id, status="ACTIVE")
    assert len(settled(sandbox, msg, "SUCCEEDED")) == 6


def test_replay_of_failed_sends_now_without_new_row(sandbox: Sandbox) -> None:
    name = sandbox.new_receiver("down")
    ep_id, _ = register(sandbox, name)
    msg = message_for(sandbox.emit("load.created", EVENT_LOAD), ep_id)
    wait_for(lambda: any(a.status == "FAILED" for a in attempts_of(sandbox, msg)))
    sandbox.client.webhooks.update_endpoint(ep_id, status="PAUSED")

    # An attempt claimed before the pause still finishes; wait until the retry it queued is held.
    def held() -> list[DeliveryAttempt]:
        rows = attempts_of(sandbox, msg)
        return rows if rows[-1].status == "PENDING" else []

    before = wait_for(held, what="a held retry")
    assert before[-2].status == "FAILED"
    summary = sandbox.client.webhooks.replay(msg, endpoint_id=ep_id)
    assert summary.attempt_count == len(before)  # the queued retry is reused, not duplicated
    assert len(attempts_of(sandbox, msg)) == len(before)
    sandbox.client.webhooks.delete_endpoint(ep_id)


def test_pause_holds_and_resume_delivers(sandbox: Sandbox) -> None:
    name = sandbox.new_receiver("ok")
    ep_id, _ = register(sandbox, name)
    sandbox.client.webhooks.update_endpoint(ep_id, status="PAUSED")
    emitted = [sandbox.emit("load.created", EVENT_LOAD) for _ in range(3)]
    msgs = [message_for(e, ep_id) for e in emitted]
    held = sandbox.client.webhooks.list_endpoint_attempts(ep_id)
    assert held.pagination.total_count == 3 and {a.status for a in held.data} == {"PENDING"}
    assert sandbox.received(name) == []
    sandbox.client.webhooks.update_endpoint(ep_id, status="ACTIVE")
    for msg in msgs:
        settled(sandbox, msg, "SUCCEEDED")
    # Each of the three arrived (a busy machine may time out a slow answer and send it again:
    # at least once, by the same webhook-id).
    assert {r["webhook_id"] for r in sandbox.received(name)} == set(msgs)


def test_delete_stops_pending_retries(sandbox: Sandbox) -> None:
    name = sandbox.new_receiver("down")
    ep_id, _ = register(sandbox, name)
    sandbox.client.webhooks.update_endpoint(ep_id, status="PAUSED")
    sandbox.emit("load.created", EVENT_LOAD)
    sandbox.client.webhooks.delete_endpoint(ep_id)
    with pytest.raises(NotFoundError):
        sandbox.client.webhooks.list_endpoint_attempts(ep_id)
    assert sandbox.received(name) == []
    # nothing is left queued for the deleted endpoint
    other = sandbox.new_receiver("ok")
    ep2, _ = register(sandbox, other)
    msg2 = message_for(sandbox.emit("load.created", EVENT_LOAD), ep2)
    settled(sandbox, msg2, "SUCCEEDED")  # the sender went round at least once since the delete
    assert sandbox.received(name) == []
    sandbox.client.webhooks.delete_endpoint(ep2)


def test_disabled_endpoint_gets_no_messages(tmp_path: Path) -> None:
    sb, stop = make_sandbox(tmp_path, loads=20, disable_after_dead=2)
    try:
        name = sb.new_receiver("down")
        ep_id, _ = register(sb, name)
        for _ in range(2):
            settled(sb, message_for(sb.emit("load.created", EVENT_LOAD), ep_id), "DEAD")
        ep = sb.client.webhooks.retrieve_endpoint(ep_id)
        assert ep.status == "DISABLED" and ep.disabled_reason and "HTTP 503" in ep.disabled_reason
        assert all(
            m["endpoint_id"] != ep_id for m in sb.emit("load.created", EVENT_LOAD)["messages"]
        )
        again = sb.client.webhooks.update_endpoint(ep_id, status="ACTIVE")
        assert again.status == "ACTIVE" and again.disabled_reason is None
    finally:
        stop()


def test_tenant_events_stay_in_their_organization(sandbox: Sandbox) -> None:
    ours = sandbox.new_receiver("ok")
    ep_id, _ = register(sandbox, ours)
    emitted = sandbox.emit("load.created", EVENT_LOAD, key=SECOND_ORG_API_KEY)
    assert emitted["messages"] and all(m["endpoint_id"] != ep_id for m in emitted["messages"])
    theirs = emitted["messages"][0]["id"]
    with pytest.raises(NotFoundError):
        sandbox.client.webhooks.list_message_attempts(theirs)
    with pytest.raises(NotFoundError):
        sandbox.client.webhooks.replay(theirs, endpoint_id=emitted["messages"][0]["endpoint_id"])
    sandbox.client.webhooks.delete_endpoint(ep_id)


def test_sending_row_is_delivered_after_restart(tmp_path: Path) -> None:
    # The restarted sandbox sends the row as it starts, to a receiver it serves itself: on a
    # busy machine that first attempt could outlast the suite's 1 s attempt timeout and fail,
    # and its retry made a second row. This test is about the row not being lost or doubled.
    slow_ok = {"loads": 20, "attempt_timeout": 30.0}
    sb, stop = make_sandbox(tmp_path, **slow_ok)
    name = sb.new_receiver("ok")
    ep_id, _ = register(sb, name)
    sb.client.webhooks.update_endpoint(ep_id, status="PAUSED")
    msg = message_for(sb.emit("load.created", EVENT_LOAD), ep_id)
    stop()
    # Simulate a crash mid-send: the row was claimed (SENDING) and never finished.
    db = sqlite3.connect(tmp_path / "sandbox.db")
    db.execute("UPDATE attempts SET status = 'SENDING' WHERE message_id = ?", (msg,))
    db.execute("UPDATE endpoints SET status = 'ACTIVE' WHERE id = ?", (ep_id,))
    db.commit()
    db.close()
    sb2, stop2 = make_sandbox(tmp_path, **slow_ok)
    try:
        sb2.set_receiver(name, "ok")
        rows = settled(sb2, msg, "SUCCEEDED")
        assert len(rows) == 1, [(r.status, r.response_status_code, r.error_message, r.duration_ms)
                                for r in rows]  # fmt: skip
        receipts = sb2.received(name)
        assert [r["webhook_id"] for r in receipts] == [msg]
    finally:
        stop2()
