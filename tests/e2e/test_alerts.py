"""Failure alerts across a team: two console replicas on one PostgreSQL, a real chat receiver
and a real SMTP server. An endpoint's receiver turns to 503: exactly one alert on each channel;
back to 200: exactly one recovery alert. The replicas' evaluators run without any browser open.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from playwright.sync_api import Browser

from components import store
from components.store.db import URL_ENV

from ..alert_channels import ChatReceiver, MailServer, chat_receiver, mail_server
from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox
from .conftest import ARTIFACTS, configured_env, launch, settle

BOUND = 90.0  # seconds an alert may take to arrive


def emit(sb: Sandbox, endpoint_id: str, count: int) -> list[str]:
    """``count`` events to the endpoint, returned once each of its messages has ended."""
    msgs = [next(m["id"] for m in sb.emit("load.created", EVENT_LOAD)["messages"]
                 if m["endpoint_id"] == endpoint_id) for _ in range(count)]  # fmt: skip
    api = sb.client.webhooks
    ended = ("SUCCEEDED", "DEAD")
    wait_for(lambda: all(api.list_message_attempts(m)[-1].status in ended for m in msgs),
             timeout=60, what="the messages to end")  # fmt: skip
    return msgs


def about(endpoint_id: str, chat: ChatReceiver, mail: MailServer, title: str) -> tuple[int, int]:
    """How many chat messages and mails about the endpoint start with ``title``."""
    said = [b for b in chat.bodies if str(b["text"]).startswith(title)]
    mails = [m for m in mail.mails if str(m["Subject"]).startswith(title)]
    return (
        sum(endpoint_id in json.dumps(b) for b in said),
        sum(endpoint_id in m.get_content() for m in mails),
    )


def rounds_after(start: datetime, count: int) -> bool:
    """Whether the evaluator's lease was renewed ``count`` times since ``start`` (one renewal a
    round, at least a second apart): rounds that could have sent a duplicate."""
    until = lease_until()
    return bool(until and (until - start).total_seconds() >= count)


def lease_until() -> Any:
    with store.engine().connect() as conn:
        return conn.exec_driver_sql("SELECT lease_until FROM leases WHERE name='alerts'").scalar()


def test_two_replicas_send_one_alert_per_transition_on_each_channel(
    browser: Browser, own_sandbox: Sandbox, shared_database: str
) -> None:
    sb = own_sandbox
    name = sb.new_receiver("ok")
    ep = sb.client.webhooks.create_endpoint(url=sb.receiver_url(name), event_types=["load.created"],
                                            description="Team alert portal")  # fmt: skip
    emit(sb, ep.id, 3)  # it delivers: healthy
    with chat_receiver() as chat, mail_server() as mail:
        env = {**configured_env(sb), URL_ENV: shared_database,
               "ENVOY_ALERTS_WEBHOOK_URL": chat.url, "ENVOY_ALERTS_SMTP_URL": mail.url,
               "ENVOY_ALERTS_MAIL_TO": "oncall@broker.example",
               "ENVOY_ALERTS_CONSOLE_URL": "http://console.test",
               "ENVOY_ALERTS_INTERVAL_SECONDS": "1"}  # fmt: skip
        replicas = [launch(env, "alerts-replica-a.log"), launch(env, "alerts-replica-b.log")]
        try:
            # Each replica's first script run starts its evaluator; then no browser is open.
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            for replica in replicas:
                page.goto(f"{replica.url}/alerts")
                settle(page)
            page.screenshot(path=str(ARTIFACTS / "alerts-before.png"), full_page=True)
            context.close()
            wait_for(lambda: store.watches(None).get(ep.id, {}).get("state") == "Healthy",
                     timeout=BOUND, what="the endpoint to be watched as healthy")  # fmt: skip

            sb.set_receiver(name, "down")  # 503 from now on
            emit(sb, ep.id, 2)  # 10 failed attempts against 3 delivered: failing
            wait_for(lambda: about(ep.id, chat, mail, "Failing") == (1, 1), timeout=BOUND,
                     what="one failing alert on each channel")  # fmt: skip
            seen = lease_until()
            wait_for(lambda: rounds_after(seen, 3), timeout=BOUND, what="three more rounds")
            assert about(ep.id, chat, mail, "Failing") == (1, 1), "a duplicate alert"

            sb.set_receiver(name, "ok")
            emit(sb, ep.id, 12)  # 15 delivered against 10 failed: no longer failing
            wait_for(lambda: about(ep.id, chat, mail, "Recovered") == (1, 1), timeout=BOUND,
                     what="one recovery alert on each channel")  # fmt: skip
            seen = lease_until()
            wait_for(lambda: rounds_after(seen, 3), timeout=BOUND, what="three more rounds")
            assert about(ep.id, chat, mail, "Recovered") == (1, 1), "a duplicate recovery"
            assert about(ep.id, chat, mail, "Failing") == (1, 1)
            raised = [a for a in store.alert_list() if a["endpoint_id"] == ep.id]
            assert [a["kind"] for a in raised] == ["recovered", "failing"]
            assert all(s["state"] == "delivered" for a in raised for s in a["sends"])

            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.goto(f"{replicas[1].url}/alerts")
            settle(page)
            page.get_by_text("alerts, newest first").wait_for()
            settle(page)
            page.screenshot(path=str(ARTIFACTS / "alerts-after.png"), full_page=True)
            context.close()
        finally:
            for replica in replicas:
                replica.stop()
        for replica in replicas:
            log = replica.log_path.read_text()
            assert "TOKENPATHsecret42" not in log and sb.api_key not in log
