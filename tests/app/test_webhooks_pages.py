"""Webhooks pages: register (secret once), validation, rotate, pause/resume, delete, filters,
replay, bulk recovery, event types, and the load page's webhooks section."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Error, Node

from components import store
from components.domain import deliveries
from components.ops import jobs
from envoy_api import DeliveryAttempt
from envoy_sandbox.contract import ReceiverMode

from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox, dead_messages
from .conftest import download_frame, frame_with, open_page, run_app, texts


def everything(at: AppTest) -> str:
    """All text the page shows, code blocks and tables included."""
    parts = [texts(at), *(str(c.value) for c in at.code), *(str(d.value) for d in at.dataframe)]
    parts += [str(t.value) for t in at.text_input] + [str(t.value) for t in at.text_area]
    return "\n".join(parts)


def register(
    at: AppTest, url: str, types: list[str], description: str = "", headers: str = ""
) -> AppTest:
    at.text_input(key="reg_url").set_value(url)
    at.multiselect(key="reg_types").set_value(types)
    at.text_input(key="reg_description").set_value(description)
    at.text_area(key="reg_headers").set_value(headers)
    at.button[[b.label for b in at.button].index("Register")].click()
    return run_app(at)


def form_of(at: AppTest, key: str) -> Block:
    (form,) = [f for f in at.form if f.key == key]
    return form


def after(form: Block, key: str) -> Node | None:
    """What the form draws right after its widget ``key`` (None: nothing, it is the last)."""
    children = list(form.children.values())
    index = next(i for i, c in enumerate(children) if getattr(c, "key", None) == key)
    return children[index + 1] if index + 1 < len(children) else None


def error_after(form: Block, key: str) -> str:
    """The error drawn right under the widget ``key`` ("" when none is)."""
    node = after(form, key)
    return str(node.value) if isinstance(node, Error) else ""


def dialogs(at: AppTest) -> list[Block]:
    return [b for b in at.get("dialog") if isinstance(b, Block)]


def test_every_problem_of_the_form_shows_at_once_next_to_its_field(configured: Sandbox) -> None:
    at = open_page("views/webhook_endpoints.py")
    at = register(at, "ftp://files.example.com/x", [], "two problems", "X-Team: support")
    form = form_of(at, "register_form")
    errors = [e.value for e in form.error]
    assert errors[0] == "2 things to fix: the URL and the event types."  # the summary, on top
    assert "The endpoint URL must start with" in error_after(form, "reg_url")
    assert "Choose at least one event type" in error_after(form, "reg_types")
    assert not error_after(form, "reg_description") and not error_after(form, "reg_headers")
    assert len(errors) == 3
    # What was typed is all still there, to be mended.
    assert at.text_input(key="reg_url").value == "ftp://files.example.com/x"
    assert at.text_input(key="reg_description").value == "two problems"
    assert at.text_area(key="reg_headers").value == "X-Team: support"
    # Mended, the next problem shows where it is: only under the headers now.
    at = register(at, "https://hooks.example.com/x", ["load.created"], "two problems", "Host: x")
    form = form_of(at, "register_form")
    assert form.error[0].value == "1 thing to fix: the custom headers."
    assert "set by Envoy or by HTTP itself" in error_after(form, "reg_headers")
    assert not error_after(form, "reg_url") and not error_after(form, "reg_types")
    urls = {e.url for e in configured.client.webhooks.list_endpoints()}
    assert "https://hooks.example.com/x" not in urls  # nothing was sent


def test_a_registration_empties_the_form_and_confirms_in_the_secret_dialog(
    configured: Sandbox,
) -> None:
    url = configured.receiver_url(configured.new_receiver("ok"))
    at = register(open_page("views/webhook_endpoints.py"), url, ["load.created"], "emptied",
                  "X-Team: support")  # fmt: skip
    (dialog,) = dialogs(at)
    # The confirmation is inside the dialog, next to the secret; no toast shows over it.
    assert not at.toast
    assert [s.value for s in dialog.success] == [f"Registered **`{url}`**."]
    assert [c.value for c in dialog.code if str(c.value).startswith("whsec_")]
    # Behind the dialog the form is empty already, each field set back for the browser too.
    for key in ("reg_url", "reg_description"):
        assert at.text_input(key=key).value == "" and at.text_input(key=key).proto.set_value
    assert at.multiselect(key="reg_types").value == []
    assert at.text_area(key="reg_headers").value == ""
    assert not form_of(at, "register_form").error
    run_app(at)  # the dialog closed: still empty, and the endpoint listed
    assert not dialogs(at)
    assert at.text_input(key="reg_url").value == ""
    assert url in set(at.dataframe[0].value["URL"])
    ep = next(e for e in configured.client.webhooks.list_endpoints() if e.url == url)
    assert ep.headers == {"X-Team": "support"} and ep.description == "emptied"
    configured.client.webhooks.delete_endpoint(ep.id)


def test_register_shows_the_secret_once_then_lists_it(configured: Sandbox) -> None:
    name = configured.new_receiver("ok")
    url = configured.receiver_url(name)
    at = register(open_page("views/webhook_endpoints.py"), url, ["load.created"], "register test")
    secrets = [c.value for c in at.code if str(c.value).startswith("whsec_")]
    assert len(secrets) == 1, "the secret is shown in the dialog"
    assert "will not be shown again" in texts(at)
    secret = secrets[0]
    assert secret not in str(at.session_state)
    run_app(at)  # the next run: the dialog is gone
    assert secret not in everything(at)
    assert url in set(at.dataframe[0].value["URL"])
    ep = next(e for e in configured.client.webhooks.list_endpoints() if e.url == url)
    configured.client.webhooks.delete_endpoint(ep.id)


def test_invalid_input_is_refused_and_kept(configured: Sandbox) -> None:
    at = register(
        open_page("views/webhook_endpoints.py"), "ftp://files.example.com/x", ["load.created"]
    )
    assert any("must start with" in e.value for e in at.error)
    assert at.text_input(key="reg_url").value == "ftp://files.example.com/x"
    at = register(at, "https://hooks.example.com/x", [], "no types")
    assert any("at least one event type" in e.value for e in at.error)
    assert at.text_input(key="reg_url").value == "https://hooks.example.com/x"
    assert at.text_input(key="reg_description").value == "no types"
    urls = {e.url for e in configured.client.webhooks.list_endpoints()}
    assert "https://hooks.example.com/x" not in urls  # nothing was sent


def _manage(configured: Sandbox, mode: ReceiverMode = "ok") -> tuple[str, str, AppTest]:
    name = configured.new_receiver(mode)
    ep = configured.client.webhooks.create_endpoint(
        url=configured.receiver_url(name), event_types=["load.created"], description="manage"
    )
    at = open_page("views/webhook_endpoints.py", endpoint_id=ep.id)
    assert at.selectbox(key="manage_endpoint").value == ep.id
    return ep.id, ep.url, at


def test_the_edit_form_shows_every_problem_next_to_its_field(configured: Sandbox) -> None:
    ep_id, url, at = _manage(configured)
    at.text_input(key=f"e_url_{ep_id}").set_value("hooks.example.com/x")
    at.multiselect(key=f"e_types_{ep_id}").set_value([])
    at.text_input(key=f"e_desc_{ep_id}").set_value("kept")
    at.button[[b.label for b in at.button].index("Save changes")].click()
    run_app(at)
    form = form_of(at, f"edit_{ep_id}")
    assert form.error[0].value == "2 things to fix: the URL and the event types."
    assert "The endpoint URL must start with" in error_after(form, f"e_url_{ep_id}")
    assert "Choose at least one event type" in error_after(form, f"e_types_{ep_id}")
    assert len(form.error) == 3 and not at.toast
    assert at.text_input(key=f"e_url_{ep_id}").value == "hooks.example.com/x"
    assert at.text_input(key=f"e_desc_{ep_id}").value == "kept"
    saved = configured.client.webhooks.retrieve_endpoint(ep_id)
    assert (saved.url, saved.description) == (url, "manage")  # nothing was sent
    # Mended: saved, and the problems are gone.
    at.text_input(key=f"e_url_{ep_id}").set_value(url)
    at.multiselect(key=f"e_types_{ep_id}").set_value(["load.created"])
    at.button[[b.label for b in at.button].index("Save changes")].click()
    run_app(at)
    assert not form_of(at, f"edit_{ep_id}").error
    assert configured.client.webhooks.retrieve_endpoint(ep_id).description == "kept"
    configured.client.webhooks.delete_endpoint(ep_id)


def test_pause_and_resume(configured: Sandbox) -> None:
    ep_id, _, at = _manage(configured)
    at.button(key=f"toggle_{ep_id}").click()
    run_app(at)
    assert configured.client.webhooks.retrieve_endpoint(ep_id).status == "PAUSED"
    assert at.button(key=f"toggle_{ep_id}").label == "Resume deliveries"
    at.button(key=f"toggle_{ep_id}").click()
    run_app(at)
    assert configured.client.webhooks.retrieve_endpoint(ep_id).status == "ACTIVE"
    configured.client.webhooks.delete_endpoint(ep_id)


def test_rotate_confirms_then_shows_the_new_secret_once(configured: Sandbox) -> None:
    ep_id, _, at = _manage(configured)
    at.button(key=f"rotate_{ep_id}").click()
    run_app(at)
    assert "keeps working for 24 hours" in texts(at)
    assert not [c for c in at.code if str(c.value).startswith("whsec_")]  # nothing yet
    at.button(key="rotate_confirm").click()
    run_app(at)
    (secret,) = [c.value for c in at.code if str(c.value).startswith("whsec_")]
    assert "The old secret stays valid until" in texts(at)
    # Said inside the dialog, with the secret: no toast over it.
    (dialog,) = dialogs(at)
    assert not at.toast and "Rotated the signing secret of" in dialog.success[0].value
    # Once the secret shows, the question and its button are gone; the expiry is a time and an
    # age, not a raw timestamp.
    assert "rotate_confirm" not in [b.key for b in at.button]
    assert "keeps working for 24 hours" not in texts(at)
    until = next(i.value for i in at.info if "stays valid until" in i.value)
    assert re.search(
        r"until [A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2} UTC \(in 2[34] h( \d+ min)?\)", until
    )
    at.button(key="rotate_done").click()
    run_app(at)
    assert secret not in everything(at)
    # the new secret signs deliveries
    from standardwebhooks.webhooks import Webhook

    name = configured.client.webhooks.retrieve_endpoint(ep_id).url.rsplit("/", 1)[-1]
    msg = next(m["id"] for m in configured.emit("load.created", EVENT_LOAD)["messages"]
               if m["endpoint_id"] == ep_id)  # fmt: skip
    got = wait_for(lambda: [r for r in configured.received(name) if r["webhook_id"] == msg])
    Webhook(secret).verify(got[0]["body"], got[0]["headers"])
    configured.client.webhooks.delete_endpoint(ep_id)


def test_delete_needs_the_typed_url(configured: Sandbox) -> None:
    ep_id, url, at = _manage(configured)
    at.button(key=f"delete_{ep_id}").click()
    run_app(at)

    def ids() -> set[str]:
        return {e.id for e in configured.client.webhooks.list_endpoints()}

    for wrong in ("", url + "x"):  # refused, and said why, next to the field
        at.text_input(key="delete_confirm_url").input(wrong)
        at.button(key="delete_confirm").click()
        run_app(at)
        assert "not this endpoint's URL" in texts(at) and ep_id in ids()
    # Typed and pressed in one go: the first click deletes (no waiting for the field to commit).
    at.text_input(key="delete_confirm_url").input(url)
    at.button(key="delete_confirm").click()
    run_app(at)
    assert ep_id not in ids()
    assert url not in everything(at)


def _down_endpoint(sb: Sandbox) -> str:
    return next(e.id for e in sb.client.webhooks.list_endpoints() if e.url.endswith("/down"))


def test_filters_by_status_and_load_number(configured: Sandbox) -> None:
    ep_id = _down_endpoint(configured)
    at = open_page("views/delivery_log.py", endpoint_id=ep_id, window="all")
    at.selectbox(key="dl_status").set_value("DEAD")
    run_app(at)
    table = frame_with(at, "Attempt id")
    assert len(table) and set(table["Status"]) == {"Dead"}
    assert at.query_params["status"] in ("DEAD", ["DEAD"])
    number = next(n for n in table["Load"] if n[2:].isdigit())  # a seeded load (tests add others)
    at.selectbox(key="dl_status").set_value("")
    at.text_input(key="dl_load").set_value(number)
    run_app(at)
    table = frame_with(at, "Attempt id")
    assert len(table) and set(table["Load"]) == {number}
    load_id = configured.client.loads.list(search=number).data[0].id
    at.checkbox(key="dl_payloads").check()
    at.button(key="dl_export_start").click()
    run_app(at)
    csv = download_frame(at.download_button(key="dl_csv"))
    assert set(csv["Load"]) == {number} and '"load_number"' in csv["Payload"].iloc[0]
    expected = configured.client.webhooks.list_endpoint_attempts(ep_id, load_id=load_id,
                                                                 page_size=50)  # fmt: skip
    assert list(table["Attempt id"]) == [a.id for a in expected.data]


def _attempts(sb: Sandbox, msg: str) -> list[DeliveryAttempt]:
    return sb.client.webhooks.list_message_attempts(msg)


def test_replay_dead_message_once_and_watch_it(configured: Sandbox) -> None:
    ep_id, name, (msg,) = dead_messages(configured, 1)
    configured.set_receiver(name, "ok")
    # Paused, the endpoint holds the replay PENDING: the screen's in-flight state is then
    # checked without racing a delivery that could end before the rerun.
    configured.client.webhooks.update_endpoint(ep_id, status="PAUSED")
    at = open_page("views/delivery_log.py", endpoint_id=ep_id, message_id=msg)
    button = at.button(key=f"replay:{msg}")
    assert not button.disabled
    button.click()
    run_app(at)
    assert at.button(key=f"replay:{msg}").disabled  # a double click queues nothing more
    assert len(_attempts(configured, msg)) == 6
    configured.client.webhooks.update_endpoint(ep_id, status="ACTIVE")

    def finished() -> bool:
        run_app(at)
        return f"replay_inflight:{msg}" not in at.session_state

    wait_for(finished, timeout=20, interval=0.2, what="the replay to finish on screen")
    rows = _attempts(configured, msg)
    assert len(rows) == 6 and rows[-1].status == "SUCCEEDED"
    # What became of it, in words, not only a new row in a table.
    assert [s.value for s in at.success] == ["Replay (attempt 6): delivered (200)."]
    assert "Delivered" in set(frame_with(at, "Attempt id")["Status"])
    assert at.json  # the payload
    configured.client.webhooks.delete_endpoint(ep_id)


def test_a_replay_that_fails_again_says_so_in_words(configured: Sandbox) -> None:
    ep_id, _, (msg,) = dead_messages(configured, 1)  # the receiver is still down
    at = open_page("views/delivery_log.py", endpoint_id=ep_id, message_id=msg)
    at.button(key=f"replay:{msg}").click()
    run_app(at)

    def ended() -> bool:
        run_app(at)
        return f"replay_inflight:{msg}" not in at.session_state

    wait_for(ended, timeout=20, interval=0.2, what="the replay to end on screen")
    assert _attempts(configured, msg)[-1].status == "DEAD"
    assert [e.value for e in at.error] == [
        "Replay (attempt 6): failed again: 503 from the receiver, no retries left."
    ]
    assert not at.success
    configured.client.webhooks.delete_endpoint(ep_id)


def test_before_a_job_a_receiver_still_failing_is_said_and_one_replay_can_be_tried(
    configured: Sandbox, audit_db: Path
) -> None:
    ep_id, name, msgs = dead_messages(configured, 2)  # the receiver is still down
    at = open_page("views/delivery_log.py", endpoint_id=ep_id, window="all")
    at.button(key="bulk_count").click()
    run_app(at)
    (warning,) = [w.value for w in at.warning]
    assert warning == ("The receiver answered 503 to its last 5 attempts: replays are likely "
                       "to fail again. Try one replay first, or fix the receiver.")  # fmt: skip
    at.button(key="bulk_trial").click()
    run_app(at)

    def ended() -> bool:
        run_app(at)
        return not any(k.startswith("replay_inflight:") for k in at.session_state)

    wait_for(ended, timeout=20, interval=0.2, what="the trial replay to end on screen")
    assert [len(_attempts(configured, m)) for m in msgs].count(6) == 1  # one replay, no more
    assert "Replay (attempt 6): failed again: 503 from the receiver, no retries left." in [
        e.value for e in at.error]  # fmt: skip
    assert "Trial replay of message" in texts(at)
    # The tried message leaves the job: what is left to replay is the other one.
    assert at.button(key="bulk_go").label == "Replay 1 message"
    configured.set_receiver(name, "ok")
    configured.client.webhooks.delete_endpoint(ep_id)


def test_bulk_recovery_replays_the_counted_messages(configured: Sandbox, audit_db: Path) -> None:
    ep_id, name, msgs = dead_messages(configured, 3)
    configured.set_receiver(name, "ok")
    at = open_page("views/delivery_log.py", endpoint_id=ep_id, window="all")
    at.button(key="bulk_count").click()
    run_app(at)
    assert "**3 messages** of 3 in this filter" in texts(at)
    at.button(key="bulk_go").click()  # a reason comes first: said, and no job started
    run_app(at)
    assert "Say why you replay these" in texts(at)
    assert not [j for j in store.jobs() if j["endpoint_id"] == ep_id]
    # Typed and pressed in one go: the first click starts the job.
    at.text_input(key="bulk_reason").input("receiver outage, test")
    at.button(key="bulk_go").click()
    run_app(at)
    (job,) = [j for j in store.jobs() if j["endpoint_id"] == ep_id]  # a recovery job now
    assert jobs.work_once()  # what a console process's worker does in the background
    assert (store.job(job["id"]) or {}).get("queued") == 3
    wait_for(lambda: all(_attempts(configured, m)[-1].status == "SUCCEEDED" for m in msgs))
    assert all(len(_attempts(configured, m)) == 6 for m in msgs)
    configured.client.webhooks.delete_endpoint(ep_id)


def test_event_types_page_and_test_event(configured: Sandbox) -> None:
    at = open_page("views/event_catalogue.py")
    table = at.dataframe[0].value
    names = [t.name for t in configured.client.webhooks.list_event_types()]
    assert list(table["Event type"]) == names
    subscribed = sum(1 for e in configured.client.webhooks.list_endpoints()
                     if "load.created" in e.event_types)  # fmt: skip
    row = table[table["Event type"] == "load.created"].iloc[0]
    assert row["Endpoints"] == subscribed
    at.selectbox(key="te_type").set_value("load.created")
    at.button[[b.label for b in at.button].index("Send test event")].click()
    run_app(at)
    # DISABLED endpoints get no messages (the seeded "down" one may be disabled by now)
    receiving = sum(1 for e in configured.client.webhooks.list_endpoints()
                    if "load.created" in e.event_types and e.status != "DISABLED")  # fmt: skip
    said = f"{receiving} {'message' if receiving == 1 else 'messages'} queued"  # grammar agrees
    assert any(said in s.value for s in at.success)


def test_load_page_lists_its_webhooks(configured: Sandbox) -> None:
    ep_id = _down_endpoint(configured)
    sample = next(  # newest first: other tests' events may come before the seeded ones
        a
        for a in configured.client.webhooks.list_endpoint_attempts(ep_id, page_size=100).iter_all()
        if a.payload and (a.payload.load_number or "")[2:].isdigit()  # a seeded load
    )
    assert sample.payload and sample.payload.load_id
    load_id = sample.payload.load_id
    attempts: list[Any] = []
    for ep in configured.client.webhooks.list_endpoints():
        attempts += configured.client.webhooks.list_endpoint_attempts(
            ep.id, load_id=load_id, page_size=100
        ).data
    expected = {s.message_id for s in deliveries.message_states(attempts)}
    at = open_page("views/load_detail.py", load_id=load_id, section="webhooks")
    table = frame_with(at, "Endpoint id")
    assert set(table["Message id"]) == expected
    assert any(s.value.startswith("Webhooks · ") for s in at.subheader)
