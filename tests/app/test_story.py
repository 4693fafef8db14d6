"""The load's story on the load page, against the sandbox's seeded story loads: the timeline
matches the API, the "last heard" sentences name the right events, replaying what a receiver
missed replays exactly those messages in order and the sentence turns to up to date, an entry
opens by URL, and the evidence pack's files and counts match the API with no secret in it."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st

from components.domain import formats, story
from components.domain.rights import User
from components.ops import audit, jobs
from components.shell import access
from envoy_api import DeliveryAttempt, WebhookEndpoint

from ..helpers import wait_for
from ..sandboxes import Sandbox, make_sandbox
from .conftest import (
    download_bytes,
    download_frame,
    frame_with,
    open_expander,
    open_load,
    run_app,
    texts,
)

AGENT = "local"  # the single user of a console without sign-in


@pytest.fixture(scope="module")
def story_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of its own: these tests change what its receivers answer."""
    sb, close = make_sandbox(tmp_path_factory.mktemp("story"), loads=120)
    yield sb
    close()


@pytest.fixture
def sb(story_sandbox: Sandbox, audit_db: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for name in ("ENVOY_BEARER_TOKEN", "ENVOY_ORGANIZATION_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENVOY_BASE_URL", story_sandbox.base_url)
    monkeypatch.setenv("ENVOY_API_KEY", story_sandbox.api_key)
    st.cache_data.clear()
    return story_sandbox


def story_load(sb: Sandbox, name: str) -> str:
    info = sb.extras.info()
    return info["stories"][info["organizations"][0]["id"]][name]


def api_attempts(sb: Sandbox, load_id: str) -> tuple[list[WebhookEndpoint], list[DeliveryAttempt]]:
    api = sb.client.webhooks
    eps = api.list_endpoints()
    rows: list[DeliveryAttempt] = []
    for ep in eps:
        page, total = 1, 1
        while page <= total:
            result = api.list_endpoint_attempts(ep.id, load_id=load_id, page=page, page_size=100)
            rows += result.data
            total = result.pagination.total_pages
            page += 1
    return eps, rows


def flaky(eps: list[WebhookEndpoint]) -> WebhookEndpoint:
    return next(ep for ep in eps if ep.url.endswith("/flaky"))


def sentences(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e.value) for e in [*at.error, *at.warning, *at.info, *at.success]
            if "heard" in str(e.value)
            or "up to date" in str(e.value)]  # fmt: skip


def plain(text: str) -> str:
    return text.replace("\\", "")


def test_the_timeline_holds_every_call_verification_escalation_and_message(sb: Sandbox) -> None:
    load_id = story_load(sb, "divergent")
    c = sb.client.loads
    calls, vers, escs = (
        c.calls(load_id),
        c.failed_verifications(load_id),
        c.active_escalations(load_id),
    )
    _, rows = api_attempts(sb, load_id)
    messages = {a.message_id for a in rows}
    changes = {a.payload.id for a in rows if a.payload and a.payload.type == "load.status_changed"}
    at = open_load(load_id)
    table = frame_with(at, "Kind")
    counts = table["Kind"].value_counts().to_dict()
    assert counts.get("Call", 0) == len(calls)
    assert counts.get("Verification", 0) == len(vers)
    assert counts.get("Escalation", 0) == len(escs)
    assert counts.get("Webhook", 0) == len(messages) == 16
    assert counts.get("Status", 0) == len(changes) == 4
    assert at.tabs[0].label == f"Timeline · {len(table)}"
    times = list(table["Time"])
    assert times == sorted(times, reverse=True)  # newest first by default
    # The calls in the timeline are the API's, in the API's (newest first) order.
    assert list(table[table["Kind"] == "Call"]["Detail"].str.extract(r"entry=(\S+)")[0]) == [
        x.id for x in calls
    ]
    # Oldest first, and a filter by kind: both in the URL, and the CSV is what is shown.
    at.segmented_control(key="timeline_order").set_value("oldest")
    at.pills(key="timeline_kinds").set_value(["Status"])
    run_app(at)
    assert (at.query_params["order"], at.query_params["kinds"]) == ("oldest", "Status")
    shown = frame_with(at, "Kind")
    assert list(shown["Kind"]) == ["Status"] * 4
    assert list(shown["What"]) == ["Available → Covered", "Covered → Dispatched",
                                   "Dispatched → At Pickup", "At Pickup → In Transit"]  # fmt: skip
    csv = download_frame(at.download_button(key="timeline_csv"))
    assert list(csv["What"]) == list(shown["What"])


