"""Failure alerts: the rule (flapping, mute) with an injected clock, a round against the sandbox
with real local channels (a chat receiver and an SMTP server), a channel that answers 500, the
secrets an alert must not carry, and the Alerts view's acknowledge and mute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from components import store
from components.data import watch
from components.data.connection import resolve_connection
from components.domain import alerts as rules
from components.domain import deliveries
from components.ops import alerts, audit
from components.shell import access
from envoy_api import WebhookEndpoint

from ..alert_channels import ChatReceiver, MailServer, chat_receiver, mail_server
from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox
from .conftest import frame_with, open_page, run_app, texts
from .test_security import ADMIN, READER

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


# ---- the rule ----


def test_a_flapping_endpoint_is_announced_once_per_15_minutes_and_recovers_once() -> None:
    seen: list[tuple[int, str]] = []
    before: rules.Watch | None = rules.Watch("Healthy", rules.OK)
    # failing, fine, failing, fine, failing every two minutes; then it stays failing
    states = ["Failing", "Healthy", "Failing", "Healthy", "Failing", "Failing"]
    minutes = [0, 2, 4, 6, 8, 16]
    for minute, state in zip(minutes, states, strict=True):
        now = T0 + timedelta(minutes=minute)
        assert before is not None
        decided = rules.decide(before, state, now)
        if decided.alert:
            seen.append((minute, decided.alert))
        problem_at = now if decided.alert in ("failing", "disabled") else before.last_problem_at
        before = rules.Watch(decided.state, decided.announced, problem_at)
    # one problem, its recovery, then nothing until the window passed with the problem on
    assert seen == [(0, "failing"), (2, "recovered"), (16, "failing")]


def test_a_muted_endpoint_is_not_announced_until_the_mute_ends() -> None:
    muted = rules.Watch("Healthy", rules.OK, None, T0 + timedelta(hours=2))
    assert rules.decide(muted, "Failing", T0 + timedelta(hours=1)).alert is None
    assert rules.decide(muted, "Failing", T0 + timedelta(hours=3)).alert == "failing"
    assert rules.decide(None, "Disabled", T0).alert == "disabled"  # a new endpoint: watched too


def test_back_off_doubles_up_to_an_hour() -> None:
    assert [rules.backoff(n).total_seconds() for n in (1, 2, 3, 9)] == [30, 60, 120, 3600]


def test_the_state_is_the_boards() -> None:
    fine = deliveries.Health(10, 10, 10, None, 0, None, True)
    bad = deliveries.Health(10, 10, 2, None, 8, None, True)
    assert deliveries.endpoint_state("ACTIVE", bad) == "Failing"
    assert deliveries.endpoint_state("ACTIVE", fine) == "Healthy"
    assert deliveries.endpoint_state("DISABLED", fine) == "Disabled"


# ---- rounds over the store, with an injected clock ----


def fake_look(endpoint_id: str, state: str) -> watch.Look:
    ep = WebhookEndpoint(id=endpoint_id, url="https://user:pw@receiver.example/hook?token=abc")
    h = deliveries.Health(8, 8, 0, None, 8, None, True, undelivered=3,
                          affected_loads=frozenset({"load_1", "load_2", "load_3"}))  # fmt: skip
    return watch.Look(ep, h, state, 503, None, ("LD-1", "LD-2", "LD-3"))


@pytest.fixture
def looks(monkeypatch: pytest.MonkeyPatch, audit_db: object) -> Iterator[dict[str, str]]:
    """Endpoint states the next round sees (the store is this test's own SQLite file)."""
    states: dict[str, str] = {}
    monkeypatch.setattr(
        watch, "look", lambda ctx, now=None: [fake_look(*x) for x in states.items()]
    )
    store.reset()
    yield states
    store.reset()


def round_at(minute: float) -> list[int]:
    from components import data

    ctx = data.Ctx("fp", "org_1")
    return alerts.evaluate(ctx, "Acme (org_1)", rules.Channels(), T0 + timedelta(minutes=minute))


def test_rounds_raise_one_alert_per_transition_and_none_while_it_flaps(
    looks: dict[str, str],
) -> None:
    looks["ep_a"] = "Healthy"
    assert round_at(0) == []  # the first look only records
    looks["ep_new"] = "Failing"  # registered while the console runs, failing at once
    looks["ep_a"] = "Failing"
    assert len(round_at(1)) == 2
    assert round_at(1.5) == []  # the same state again: nothing
    looks["ep_a"] = "Healthy"
    assert len(round_at(3)) == 1  # its recovery
    looks["ep_a"] = "Failing"
    assert round_at(5) == []  # flapping: held
    assert len(round_at(17)) == 1  # the window passed and it still fails
    raised = list(reversed(store.alert_list("org_1")))
    assert [a["kind"] for a in raised if a["endpoint_id"] == "ep_a"] == [
        "failing",
        "recovered",
        "failing",
    ]
    assert [a["kind"] for a in raised if a["endpoint_id"] == "ep_new"] == ["failing"]
    body = store.alert_list("org_1")[0]
    assert "deliveries?endpoint_id=ep_a&status=undelivered&org=org_1" in body["link"]
    assert "user:pw" not in body["title"] + body["body"] and "token=abc" not in body["body"]
    assert "LD-1, LD-2, LD-3" in body["body"] and "Loads affected: 3" in body["body"]


def test_a_recovery_job_that_ends_with_failures_is_announced_once(looks: dict[str, str]) -> None:
    from components import data

    looks["ep_a"] = "Healthy"
    round_at(0)  # the organization is primed
    job_id = store.create_job(
        organization_id="org_1", endpoint_id="ep_a", filter={}, reason="receiver back",
        created_by="ada@envoy.test", messages=[("msg_1", "ep_a", 5), ("msg_2", "ep_a", 5)],
    )  # fmt: skip
    assert store.claim_job("worker", 30) is not None
    assert store.finish_job(job_id, "worker", "failed", "Envoy went away")
    ctx, now = data.Ctx("fp", "org_1"), datetime.now(UTC)
    raised = alerts.evaluate(ctx, "Acme (org_1)", rules.Channels(), now)
    assert len(raised) == 1
    assert alerts.evaluate(ctx, "Acme (org_1)", rules.Channels(), now) == []  # once
    (alert,) = [a for a in store.alert_list("org_1") if a["kind"] == "job"]
    assert alert["title"].startswith("Recovery job ended with failures")
    assert (
        f"2 messages of 2 did not arrive (job {job_id}, started by ada@envoy.test, failed)"
        in (alert["body"])
    )
    assert "deliveries?endpoint_id=ep_a&status=undelivered&org=org_1" in alert["link"]


def test_two_evaluators_looking_at_once_raise_the_alert_once(looks: dict[str, str]) -> None:
    looks["ep_a"] = "Healthy"
    round_at(0)
    before = store.watches("org_1")["ep_a"]
    alert = {"kind": "failing", "title": "t", "body": "b", "link": "l"}
    first = store.record_look("org_1", "ep_a", before, "Failing", "Failing", alert, ())
    second = store.record_look("org_1", "ep_a", before, "Failing", "Failing", alert, ())
    assert first is not None and second is None


def test_only_one_replica_holds_the_evaluators_lease(audit_db: object) -> None:
    store.reset()
    assert store.hold_lease("alerts", "a", 10, T0)
    assert not store.hold_lease("alerts", "b", 10, T0 + timedelta(seconds=5))
    assert store.hold_lease("alerts", "a", 10, T0 + timedelta(seconds=5))  # renewed
    assert store.hold_lease("alerts", "b", 10, T0 + timedelta(seconds=16))  # a lapsed
    store.reset()


# ---- real channels against the sandbox ----


@pytest.fixture
def channels(
    configured: Sandbox, audit_db: object, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ChatReceiver, MailServer]]:
    with chat_receiver() as chat, mail_server() as mail:
        monkeypatch.setenv("ENVOY_ALERTS_WEBHOOK_URL", chat.url)
        monkeypatch.setenv("ENVOY_ALERTS_SMTP_URL", mail.url)
        monkeypatch.setenv("ENVOY_ALERTS_MAIL_TO", "oncall@broker.example")
        monkeypatch.setenv("ENVOY_ALERTS_CONSOLE_URL", "https://console.example")
        store.reset()
        alerts._trouble = (0.0, [])
        yield chat, mail
        alerts._trouble = (0.0, [])
        store.reset()


