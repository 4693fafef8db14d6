"""Secret hygiene: nothing the console emits holds the API key, the bearer token or a signing
secret, except the one-time secret dialog itself.

Scanned: every element of every page (text, code, tables, JSON), session state, URLs, CSV
downloads, log records (console and in-process sandbox), and the error messages shown.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Element

from envoy_sandbox.config import DEMO_EMAIL, DEMO_PASSWORD

from ..sandboxes import Sandbox
from .conftest import _DOWNLOADS, new_app, run_app, texts


def emitted(at: AppTest) -> str:
    parts = [texts(at), str(at.session_state), str(dict(at.query_params))]
    for kind in ("code", "json", "text", "exception", "toast", "text_input", "text_area"):
        # Each of these kinds is an element, never a layout block.
        parts += [str(e.value) for e in cast(Sequence[Element], at.get(kind))]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(parts)


def goto(at: AppTest, path: str, **query: str) -> AppTest:
    at.switch_page(path)
    at.query_params.clear()
    for k, v in query.items():
        at.query_params[k] = v
    return run_app(at)


def test_nothing_leaks_a_credential_or_signing_secret(
    configured: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[tuple[str, str]] = []
    issued: list[str] = []
    c = configured.client
    name = configured.new_receiver("ok")
    url = configured.receiver_url(name)

    at = goto(run_app(new_app()), "views/webhook_endpoints.py")
    at.text_input(key="reg_url").set_value(url)
    at.multiselect(key="reg_types").set_value(["load.created"])
    at.button[[b.label for b in at.button].index("Register")].click()
    run_app(at)  # the one-time dialog: the only place a secret may appear
    issued += [str(x.value) for x in at.code if str(x.value).startswith("whsec_")]
    assert len(issued) == 1
    run_app(at)
    seen.append(("webhooks after register", emitted(at)))
    ep = next(e for e in c.webhooks.list_endpoints() if e.url == url)

    at = goto(at, "views/webhook_endpoints.py", endpoint_id=ep.id)
    at.button(key=f"rotate_{ep.id}").click()
    run_app(at)
    at.button(key="rotate_confirm").click()
    run_app(at)  # the dialog showing the new secret
    issued += [str(x.value) for x in at.code if str(x.value).startswith("whsec_")]
    assert len(issued) == 2
    at.button(key="rotate_done").click()
    run_app(at)
    seen.append(("webhooks after rotate", emitted(at)))

    msg = next(m["id"] for m in configured.emit("load.created", {
        "load_id": "load_0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "load_number": "LD-S-1"})[
        "messages"] if m["endpoint_id"] == ep.id)  # fmt: skip
    load = c.loads.list(tab="active_escalations").data[0].id
    for path, query in [
        ("views/load_list.py", {}),
        ("views/load_detail.py", {"load_id": load}),
        ("views/delivery_log.py", {"endpoint_id": ep.id, "window": "all"}),
        ("views/delivery_log.py", {"endpoint_id": ep.id, "message_id": msg}),
        ("views/event_catalogue.py", {}),
        ("views/activity_log.py", {}),
    ]:
        at = goto(at, path, **query)
        seen.append((f"{path} {query}", emitted(at)))

    at = goto(at, "views/delivery_log.py", endpoint_id=ep.id, window="all")
    at.button(key="dl_export_start").click()
    run_app(at)
    at = goto(at, "views/load_list.py")
    at.button(key="loads_export_start").click()
    run_app(at)
    seen += [(f"download {k}", v.decode(errors="replace")) for k, v in _DOWNLOADS.items()]

    configured.fault(route="/loads*", status=500)  # errors, as shown
    at = goto(at, "views/load_list.py")
    at.button(key="refresh_data").click()
    run_app(at)
    seen.append(("errors", emitted(at)))
    configured.clear_faults()

    seen.append(("logs", caplog.text))
    secrets = {"API key": configured.api_key, **{f"secret {i}": s for i, s in enumerate(issued)}}
    leaks = [(what, where) for what, s in secrets.items() for where, text in seen if s in text]
    assert not leaks, leaks
    assert len(seen) > 10
    c.webhooks.delete_endpoint(ep.id)


def test_a_bearer_token_never_shows(
    configured: Sandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = configured.http.post(
        "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    ).json()["access_token"]
    monkeypatch.delenv("ENVOY_API_KEY")
    monkeypatch.setenv("ENVOY_BEARER_TOKEN", token)
    at = run_app(new_app())
    assert at.dataframe  # it works with the token
    outputs: list[Any] = [emitted(at)]
    monkeypatch.setenv("ENVOY_BEARER_TOKEN", token + "x")  # a rejected one, too
    at = run_app(new_app())
    outputs += [emitted(at), caplog.text]
    assert any("401" in str(e.value) for e in at.error)
    assert all(token not in text for text in outputs)
