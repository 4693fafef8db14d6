"""The signature doctor in Chromium: the demo receiver's last delivery verifies; the same delivery
with a line break added is diagnosed as a trailing newline; the secret typed in is gone from the
field and the page after the check."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox
from .conftest import doc_shot, settle


def test_the_doctor_verifies_a_real_delivery_and_names_a_culprit(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    sent = {m["id"] for m in sandbox.emit("load.created", EVENT_LOAD)["messages"]}

    def arrived() -> dict[str, Any]:
        return next((dict(r) for r in sandbox.received("ok") if r["webhook_id"] in sent), {})

    receipt = wait_for(arrived, timeout=30, what="the delivery at the demo receiver")
    page.goto(f"{console}/doctor")
    settle(page)
    page.get_by_role("button", name="Try it: check the demo receiver's last delivery").click()
    expect(page.get_by_text("The signature verifies: this body, these headers and this secret "
                            "agree.")).to_be_visible()  # fmt: skip

    attempts = sandbox.client.webhooks.list_message_attempts(receipt["webhook_id"])
    secret = sandbox.extras.endpoint_secrets(attempts[0].endpoint_id or "")[0]
    settle(page)
    body = page.get_by_label("Raw body, exactly as received")
    body.fill(receipt["body"] + "\n")
    page.get_by_label("Headers as received").fill(
        "\n".join(f"{k}: {v}" for k, v in receipt["headers"].items())
    )
    settle(page)
    field = page.get_by_label("Receiver's signing secret")
    field.fill(secret)
    page.get_by_role("button", name="Diagnose").click()
    expect(page.get_by_text("Most likely: Trailing newline")).to_be_visible()
    settle(page)
    expect(field).to_have_value("")
    assert secret not in page.content()
    doc_shot(page, "doctor")