HEADER_VALUE = "hv-Zq81-receiver-credential"


def failing_endpoint(sb: Sandbox) -> tuple[str, str, str]:
    """A new endpoint with a custom header, on a receiver that answers 503, with two messages
    that died there: (endpoint id, receiver name, its signing secret)."""
    name = sb.new_receiver("down")
    ep = sb.client.webhooks.create_endpoint(
        url=sb.receiver_url(name), event_types=["load.created"],
        description="Alert test portal", headers={"X-Receiver-Token": HEADER_VALUE},
    )  # fmt: skip
    msgs = [next(m["id"] for m in sb.emit("load.created", EVENT_LOAD)["messages"]
                 if m["endpoint_id"] == ep.id) for _ in range(2)]  # fmt: skip
    api = sb.client.webhooks
    wait_for(lambda: all(api.list_message_attempts(m)[-1].status == "DEAD" for m in msgs),
             timeout=60, what="the messages to die")  # fmt: skip
    return ep.id, name, ep.signing_secret.get_secret_value()


def mine(chat: ChatReceiver, endpoint_id: str) -> list[dict[str, object]]:
    return [b for b in chat.bodies if endpoint_id in json.dumps(b)]


def test_an_alert_reaches_chat_and_mail_and_carries_no_secret(
    channels: tuple[ChatReceiver, MailServer], configured: Sandbox
) -> None:
    chat, mail = channels
    sb = configured
    conn = resolve_connection()
    assert alerts.run_once(T0, conn)  # primes every organization
    endpoint_id, _, secret = failing_endpoint(sb)
    now = datetime.now(UTC)
    assert alerts.run_once(now, conn)
    (body,) = mine(chat, endpoint_id)
    (sent,) = [m for m in mail.mails if endpoint_id in m.get_content()]
    text = str(body["text"])
    assert "Failing: Alert test portal" in text and "HTTP 503 from the receiver" in text
    assert "Loads affected: 1" in text and "LD-TEST-1" in text
    assert f"deliveries?endpoint_id={endpoint_id}&status=undelivered" in text
    assert body["blocks"] and sent["Subject"].startswith("Failing: Alert test portal")
    everything = b"".join(chat.raw) + b"".join(mail.raw)
    for leaked in (HEADER_VALUE, secret, sb.api_key, "TOKENPATHsecret42"):
        assert leaked.encode() not in everything, leaked
    assert alerts.run_once(now + timedelta(seconds=5), conn)  # the same state: nothing new
    assert len(mine(chat, endpoint_id)) == 1


