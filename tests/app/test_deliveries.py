"""Deliveries answers the agent's question: with no endpoint chosen it opens on the endpoints
needing attention first; endpoints are named by their description; and the Status filter speaks
of messages (not delivered, delivered after retries, delivered) as well as of attempts."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from components.data import webhooks
from components.domain import deliveries
from envoy_api import DeliveryAttempt, Page, Pagination

from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox, dead_messages, make_sandbox
from .conftest import deep_link, download_frame, frame_with, open_page, run_app, texts

PAGE = "views/delivery_log.py"


@pytest.fixture
def outcomes(configured: Sandbox) -> Iterator[tuple[str, dict[str, str]]]:
    """An endpoint with three messages: one dead; one that failed (503, five times) and was then
    delivered (200) by a replay; one delivered at its first attempt."""
    api = configured.client.webhooks
    endpoint_id, name, (dead, retried) = dead_messages(configured, 2, "Outcomes test receiver")
    configured.set_receiver(name, "ok")
    api.replay(retried, endpoint_id=endpoint_id)
    fresh = next(m["id"] for m in configured.emit("load.created", EVENT_LOAD)["messages"]
                 if m["endpoint_id"] == endpoint_id)  # fmt: skip
    wait_for(lambda: all(api.list_message_attempts(m)[-1].status == "SUCCEEDED"
                         for m in (retried, fresh)), what="the two deliveries")  # fmt: skip
    yield endpoint_id, {"dead": dead, "retried": retried, "fresh": fresh}
    api.delete_endpoint(endpoint_id)


def shown_messages(at: AppTest) -> pd.DataFrame:
    return frame_with(at, "Outcome")


def test_not_delivered_and_delivered_after_retries_judge_messages(
    configured: Sandbox, outcomes: tuple[str, dict[str, str]]
) -> None:
    endpoint_id, m = outcomes
    at = open_page(PAGE, endpoint_id=endpoint_id, window="all")
    status = at.selectbox(key="dl_status")
    assert status.value == "" and status.options[:4] == [
        "Messages: not delivered", "Messages: delivered after retries", "Messages: delivered",
        "Attempts: all"]  # fmt: skip
    # Failed attempts include those of the message a replay delivered: not the agent's question.
    status.set_value("FAILED,DEAD")
    run_app(at)
    assert set(frame_with(at, "Attempt id")["Message id"]) == {m["dead"], m["retried"]}

    at.selectbox(key="dl_status").set_value("undelivered")
    run_app(at)
    assert at.query_params["status"] == "undelivered"  # the URL carries the filter
    table = shown_messages(at)
    assert list(table["Message id"]) == [m["dead"]]  # the dead one, not the one delivered later
    assert list(table["Outcome"]) == ["Dead"] and list(table["Attempts"]) == [5]
    # Over which window the filter looked: 5 + 6 + 1 attempts, all read.
    assert (
        "All messages, each judged by its latest attempt: all 12 attempts of the window were read."
    ) in texts(at)

    at.selectbox(key="dl_status").set_value("retried")
    run_app(at)
    table = shown_messages(at)
    assert list(table["Message id"]) == [m["retried"]]  # exactly the failed-then-delivered one
    assert list(table["Outcome"]) == ["Delivered after retries"]
    assert "Bulk recovery" not in "".join(e.label for e in at.expander)  # nothing to recover

    at.selectbox(key="dl_status").set_value("delivered")
    run_app(at)
    assert set(shown_messages(at)["Message id"]) == {m["retried"], m["fresh"]}

    # A reload (or a pasted link) opens the same filter.
    at = open_page(PAGE, endpoint_id=endpoint_id, window="all", status="retried")
    assert at.selectbox(key="dl_status").value == "retried"
    assert list(shown_messages(at)["Message id"]) == [m["retried"]]
    # The page speaks in words: no raw status in the filter or the outcomes.
    assert not {"DEAD", "FAILED", "SUCCEEDED"} & {*at.selectbox(key="dl_status").options,
                                                  *shown_messages(at)["Outcome"]}  # fmt: skip


def test_not_delivered_exports_and_recovers_exactly_what_it_shows(
    configured: Sandbox, outcomes: tuple[str, dict[str, str]], audit_db: Path
) -> None:
    endpoint_id, m = outcomes
    at = open_page(PAGE, endpoint_id=endpoint_id, window="all", status="undelivered")
    csv = download_frame(at.download_button(key="dl_csv"))
    assert list(csv["Message id"]) == [m["dead"]] and list(csv["Outcome"]) == ["Dead"]
    at.button(key="bulk_count").click()
    run_app(at)
    assert "**1 message** of 1 in this filter" in texts(at)
    assert [x[0] for x in at.session_state["bulk_counted"]["messages"]] == [m["dead"]]


@pytest.fixture
def failing(configured: Sandbox) -> Iterator[str]:
    """A new endpoint whose receiver is down, with two dead messages."""
    endpoint_id, _, _ = dead_messages(configured, 2, "Default view test (receiver down)")
    yield endpoint_id
    configured.client.webhooks.delete_endpoint(endpoint_id)


def test_without_an_endpoint_it_opens_on_those_needing_attention(failing: str) -> None:
    endpoint_id = failing
    at = open_page(PAGE)
    table = frame_with(at, "Loads affected")
    states = [s[0] for s in table["State"]]
    trouble = [s != "Healthy" for s in states]
    assert trouble[0] and trouble == sorted(trouble, reverse=True), states  # failing ones first
    by_id = table.set_index("id")
    assert by_id.loc[endpoint_id, "State"] == ["Failing"]
    assert by_id.loc[endpoint_id, "Endpoint"] == "Default view test (receiver down)"
    # One click from its deliveries: those it did not deliver, when it has some.
    assert str(by_id.loc[endpoint_id, "Open"]).startswith(
        f"deliveries?endpoint_id={endpoint_id}&status=undelivered"
    )
    healthy = next(i for i, s in zip(table["id"], states, strict=True) if s == "Healthy")
    assert "status=" not in str(by_id.loc[healthy, "Open"])
    # The same rule and order as the landing page's board, which lists only those.
    board = frame_with(run_app(deep_link(None)), "Loads affected")
    assert list(table["id"])[: len(board)] == list(board["id"]) == list(table["id"][trouble])
    assert "need attention" in texts(at) and "they come first" in texts(at)


def test_the_picker_names_endpoints_by_description_and_writes_the_url(
    configured: Sandbox,
) -> None:
    eps = configured.client.webhooks.list_endpoints()
    flaky = next(e for e in eps if e.description == "Broker portal (flaky receiver)")
    at = open_page(PAGE)
    picker = at.selectbox(key="dl_endpoint")
    assert picker.value is None
    assert f"Broker portal (flaky receiver) · {flaky.url}" in picker.options
    assert all(deliveries.endpoint_label(e) in picker.options for e in eps)
    picker.set_value(flaky.id)
    run_app(at)
    assert at.query_params["endpoint_id"] == flaky.id  # Back and reload land here again
    assert frame_with(at, "Attempt id") is not None
    header = next(str(x.value) for x in at.markdown if "flaky receiver" in str(x.value))
    assert "Broker portal (flaky receiver)" in header.replace("\\", "")
    # A link to the endpoint opens it exactly, picker or not.
    at = open_page(PAGE, endpoint_id=flaky.id)
    assert at.query_params["endpoint_id"] == flaky.id and frame_with(at, "Attempt id") is not None


def test_an_organization_without_endpoints_is_told_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb, close = make_sandbox(tmp_path, loads=5, seed_history=False)  # no endpoints at all
    try:
        for name in ("ENVOY_BEARER_TOKEN", "ENVOY_ORGANIZATION_ID"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ENVOY_BASE_URL", sb.base_url)
        monkeypatch.setenv("ENVOY_API_KEY", sb.api_key)
        st.cache_data.clear()
        at = open_page(PAGE)
        assert [i.value for i in at.info] == [
            "This organization has no webhook endpoints, so nothing has been delivered yet."
        ]
        link = next(p for p in at.get("page_link") if "Webhook endpoints" in p.proto.label)
        assert "webhook" in link.proto.page  # the page to register one on
        assert not at.selectbox
    finally:
        st.cache_data.clear()
        close()


def test_the_status_filter_reads_old_links_and_says_every_choice_in_words() -> None:
    parse, label = deliveries.parse_status_filter, deliveries.status_filter_label
    assert parse("FAILED,DEAD") == parse("dead, failed") == "FAILED,DEAD"  # links from before
    assert parse("undelivered") == "undelivered" and parse("nonsense") is None
    assert label("PENDING,SENDING") == "Attempts: queued or sending"
    assert "PENDING,SENDING" in deliveries.status_filter_options("PENDING,SENDING")
    assert deliveries.attempt_statuses("undelivered") == deliveries.attempt_statuses("") == ()
    said = [label(v) for v in deliveries.status_filter_options("")]
    assert all(s.startswith(("Messages: ", "Attempts: ")) and s == s.strip() for s in said)
    assert not [s for s in said if any(w.isupper() and len(w) > 1 for w in s.split())]


def _attempt(message: str, n: int, status: str, at: datetime) -> DeliveryAttempt:
    return DeliveryAttempt(id=f"atmp_{message}{n}", message_id=message, endpoint_id="ep_1",
                           attempt=n, status=status, created_at=at)  # fmt: skip


def test_a_message_whose_failures_are_older_than_the_window_is_looked_up_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Last week's dead message, replayed today: the window holds only today's success, and the
    console reads the message's attempts to call it "delivered after retries"."""
    now, week = datetime.now(UTC), datetime.now(UTC) - timedelta(days=7)
    history = {
        "msg_old": [*(_attempt("msg_old", n, "FAILED", week) for n in range(1, 5)),
                    _attempt("msg_old", 5, "DEAD", week), _attempt("msg_old", 6, "SUCCEEDED", now)],
        "msg_new": [_attempt("msg_new", 1, "SUCCEEDED", now)],
    }  # fmt: skip
    window = [history["msg_old"][-1], history["msg_new"][0]]  # newest first, today only
    looked_up: list[str] = []

    def list_message_attempts(message_id: str) -> list[DeliveryAttempt]:
        looked_up.append(message_id)
        return history[message_id]

    def list_endpoint_attempts(endpoint_id: str, **query: Any) -> Page[DeliveryAttempt]:
        return Page(data=window, pagination=Pagination(total_count=2, total_pages=1))

    api = SimpleNamespace(list_endpoint_attempts=list_endpoint_attempts,
                          list_message_attempts=list_message_attempts)  # fmt: skip
    monkeypatch.setattr(webhooks, "client", lambda ctx: SimpleNamespace(webhooks=api))
    found = webhooks._read_messages(None, webhooks.AttemptFilter("ep_1"), 20, fresh=True)  # type: ignore[arg-type]
    assert looked_up == ["msg_old"]  # only the message whose first attempt was not read
    assert (found.read, found.total, found.complete, found.unsure) == (2, 2, True, 0)
    retried = [s.message_id for s in found.states if deliveries.has_outcome(s, "retried")]
    assert retried == ["msg_old"]
    assert {s.message_id for s in found.states if deliveries.has_outcome(s, "delivered")} == {
        "msg_old", "msg_new"}  # fmt: skip