def test_the_timeline_table_is_made_once_for_the_same_rows(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun of the load page draws the timeline table it made (a busy load's frame, a link
    per row, took ~7 ms of every rerun); another order makes it again, with its own rows."""
    from components.widgets import story_panel, tables

    made: list[int] = []
    make = story_panel.timeline_frame

    def counted(entries: list[story.Entry], load_id: str) -> pd.DataFrame:
        made.append(len(entries))
        return make(entries, load_id)

    monkeypatch.setattr(story_panel, "timeline_frame", counted)
    tables._made.clear()  # the tables this process's earlier tests made are shared
    at = open_load(story_load(sb, "divergent"))
    first = frame_with(at, "Kind")
    for _ in range(3):
        run_app(at)
    assert len(made) == 1 and made[0] == len(first)
    assert frame_with(at, "Kind").equals(first)
    at.segmented_control(key="timeline_order").set_value("oldest")
    run_app(at)
    assert len(made) == 2
    assert list(frame_with(at, "Time")["Time"]) == sorted(first["Time"])


def test_the_loads_audit_records_are_read_once_per_change_stamp(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun of the load page reads the console's records about it once per change stamp (a
    busy load names a thousand messages: ~7 ms of every rerun); a record written since shows at
    the next run; with the stamp unknown (the database unreadable for it) they are read anew."""
    from components import store

    reads: list[int] = []
    read = store.audit_for_load

    def counted(org: str | None, load_id: str, ids: Iterable[str]) -> list[dict[str, Any]]:
        reads.append(1)
        return read(org, load_id, ids)

    monkeypatch.setattr(store, "audit_for_load", counted)
    load_id = story_load(sb, "divergent")
    at = open_load(load_id)
    org = at.session_state["_frame"].ctx.organization_id  # the organization the console opened
    audit.record(AGENT, "replay", {"load_id": load_id}, "ok", "first", org)
    for _ in range(3):
        run_app(at)
    assert len(reads) == 2  # the first run's, and once after the record
    assert list(frame_with(at, "Kind")["Kind"]).count("Console") == 1
    audit.record(AGENT, "replay", {"load_id": load_id}, "ok", "second", org)
    run_app(at)
    assert len(reads) == 3
    assert list(frame_with(at, "Kind")["Kind"]).count("Console") == 2

    def unreadable(org: str | None) -> int:
        raise store.StoreError("the console database is away")

    monkeypatch.setattr(store, "stamp", unreadable)
    run_app(at)
    run_app(at)
    assert len(reads) == 5
    assert list(frame_with(at, "Kind")["Kind"]).count("Console") == 2


def test_an_entry_opens_by_url_with_its_record(sb: Sandbox) -> None:
    load_id = story_load(sb, "divergent")
    call = sb.client.loads.calls(load_id)[0]
    at = open_load(load_id)
    at.query_params["entry"] = call.id
    run_app(at)
    assert any(call.id in str(j.value) for j in at.json)
    at.query_params["entry"] = "call_nope"
    run_app(at)
    assert "No entry call_nope" in plain(texts(at))


def test_the_divergent_load_says_what_the_broker_portal_last_heard(sb: Sandbox) -> None:
    load_id = story_load(sb, "divergent")
    eps, rows = api_attempts(sb, load_id)
    portal = flaky(eps)
    msgs = story.messages(a for a in rows if a.endpoint_id == portal.id)
    told = [m for m in msgs if m.to_status and m.delivered][-1]
    newest = [m for m in msgs if m.to_status][-1]
    assert (told.to_status, newest.to_status, newest.state.status) == (
        "At Pickup", "In Transit", "DEAD")  # fmt: skip
    at = open_load(load_id)
    said = next(plain(s) for s in sentences(at) if s.startswith("Broker portal"))
    assert said == (
        f"Broker portal (flaky receiver) last heard load.status_changed → At Pickup at "
        f"{formats.when(told.at)}; the newer load.status_changed → In Transit at "
        f"{formats.when(newest.at)} has not arrived (dead)."
    )
    healthy = next(plain(s) for s in sentences(at) if s.startswith("TMS sync"))
    assert "is up to date" in healthy
    # The missed list, drawn once its panel is open: the superseded → Covered is listed but not
    # replayed by default.
    assert not [d for d in at.dataframe if "Superseded" in d.value.columns]
    open_expander(at, f"missed_panel_{portal.id}")
    missed = frame_with(at, "Superseded")
    assert list(zip(missed["Event"], missed["Superseded"], missed["Will replay"], strict=True)) == [
        ("load.status_changed → Covered", True, False),
        ("load.status_changed → In Transit", False, True),
    ]


def test_a_reader_sees_what_the_portal_missed_but_no_replay_form(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = User("reader@broker.example", "Rita Reader", is_admin=False, signed_in=True)
    monkeypatch.setattr(access, "current_user", lambda: reader)
    load_id = story_load(sb, "divergent")
    portal = flaky(api_attempts(sb, load_id)[0])
    at = open_load(load_id)
    open_expander(at, f"missed_panel_{portal.id}")
    labels = [plain(e.label) for e in at.expander if "missed for this load" in e.label]
    assert "What Broker portal (flaky receiver) missed for this load" in labels
    assert not [x for x in labels if x.startswith("Replay")]
    assert list(frame_with(at, "Superseded")["Event"]) == [
        "load.status_changed → Covered", "load.status_changed → In Transit"]  # fmt: skip
    assert not [b for b in at.button if b.proto.form_id == f"replay_missed_{portal.id}"]
    assert not [t for t in at.text_input if t.key == f"missed_reason_{portal.id}"]
    said = (":material/lock: You can replay one message at a time, from its row in the Webhooks "
            "tab below. Only admins may replay what a receiver missed.")  # fmt: skip
    assert said in texts(at)


def test_replaying_what_the_portal_missed_replays_those_messages_in_order(sb: Sandbox) -> None:
    load_id = story_load(sb, "divergent")
    eps, rows = api_attempts(sb, load_id)
    portal = flaky(eps)
    dead = [m for m in story.messages(a for a in rows if a.endpoint_id == portal.id) if m.missed]
    at = open_load(load_id)
    open_expander(at, f"missed_panel_{portal.id}")
    form = f"replay_missed_{portal.id}"
    button = next(b for b in at.button if b.proto.form_id == form)
    assert button.label == "Replay 1 message, oldest first"
    at.toggle(key=f"superseded_{portal.id}").set_value(True)
    run_app(at)
    button = next(b for b in at.button if b.proto.form_id == form)
    assert button.label == "Replay 2 messages, oldest first"
    button.click()
    run_app(at)  # no reason: refused, nothing started
    assert "Say why you replay these" in texts(at)
    assert not [r for r in audit.entries() if r["action"] == "bulk replay"]
    sb.set_receiver("flaky", "ok")  # the broker fixed their portal
    try:
        at.text_input(key=f"missed_reason_{portal.id}").input("portal said Covered, ticket 42")
        next(b for b in at.button if b.proto.form_id == form).click()
        run_app(at)
        assert jobs.work_once()
        replayed = [json.loads(r["target"])["message_id"] for r in reversed(audit.entries())
                    if r["action"] == "replay"]  # fmt: skip
        assert replayed == [m.id for m in dead]  # exactly those, oldest first
        assert [m.title for m in dead] == [
            "load.status_changed → Covered", "load.status_changed → In Transit"]  # fmt: skip
        api = sb.client.webhooks
        wait_for(lambda: all(api.list_message_attempts(m.id)[-1].status == "SUCCEEDED"
                             for m in dead), timeout=60)  # fmt: skip
        st.cache_data.clear()
        at = open_load(load_id)
        said = next(plain(s) for s in sentences(at) if s.startswith("Broker portal"))
        assert said.startswith("Broker portal (flaky receiver) is up to date: last heard "
                               "load.status_changed → In Transit")  # fmt: skip
        # The console's actions are on the timeline: the job's start, each replay, and how
        # each replay ended.
        console = frame_with(at, "Kind").query("Kind == 'Console'")
        assert len(console) == 5 and set(console["Who"]) == {AGENT}
        said = console.astype(str).to_string()
        assert said.count("Delivered (200)") == 2, said
    finally:
        sb.set_receiver("flaky", "flaky")


def test_the_evidence_pack_matches_the_api_and_holds_no_secret(sb: Sandbox) -> None:
    load_id = story_load(sb, "caught_up")
    api = sb.client.webhooks
    # An endpoint with every kind of secret a pack could leak: a token in its URL, user info,
    # a custom header value, and its signing secret.
    url = (
        sb.receiver_url(sb.new_receiver("ok")).replace("http://", "http://user:pw-77@")
        + "?token=tok-secret-55"
    )
    ep = api.create_endpoint(
        url=url, event_types=["load.updated"], headers={"X-Api-Key": "hv-secret-99"}
    )
    try:
        number = sb.client.loads.retrieve(load_id).load_number
        data = {"load_id": load_id, "load_number": number, "changed_fields": ["stops"]}
        sb.emit("load.updated", data)
        wait_for(lambda: any(a.endpoint_id == ep.id and a.status == "SUCCEEDED"
                             for a in api_attempts(sb, load_id)[1]), timeout=30)  # fmt: skip
        _, rows = api_attempts(sb, load_id)
        c = sb.client.loads
        calls, vers = c.calls(load_id), c.failed_verifications(load_id)
        escs = c.active_escalations(load_id)
        at = open_load(load_id)
        timeline = frame_with(at, "Kind")
        blob = download_bytes(at.download_button(key="evidence_zip"))
        archive = zipfile.ZipFile(io.BytesIO(blob))
        files = {n.split("/", 1)[1]: archive.read(n).decode() for n in archive.namelist()}
        assert set(files) == {"README.md", "load.json", "timeline.csv", "calls.csv",
                              "verifications.csv", "escalations.csv", "messages.csv",
                              "attempts.csv", "payloads.jsonl", "audit.csv"}  # fmt: skip
        count = {n: len(pd.read_csv(io.StringIO(t))) for n, t in files.items() if ".csv" in n}
        messages = {a.message_id for a in rows}
        assert count == {
            "timeline.csv": len(timeline), "calls.csv": len(calls),
            "verifications.csv": len(vers), "escalations.csv": len(escs),
            "messages.csv": len(messages), "attempts.csv": len(rows), "audit.csv": 0,
        }  # fmt: skip
        assert len(files["payloads.jsonl"].splitlines()) == len(messages)
        assert json.loads(files["load.json"])["id"] == load_id
        readme = files["README.md"]
        assert f"load {number}" in readme and "Generated:" in readme and "by local" in readme
        assert "Console version: " in readme and "Organization: " in readme
        secret = api.rotate_secret(ep.id).signing_secret.get_secret_value()
        everything = blob.decode("latin-1") + "".join(files.values())
        for leak in ("whsec_", secret, sb.api_key, "tok-secret-55", "pw-77", "hv-secret-99"):
            assert leak not in everything, leak
    finally:
        api.delete_endpoint(ep.id)


def test_a_row_of_the_webhooks_tab_replays_with_a_reason_when_delivered(sb: Sandbox) -> None:
    load_id = story_load(sb, "caught_up")
    at = open_load(load_id, "webhooks")
    table = frame_with(at, "Last code")
    row = next(i for i, s in enumerate(table["Status"]) if s == "Delivered")
    message_id = table["Message id"][row]
    at.session_state["webhooks_table"] = {"selection": {"rows": [row], "columns": []}}
    run_app(at)
    assert any("receiver gets it twice" in str(w.value) for w in at.warning)
    at.button(key=f"replay:{message_id}").click()
    run_app(at)  # a delivered message needs a reason: nothing sent
    assert "Say why you replay a delivered message" in texts(at)
    before = len(sb.client.webhooks.list_message_attempts(message_id))
    at.text_input(key=f"replay_reason:{message_id}").input("broker lost it, ticket 9")
    at.button(key=f"replay:{message_id}").click()
    run_app(at)
    assert len(sb.client.webhooks.list_message_attempts(message_id)) == before + 1
    (row_,) = [r for r in audit.entries() if r["action"] == "replay"]
    assert json.loads(row_["target"])["load_id"] == load_id
    assert row_["reason"] == "broker lost it, ticket 9"
