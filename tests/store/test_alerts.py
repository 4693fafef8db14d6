"""The alert tables on both engines: the evaluator's lease, one alert per transition however
many evaluators look at once, a job's alert raised once, sends, acknowledgement and mute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from components import store
from components.store.audit_trail import audit_row

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
ALERT = {"kind": "failing", "title": "Failing: portal", "body": "HTTP 503", "link": "l"}


def test_one_lease_holder_at_a_time(store_url: str) -> None:
    assert store.hold_lease("alerts", "a", 10, T0)
    assert not store.hold_lease("alerts", "b", 10, T0 + timedelta(seconds=9))
    assert store.hold_lease("alerts", "a", 10, T0 + timedelta(seconds=9))
    assert store.hold_lease("alerts", "b", 10, T0 + timedelta(seconds=20))
    assert not store.hold_lease("alerts", "a", 10, T0 + timedelta(seconds=21))


def test_a_transition_raises_one_alert_whoever_records_it(store_url: str) -> None:
    store.record_look("org_1", "ep_1", None, "Healthy", "ok", now=T0)
    before = store.watches("org_1")["ep_1"]
    raised = [store.record_look("org_1", "ep_1", before, "Failing", "Failing", ALERT,
                                ("webhook", "mail"), T0) for _ in range(3)]  # fmt: skip
    assert [r is not None for r in raised] == [True, False, False]
    (alert,) = store.alert_list("org_1")
    assert [s["channel"] for s in alert["sends"]] == ["mail", "webhook"]
    assert store.watches("org_1")["ep_1"]["last_problem_at"] == T0
    job = {**ALERT, "kind": "job"}
    assert store.raise_alert("org_1", "ep_1", job, (), "job:1", T0) is not None
    assert store.raise_alert("org_1", "ep_1", job, (), "job:1", T0) is None


def test_sends_acknowledgement_and_mute(store_url: str) -> None:
    store.record_look("org_1", "ep_1", None, "Healthy", "ok", now=T0)
    before = store.watches("org_1")["ep_1"]
    alert_id = store.record_look("org_1", "ep_1", before, "Failing", "Failing", ALERT,
                                 ("webhook",), T0)  # fmt: skip
    assert alert_id is not None
    assert [d["channel"] for d in store.due_sends(T0)] == ["webhook"]
    store.record_send(alert_id, "webhook", "HTTP 500", T0 + timedelta(seconds=30), T0)
    assert store.due_sends(T0 + timedelta(seconds=10)) == []
    assert store.channel_status()["webhook"]["state"] == "failed"
    assert len(store.due_sends(T0 + timedelta(seconds=30))) == 1
    store.record_send(alert_id, "webhook", None, None, T0 + timedelta(seconds=30))
    assert store.channel_status()["webhook"]["state"] == "delivered"
    row = audit_row("ada@x", "acknowledge alert", {"alert_id": alert_id}, "ok", None, "org_1")
    assert store.acknowledge(alert_id, "ada@x", row)
    assert not store.acknowledge(alert_id, "bob@x", row)
    row = audit_row("ada@x", "mute alerts", {"endpoint_id": "ep_2"}, "ok", "maintenance", "org_1")
    store.mute("org_1", "ep_2", T0 + timedelta(hours=4), "ada@x", "maintenance", row)
    assert store.watches("org_1")["ep_2"]["muted_until"] == T0 + timedelta(hours=4)
    assert [r["action"] for r in store.audit_entries(10)] == ["mute alerts", "acknowledge alert"]
