"""The signature doctor page: a real delivery verifies, a wrong secret is diagnosed by name with
the endpoint the delivery went to, and the secret is nowhere after the run (not in the session,
not on the page, not in the form's field)."""

from __future__ import annotations

import re
from typing import Any

from envoy_api.signing import generate_secret

from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox
from .conftest import open_page, run_app, texts


def a_delivery(sb: Sandbox) -> dict[str, Any]:
    sent = sb.emit("load.created", EVENT_LOAD)["messages"]
    ids = {m["id"] for m in sent}

    def arrived() -> dict[str, Any]:
        return next((dict(r) for r in sb.received("ok") if r["webhook_id"] in ids), {})

    return wait_for(arrived, timeout=30, what="the delivery at the demo receiver")


def session_text(at) -> str:  # type: ignore[no-untyped-def]
    return repr({k: at.session_state[k] for k in at.session_state})


def test_the_demo_button_checks_a_real_delivery_and_it_verifies(configured: Sandbox) -> None:
    a_delivery(configured)
    at = open_page("views/doctor.py")
    at.button(key="doctor_demo").click()
    run_app(at)
    page = texts(at)
    assert "The signature verifies" in page, page
    assert (at.text_area(key="doctor_body").value or "").startswith("{")
    assert "webhook-signature:" in (at.text_area(key="doctor_headers").value or "")
    secret = re.compile(r"whsec_[A-Za-z0-9+/]{16,}")  # a secret, not the word in the help text
    assert not secret.search(session_text(at)) and not secret.search(page)


def test_a_wrong_secret_is_named_and_the_secret_is_gone_after_the_run(configured: Sandbox) -> None:
    receipt = a_delivery(configured)
    wrong = generate_secret()
    at = open_page("views/doctor.py")
    at.text_area(key="doctor_body").input(receipt["body"])
    at.text_area(key="doctor_headers").input(
        "\n".join(f"{k}: {v}" for k, v in receipt["headers"].items())
    )
    at.text_input[0].input(wrong)  # the secret: the form's only text input
    next(b for b in at.button if b.proto.form_id == "doctor_form").click()
    run_app(at)
    page = texts(at).replace("\\", "")  # the page escapes Markdown
    assert "does not verify" in page and "Not this endpoint's secret" in page
    assert "TMS sync (healthy receiver)" in page  # where the delivery went
    assert wrong not in page and wrong not in session_text(at)