def test_without_an_endpoint_it_reads_the_board_every_agent_shares(
    failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoints' health on the Deliveries page is the attention board's, made once per data
    version: once made, an agent's visit reads none of it again."""
    boards = importlib.import_module("components.data.board")  # data.board is the function
    at = open_page(PAGE)  # the board is made
    reads: list[object] = []
    for module in (boards, importlib.import_module("components.data")):
        monkeypatch.setattr(module, "impact", lambda ctx: reads.append(ctx))
    monkeypatch.setattr(boards, "_board", lambda ctx: reads.append(ctx))
    again = open_page(PAGE)
    assert reads == []
    assert frame_with(again, "Loads affected").equals(frame_with(at, "Loads affected"))


def vega_charts(at: AppTest) -> int:
    return sum(1 for node in at._tree if getattr(node, "type", "") == "vega_lite_chart")


def test_the_outcomes_chart_is_drawn_only_once_opened_and_stays_open(
    outcomes: tuple[str, dict[str, str]],
) -> None:
    endpoint_id, _ = outcomes
    at = open_page(PAGE, endpoint_id=endpoint_id, window="all")
    chart = next(e for e in at.expander if e.label == "Outcomes and latency")
    assert vega_charts(at) == 0  # closed: nothing of it drawn on a filter change or a page
    at.session_state["dl_outcomes"] = True  # what the browser sends when the agent opens it
    run_app(at)
    assert vega_charts(at) == 1
    at.selectbox(key="dl_status").set_value("undelivered")
    run_app(at)
    assert vega_charts(at) == 1 and chart.label in [e.label for e in at.expander]
