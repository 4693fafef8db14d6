"""The frame and the URL: one organization on every page, views that the URL names exactly,
screens that tell the truth after every action."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from components.domain.markup import md
from envoy_sandbox.config import DEMO_EMAIL, DEMO_PASSWORD
from envoy_sandbox.contract import ORG_A, ORG_B

from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox
from .conftest import frame_with, loads_app, new_app, open_page, run_app, texts


@pytest.fixture
def two_orgs(configured: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The console as the demo agent, who belongs to both seeded organizations."""
    token = configured.http.post(
        "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    ).json()["access_token"]
    monkeypatch.delenv("ENVOY_API_KEY")
    monkeypatch.setenv("ENVOY_BEARER_TOKEN", token)
    monkeypatch.setenv("ENVOY_ORGANIZATION_ID", f"{ORG_A},{ORG_B}")
    yield configured


def all_tab(at: AppTest) -> str:
    return str(at.button_group(key="loads_tab").options[0])


def switch(at: AppTest, path: str, **query: str) -> AppTest:
    """What an in-app link does: another page, with its own query (the frame keeps the org)."""
    org = at.query_params.get("org")
    at.query_params.clear()
    at.query_params.update({**query, **({"org": org} if org else {})})
    at.switch_page(path)
    return run_app(at)


def link_query(at: AppTest, label: str) -> dict[str, str]:
    link = next(p for p in at.get("page_link") if p.proto.label == label)
    return {k: v[0] for k, v in parse_qs(link.proto.query_string).items()}


def test_the_organization_follows_the_agent_across_pages_and_reloads(two_orgs: Sandbox) -> None:
    at = loads_app()
    size_a = two_orgs.client.loads.tab_counts()["all"]
    size_b = two_orgs.other.loads.tab_counts()["all"]
    assert all_tab(at) == f"All · {size_a:,}" and at.query_params["org"] == ORG_A
    at.selectbox(key="organization").set_value(ORG_B)
    run_app(at)
    assert all_tab(at) == f"All · {size_b:,}" and at.query_params["org"] == ORG_B
    switch(at, "views/webhook_endpoints.py")
    assert at.selectbox(key="organization").value == ORG_B
    urls = set(frame_with(at, "URL")["URL"])
    assert urls == {e.url for e in two_orgs.other.webhooks.list_endpoints()}
    switch(at, "views/load_list.py")
    assert all_tab(at) == f"All · {size_b:,}"  # not silently back on the first organization
    # A reload is a new session with the same URL.
    reload = open_page("views/load_list.py", org=ORG_B)
    assert reload.selectbox(key="organization").value == ORG_B
    assert all_tab(reload) == f"All · {size_b:,}"


def test_a_link_to_an_organization_the_agent_cannot_use_says_so(two_orgs: Sandbox) -> None:
    at = new_app()
    at.query_params["org"] = "org_00000000-0000-4000-8000-000000000000"
    run_app(at)
    assert "cannot open with its credentials" in texts(at)
    assert not at.dataframe  # nothing of another organization is shown
    assert [p.proto.label for p in at.get("page_link")][:1] == ["Continue in " + md(ORG_A)]


def test_links_for_new_tabs_carry_the_organization(two_orgs: Sandbox) -> None:
    at = new_app()
    at.query_params["org"] = ORG_B
    run_app(at)
    links = frame_with(at, "Open")["Open"]
    assert all(f"org={ORG_B}" in href for href in links)


def test_back_to_loads_restores_the_list(configured: Sandbox) -> None:
    at = new_app()
    view = {"tab": "delivered", "q": "a", "page": "2", "size": "50"}
    assert configured.client.loads.list(tab="delivered", search="a", page_size=50
                                        ).pagination.total_pages >= 2  # fmt: skip
    at.query_params.update(view)
    run_app(at)
    load_id = frame_with(at, "Load")["id"].iloc[0]
    switch(at, "views/load_detail.py", **view, load_id=load_id)  # what a row click opens
    assert link_query(at, "Back to loads") == view


def test_tab_counts_and_the_table_are_one_snapshot(configured: Sandbox) -> None:
    at = loads_app()  # the counts of "all" are cached now
    for key in ("active_escalations", "covered"):
        at.button_group(key="loads_tab").set_value(key)
        run_app(at)
        tabs = at.button_group(key="loads_tab")
        label = str(
            tabs.options[
                tabs.options.index(next(o for o in tabs.options if key.split("_")[0].title() in o))
            ]
        )
        total = int(label.rsplit("· ", 1)[1].replace(",", ""))
        assert f"· {total:,} loads ·" in texts(at), (label, texts(at))


def _message_of(sb: Sandbox, endpoint_id: str) -> str:
    return sb.client.webhooks.list_endpoint_attempts(endpoint_id).data[0].message_id


def test_leaving_a_message_keeps_the_filters_and_drops_the_message(configured: Sandbox) -> None:
    ep = next(e for e in configured.client.webhooks.list_endpoints() if e.url.endswith("/down"))
    query = {"endpoint_id": ep.id, "status": "FAILED,DEAD", "window": "all"}
    at = open_page("views/delivery_log.py", **query)
    links = frame_with(at, "Open")["Open"]
    assert all("status=FAILED%2CDEAD" in href and "window=all" in href for href in links)
    at = open_page("views/delivery_log.py", **query, message_id=_message_of(configured, ep.id))
    at.button(key="to_list").click()
    run_app(at)
    assert dict(at.query_params) == query  # the list as it was, without the message
    assert frame_with(at, "Open") is not None


def test_after_delete_every_control_agrees_with_the_selection(configured: Sandbox) -> None:
    api = configured.client.webhooks
    eps = [api.create_endpoint(url=configured.receiver_url(configured.new_receiver()),
                               event_types=["load.created"]) for _ in range(2)]  # fmt: skip
    at = open_page("views/webhook_endpoints.py", endpoint_id=eps[0].id)
    at.button(key=f"delete_{eps[0].id}").click()
    run_app(at)
    at.text_input(key="delete_confirm_url").input(eps[0].url)
    at.button(key="delete_confirm").click()
    run_app(at)
    chosen = at.selectbox(key="manage_endpoint").value
    assert chosen != eps[0].id and at.query_params["endpoint_id"] == chosen
    assert eps[0].id not in at.selectbox(key="manage_endpoint").options
    assert at.button(key=f"delete_{chosen}")  # the actions below act on the selected one
    assert at.text_input(key=f"e_url_{chosen}").value == api.retrieve_endpoint(chosen).url
    api.delete_endpoint(eps[1].id)


def test_after_register_the_new_endpoint_is_selected_and_the_form_empty(
    configured: Sandbox,
) -> None:
    url = configured.receiver_url(configured.new_receiver())
    at = open_page("views/webhook_endpoints.py")
    at.text_input(key="reg_url").set_value(url)
    at.multiselect(key="reg_types").set_value(["load.created"])
    at.text_input(key="reg_description").set_value("fresh")
    at.button[[b.label for b in at.button].index("Register")].click()
    run_app(at)
    at.button(key="secret_done").click()
    run_app(at)
    ep = next(e for e in configured.client.webhooks.list_endpoints() if e.url == url)
    assert at.selectbox(key="manage_endpoint").value == ep.id
    assert at.query_params["endpoint_id"] == ep.id
    assert url in set(frame_with(at, "URL")["URL"])  # without Refresh data
    assert at.text_input(key="reg_url").value == "" and at.multiselect(key="reg_types").value == []
    configured.client.webhooks.delete_endpoint(ep.id)


def test_after_pause_and_replay_the_screen_shows_the_new_state(configured: Sandbox) -> None:
    api = configured.client.webhooks
    name = configured.new_receiver("down")
    ep = api.create_endpoint(url=configured.receiver_url(name), event_types=["load.created"])
    msg = next(m["id"] for m in configured.emit("load.created", EVENT_LOAD)["messages"]
               if m["endpoint_id"] == ep.id)  # fmt: skip
    wait_for(lambda: api.list_message_attempts(msg)[-1].status == "DEAD", timeout=30)
    at = open_page("views/webhook_endpoints.py", endpoint_id=ep.id)  # caches the list
    at.button(key=f"toggle_{ep.id}").click()
    run_app(at)
    assert frame_with(at, "URL").set_index("id").loc[ep.id, "State"] == ["Paused"]
    at = open_page("views/delivery_log.py", endpoint_id=ep.id, window="all")
    assert set(frame_with(at, "Status")["Status"]) == {"Dead", "Failed, will retry"}
    configured.set_receiver(name, "ok")
    api.update_endpoint(ep.id, status="ACTIVE")
    at.switch_page("views/delivery_log.py")
    at.query_params["message_id"] = msg
    run_app(at)
    at.button(key=f"replay:{msg}").click()
    run_app(at)
    wait_for(lambda: api.list_message_attempts(msg)[-1].status == "SUCCEEDED", timeout=30)
    at = open_page("views/delivery_log.py", endpoint_id=ep.id, window="all")
    statuses: Any = frame_with(at, "Status")["Status"]
    assert "Delivered" in set(statuses) or "Queued" in set(statuses)
    api.delete_endpoint(ep.id)


def test_a_change_refetches_only_its_own_credential_and_organization(two_orgs: Sandbox) -> None:
    from components import data
    from components.data.connection import resolve_connection

    conn = resolve_connection()
    ctx_a, ctx_b = data.register(conn, ORG_A), data.register(conn, ORG_B)
    ep = data.endpoints(ctx_a)[0]
    data.endpoints(ctx_b)  # both organizations' lists are cached now
    data.update_endpoint(ctx_a, ep.id, description=ep.description)
    two_orgs.reset_stats()
    data.endpoints(ctx_b)
    assert two_orgs.stats()["routes"] == {}  # the other organization's list: from the cache
    data.endpoints(ctx_a)
    assert two_orgs.stats()["routes"] == {"GET /api/v1/webhooks/endpoints": 1}  # refetched