def test_a_channel_that_answers_500_is_shown_retried_with_back_off_and_the_console_works(
    channels: tuple[ChatReceiver, MailServer], configured: Sandbox
) -> None:
    chat, _mail = channels
    chat.status = 500
    conn = resolve_connection()
    alerts.run_once(T0, conn)
    failing_endpoint(configured)
    now = datetime.now(UTC)
    alerts.run_once(now, conn)

    def webhook_send() -> dict[str, Any]:
        sends: list[dict[str, Any]] = [
            s for a in store.alert_list() for s in a["sends"] if s["channel"] == "webhook"
        ]
        return sends[0]

    first = webhook_send()
    assert (first["state"], first["tries"], first["error"]) == (
        "failed",
        1,
        "HTTP 500: internal_error",
    )
    assert first["next_try_at"] == now + timedelta(seconds=30)
    alerts.run_once(now + timedelta(seconds=10), conn)
    assert webhook_send()["tries"] == 1  # not due yet
    alerts.run_once(now + timedelta(seconds=31), conn)
    second = webhook_send()
    assert second["tries"] == 2 and second["next_try_at"] == now + timedelta(seconds=91)
    # The mail went out; the console shows the failing channel and keeps working.
    assert all(s["state"] == "delivered" for a in store.alert_list() for s in a["sends"]
               if s["channel"] == "mail")  # fmt: skip
    at = open_page("views/alert_log.py")
    assert "Chat webhook alerts failing\\: HTTP 500" in texts(at)
    assert "failed (2 tries): HTTP 500" in " ".join(frame_with(at, "Channels")["Channels"])
    at = open_page("views/webhook_endpoints.py")
    assert "Chat webhook alerts failing\\: HTTP 500" in texts(at)  # the sidebar, every page
    chat.status = 200
    alerts.run_once(now + timedelta(seconds=92), conn)
    assert webhook_send()["state"] == "delivered" and len(chat.bodies) >= 1


# ---- the view: acknowledge and mute ----


def test_an_admin_acknowledges_and_mutes_a_reader_sees_neither(
    looks: dict[str, str], configured: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = resolve_connection().organizations
    org_id = org[0].id if org else None
    from components import data

    ctx = data.Ctx("fp", org_id)
    looks["ep_a"] = "Healthy"
    alerts.evaluate(ctx, "Acme", rules.Channels(), T0)
    looks["ep_a"] = "Failing"
    (alert_id,) = alerts.evaluate(ctx, "Acme", rules.Channels(), T0 + timedelta(minutes=1))

    monkeypatch.setattr(access, "current_user", lambda: READER)
    at = open_page("views/alert_log.py")
    assert "Only admins may acknowledge alerts and mute endpoints" in texts(at)
    assert all(s.key != "ack_alert" for s in at.selectbox)

    monkeypatch.setattr(access, "current_user", lambda: ADMIN)
    at = open_page("views/alert_log.py")
    at.selectbox(key="ack_alert").set_value(alert_id)
    at.button[0].click()  # the acknowledge form's submit button
    run_app(at)
    (acked,) = [a for a in store.alert_list() if a["id"] == alert_id]
    assert acked["acknowledged_by"] == ADMIN.email and acked["acknowledged_at"] is not None
    rows = audit.entries()
    assert any(r["action"] == "acknowledge alert" and r["actor"] == ADMIN.email for r in rows)

    endpoint = configured.client.webhooks.list_endpoints()[0].id
    at.selectbox(key="mute_endpoint").set_value(endpoint)
    at.text_input(key="mute_reason").input("receiver maintenance until noon")
    next(b for b in at.button if "Mute" in str(b.label)).click()
    run_app(at)
    (row,) = [r for r in audit.entries() if r["action"] == "mute alerts"]
    assert row["reason"] == "receiver maintenance until noon"
    assert store.watches(org_id)[endpoint]["muted_until"] is not None
    assert "muted until" in texts(at)
