"""Custom header values (a receiver's credentials, often) are shown only to those who may change
them, masked until asked for, and kept when an admin saves without retyping them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from components.domain import forms, rights
from components.shell import access
from envoy_api import WebhookEndpoint

from ..sandboxes import Sandbox
from .conftest import open_page, run_app, texts

READER = rights.User(email="reader@broker.example", name="Rita", is_admin=False, signed_in=True)
SECRET = "Bearer rcv-7f3a9c1e"


def session_text(at: AppTest) -> str:
    return str(at.session_state)


@pytest.fixture
def endpoint(configured: Sandbox) -> Iterator[WebhookEndpoint]:
    ep = configured.client.webhooks.create_endpoint(
        url=configured.receiver_url(configured.new_receiver()), event_types=["load.created"],
        headers={"Authorization": SECRET, "X-Source": "envoy"},
    )  # fmt: skip
    yield ep
    configured.client.webhooks.delete_endpoint(ep.id)


def test_admins_see_masked_values_until_they_ask(endpoint: WebhookEndpoint) -> None:
    ep_id = endpoint.id
    at = open_page("views/webhook_endpoints.py", endpoint_id=ep_id)
    (area,) = [t for t in at.text_area if t.key and t.key.startswith(f"e_headers_{ep_id}")]
    assert SECRET not in (area.value or "") and forms.MASK in (area.value or "")
    assert SECRET not in session_text(at)
    at.toggle(key=f"reveal_{ep_id}").set_value(True)
    run_app(at)
    (area,) = [t for t in at.text_area if t.key and t.key.startswith(f"e_headers_{ep_id}")]
    assert f"Authorization: {SECRET}" in (area.value or "")


def test_saving_with_masked_values_keeps_them(
    configured: Sandbox, endpoint: WebhookEndpoint
) -> None:
    ep_id = endpoint.id
    at = open_page("views/webhook_endpoints.py", endpoint_id=ep_id)
    at.text_input(key=f"e_desc_{ep_id}").set_value("renamed")
    at.button[[b.label for b in at.button].index("Save changes")].click()
    run_app(at)
    saved = configured.client.webhooks.retrieve_endpoint(ep_id)
    assert saved.description == "renamed"
    assert saved.headers == {"Authorization": SECRET, "X-Source": "envoy"}
    assert not at.info  # the agent's own change is no news to them
    # A change made elsewhere (another agent, another replica) replaces what the form showed,
    # and the agent is told.
    configured.client.webhooks.update_endpoint(ep_id, description="changed elsewhere")
    st.cache_data.clear()
    run_app(at)
    assert at.text_input(key=f"e_desc_{ep_id}").value == "changed elsewhere"
    assert [i.value for i in at.info] == [
        "This endpoint was changed since you opened it: the form shows it as it is now."
    ]


def test_readers_never_get_the_values(
    endpoint: WebhookEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "current_user", lambda: READER)
    ep_id = endpoint.id
    at = open_page("views/webhook_endpoints.py", endpoint_id=ep_id)
    assert not [t for t in at.text_area if t.key and t.key.startswith("e_headers_")]
    assert "Custom headers: Authorization, X\\-Source" in texts(at)
    assert SECRET not in texts(at) and SECRET not in session_text(at)
