"""Access roles, the audit trail, hardening (API text stays text), and cache isolation."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import data, store
from components.data.connection import Connection
from components.domain import rights
from components.ops import audit
from components.shell import access
from envoy_sandbox.config import SECOND_ORG_API_KEY
from envoy_sandbox.contract import ORG_A, ORG_B

from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox
from .conftest import ROOT, frame_with, new_app, open_page, run_app, texts

READER = rights.User(email="reader@broker.example", name="Rita Reader", is_admin=False,
                     signed_in=True)  # fmt: skip
ADMIN = rights.User(email="admin@broker.example", name="Ada Admin", is_admin=True, signed_in=True)


def as_user(monkeypatch: pytest.MonkeyPatch, user: rights.User) -> None:
    monkeypatch.setattr(access, "current_user", lambda: user)


def test_without_auth_the_console_is_a_local_single_user(configured: Sandbox) -> None:
    at = open_page("views/webhook_endpoints.py")
    assert "Local single user: no sign-in configured" in texts(at)
    assert not at.button[[b.label for b in at.button].index("Register")].disabled


def test_with_auth_nothing_renders_before_sign_in(
    configured: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "auth_configured", lambda: True)
    at = run_app(new_app())
    assert "Sign in with your company account" in texts(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.sidebar.children


def admin_notes(at: AppTest) -> list[str]:
    """The lines that stand where a reader's missing admin controls would be."""
    return [str(c.value) for c in at.caption if "Only admins may" in str(c.value)]


def test_readers_may_read_and_replay_one_message_only(
    configured: Sandbox, audit_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader sees no admin control at all (not one disabled), one line in their place, and
    keeps the single message replay."""
    as_user(monkeypatch, READER)
    ep = next(e for e in configured.client.webhooks.list_endpoints() if e.url.endswith("/down"))
    at = open_page("views/webhook_endpoints.py", endpoint_id=ep.id)
    assert "Rita Reader (read and replay)" in texts(at)
    assert not at.exception and at.dataframe  # the health table is still there
    keys = {b.key for b in at.button}
    for key in (f"rotate_{ep.id}", f"delete_{ep.id}", f"toggle_{ep.id}"):
        assert key not in keys, key
    labels = {b.label for b in at.button}
    assert not labels & {"Register", "Pause deliveries", "Resume deliveries", "Re-enable",
                         "Rotate secret", "Delete", "Save changes"}, labels  # fmt: skip
    assert not [e for e in at.expander if e.label == "Register an endpoint"]
    assert not [t for t in at.text_input if t.key in ("reg_url", f"e_url_{ep.id}")]
    assert admin_notes(at) == [
        ":material/lock: You can read endpoints and replay a message. Only admins may register, "
        "edit, pause, rotate or delete endpoints. Ask an admin listed in [console] admins."
    ]

    # Deliveries: no bulk recovery, and a running job's progress without its Cancel.
    dead = configured.client.webhooks.list_endpoint_attempts(ep.id, status="DEAD").data[0]
    job_id = store.create_job(
        organization_id=None, endpoint_id=ep.id, filter={"statuses": ["DEAD"]},
        reason="receiver was down", created_by=ADMIN.email,
        messages=[(dead.message_id, ep.id, dead.attempt)],
    )  # fmt: skip
    at = open_page("views/delivery_log.py", endpoint_id=ep.id, window="all")
    assert "bulk_count" not in {b.key for b in at.button}
    assert not [e for e in at.expander if e.label.startswith("Bulk recovery")]
    assert job_id in set(frame_with(at, "Progress")["Job"])
    assert f"cancel_{job_id}" not in {b.key for b in at.button}
    assert admin_notes(at) == [
        ":material/lock: You can replay one message at a time, from its page. Only admins may "
        "replay messages in bulk. Ask an admin listed in [console] admins.",
        ":material/lock: Only admins may cancel recovery jobs. Ask an admin listed in "
        "[console] admins.",
    ]
    at = open_page("views/delivery_log.py", endpoint_id=ep.id, message_id=dead.message_id)
    assert not at.button(key=f"replay:{dead.message_id}").disabled

    # Event types: the catalogue, not the test event form.
    at = open_page("views/event_catalogue.py")
    assert at.dataframe and "Send a test event" in texts(at)
    assert not [s for s in at.selectbox if s.key == "te_type"]
    assert "Send test event" not in {b.label for b in at.button}
    assert admin_notes(at) == [
        ":material/lock: Only admins may send test events. Ask an admin listed in [console] admins."
    ]

    # An admin gets every one of them, enabled.
    as_user(monkeypatch, ADMIN)
    at = open_page("views/delivery_log.py", endpoint_id=ep.id, window="all")
    assert not at.button(key="bulk_count").disabled
    assert not at.button(key=f"cancel_{job_id}").disabled
    assert not admin_notes(at)
    at = open_page("views/event_catalogue.py")
    assert not at.button[[b.label for b in at.button].index("Send test event")].disabled
    assert not admin_notes(at)


def test_admins_may_change_things(configured: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    as_user(monkeypatch, ADMIN)
    ep = configured.client.webhooks.list_endpoints()[0]
    at = open_page("views/webhook_endpoints.py", endpoint_id=ep.id)
    assert "Ada Admin (admin)" in texts(at)
    for key in (f"rotate_{ep.id}", f"delete_{ep.id}", f"toggle_{ep.id}"):
        assert not at.button(key=key).disabled, key


def test_changes_are_recorded_with_who_what_and_outcome(
    configured: Sandbox, audit_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, ADMIN)
    name = configured.new_receiver("ok")
    ep = configured.client.webhooks.create_endpoint(url=configured.receiver_url(name),
                                                    event_types=["load.created"])  # fmt: skip
    at = open_page("views/webhook_endpoints.py", endpoint_id=ep.id)
    at.button(key=f"toggle_{ep.id}").click()  # pause
    run_app(at)
    configured.fault(route="/webhooks/endpoints/*", method="PATCH", status=500)
    at.button(key=f"toggle_{ep.id}").click()  # resume, which fails
    run_app(at)
    configured.clear_faults()
    rows = audit.entries()
    assert [(r["actor"], r["action"]) for r in rows[:2]] == [
        (ADMIN.email, "resume"),
        (ADMIN.email, "pause"),
    ]
    assert rows[1]["outcome"] == "ok" and ep.id in rows[1]["target"]
    assert rows[0]["outcome"].startswith("failed: InternalServerError")
    assert rows[0]["organization_id"] is None or rows[0]["organization_id"].startswith("org_")

    at = open_page("views/activity_log.py")
    table = frame_with(at, "Action")
    assert list(table["Action"][:2]) == ["Resume", "Pause"]
    at.multiselect(key="act_actions").set_value(["pause"])
    run_app(at)
    assert set(frame_with(at, "Action")["Action"]) == {"Pause"}
    configured.client.webhooks.delete_endpoint(ep.id)


def test_a_replay_of_a_delivered_message_needs_a_reason(
    configured: Sandbox, audit_db: Path
) -> None:
    name = configured.new_receiver("ok")
    ep = configured.client.webhooks.create_endpoint(url=configured.receiver_url(name),
                                                    event_types=["load.created"])  # fmt: skip
    msg = next(m["id"] for m in configured.emit("load.created", EVENT_LOAD)["messages"]
               if m["endpoint_id"] == ep.id)  # fmt: skip
    wait_for(lambda: configured.client.webhooks.list_message_attempts(msg)[-1].status
             == "SUCCEEDED")  # fmt: skip
    at = open_page("views/delivery_log.py", endpoint_id=ep.id, message_id=msg)
    assert "the receiver gets it twice" in texts(at)
    before = len(configured.client.webhooks.list_message_attempts(msg))
    at.button(key=f"replay:{msg}").click()  # acts on the first click: without a reason, says so
    run_app(at)
    assert "Say why you replay a delivered message" in texts(at)
    assert len(configured.client.webhooks.list_message_attempts(msg)) == before  # nothing sent
    at.text_input(key=f"replay_reason:{msg}").input("broker lost it, ticket 42")
    at.button(key=f"replay:{msg}").click()
    run_app(at)
    (row,) = [r for r in audit.entries() if msg in r["target"]]
    assert (row["action"], row["reason"], row["outcome"]) == (
        "replay", "broker lost it, ticket 42", "ok")  # fmt: skip
    configured.client.webhooks.delete_endpoint(ep.id)


def test_a_broken_audit_file_never_breaks_the_action_and_says_so(
    configured: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    db_url = f"sqlite:///{blocker}/console.db"  # cannot be created
    monkeypatch.setenv("ENVOY_CONSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("ENVOY_AUDIT_DB", str(blocker / "audit.db"))
    ep = configured.client.webhooks.create_endpoint(url="https://audit-fail.example.com/h",
                                                    event_types=["load.created"])  # fmt: skip
    at = open_page("views/webhook_endpoints.py", endpoint_id=ep.id)
    at.button(key=f"toggle_{ep.id}").click()
    run_app(at)
    assert configured.client.webhooks.retrieve_endpoint(ep.id).status == "PAUSED"
    # ... and the agent is told that it was not recorded.
    assert any("could not record it" in e.value for e in at.error), texts(at)
    configured.client.webhooks.delete_endpoint(ep.id)


def test_payloads_and_api_text_render_as_data(configured: Sandbox) -> None:
    hostile = "<script>alert(1)</script> [click me](javascript:alert(1)) **bold** $x$"
    ep = configured.client.webhooks.create_endpoint(
        url=configured.receiver_url(configured.new_receiver("down")),
        event_types=["load.created"], description=hostile,
    )  # fmt: skip
    msg = next(m["id"] for m in configured.emit("load.created", {**EVENT_LOAD, "note": hostile})[
        "messages"] if m["endpoint_id"] == ep.id)  # fmt: skip
    at = open_page("views/delivery_log.py", endpoint_id=ep.id, message_id=msg)
    (payload,) = at.json
    assert hostile in str(payload.value)  # shown as data, literally
    for element in [*at.markdown, *at.caption, *at.error, *at.warning, *at.info]:
        assert "[click me](" not in str(element.value), element.value
        assert "<script>" not in str(element.value), element.value
    at = open_page("views/delivery_log.py", endpoint_id=ep.id)
    header = next(m.value for m in at.markdown if "click me" in m.value)
    assert "\\[click me\\]\\(`javascript:alert(1))`" in header  # a scheme shows as code
    configured.client.webhooks.delete_endpoint(ep.id)


def test_config_is_hardened() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert config["client"]["toolbarMode"] == "viewer"


def test_concurrent_sessions_see_only_their_own_data(sandbox: Sandbox) -> None:
    first = Connection(kind="remote", base_url=sandbox.base_url, api_key=sandbox.api_key)
    second = Connection(kind="remote", base_url=sandbox.base_url, api_key=SECOND_ORG_API_KEY)
    contexts = [(data.register(first, None, 7), ORG_A), (data.register(second, None, 7), ORG_B)]

    def read(i: int) -> tuple[str, set[str]]:
        ctx, org = contexts[i % 2]
        rows = data.loads_page(ctx, tab="all", search=None, page=1, page_size=20).items
        return org, {x.organization_id for x in rows}

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(read, range(40)))
    assert all(seen == {org} for org, seen in results)


def test_every_admin_action_refuses_a_reader_on_the_server_side(
    configured: Sandbox, audit_db: Path
) -> None:
    """The actions check the right themselves, whatever a screen offered: a reader's call is
    refused before it reaches Envoy or the audit trail; the one message replay is allowed."""
    from components.ops import actions

    ctx = data.register(Connection(kind="remote", base_url=configured.base_url,
                                   api_key=configured.api_key), None)  # fmt: skip
    name = configured.new_receiver("ok")
    ep = configured.client.webhooks.create_endpoint(url=configured.receiver_url(name),
                                                    event_types=["load.created"])  # fmt: skip
    refused: dict[str, Callable[[], object]] = {
        "register": lambda: actions.register_endpoint(
            ctx, READER, url=configured.receiver_url(name), event_types=["load.created"]),
        "edit": lambda: actions.update_endpoint(ctx, READER, ep.id, description="x"),
        "pause": lambda: actions.update_endpoint(ctx, READER, ep.id, status="PAUSED"),
        "rotate": lambda: actions.rotate_secret(ctx, READER, ep.id),
        "delete": lambda: actions.delete_endpoint(ctx, READER, ep),
        "test event": lambda: actions.send_test_event(ctx, READER, "load.created", EVENT_LOAD),
        "bulk replay": lambda: actions.start_recovery(
            ctx, READER, endpoint_id=ep.id, messages=[("msg_x", ep.id, 1)], reason="r",
            job_filter={}),
        "cancel job": lambda: actions.cancel_job(READER, {"id": "job_x", "organization_id": None}),
    }  # fmt: skip
    before = configured.client.webhooks.retrieve_endpoint(ep.id)
    endpoints = {e.id for e in configured.client.webhooks.list_endpoints()}
    for what, call in refused.items():
        with pytest.raises(rights.NotAllowed, match="Only admins may"):
            call()
        assert configured.client.webhooks.retrieve_endpoint(ep.id) == before, what
    assert {e.id for e in configured.client.webhooks.list_endpoints()} == endpoints  # none new
    assert audit.entries() == []  # nothing was done, so nothing recorded
    msg = next(m["id"] for m in configured.emit("load.created", EVENT_LOAD)["messages"]
               if m["endpoint_id"] == ep.id)  # fmt: skip
    wait_for(lambda: configured.client.webhooks.list_message_attempts(msg)[-1].status
             == "SUCCEEDED")  # fmt: skip
    actions.replay(ctx, READER, msg, ep.id, reason="broker asked")  # a reader may replay one
    (row,) = audit.entries()
    assert (row["actor"], row["action"], row["outcome"]) == (READER.email, "replay", "ok")
    configured.client.webhooks.delete_endpoint(ep.id)
