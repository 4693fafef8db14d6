"""The fault matrix: every page × every failure the API can throw at it.

Each cell: the page renders without an exception, shows messages that name the cause and the
next step, and keeps the frame (menu and sidebar) standing. Data-shape faults
(unknown enum values, extra fields, missing optional fields) show no error at all. The results
table is written to test-artifacts/fault-matrix.md and printed at the end of the run.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ..sandboxes import Sandbox
from .conftest import deep_link, new_app
from .matrix import record  # each cell's result; the session's summary prints them all

REFUSED = "http://127.0.0.1:9/api/v1"

FAULTS: dict[str, dict[str, Any]] = {
    "401": {"status": 401},
    "403": {"status": 403},
    "404": {"status": 404},
    "422": {"status": 422},
    "429": {"status": 429, "retry_after": 7},
    "500": {"status": 500},
    "503": {"status": 503},
    "timeout": {"latency_ms": 1500},
    "refused": {},
    "malformed JSON": {"malformed": True},
    "unknown enum": {"mutate": "unknown_enum"},
    "extra fields": {"mutate": "extra_fields"},
    "missing optional": {"mutate": "missing_optional"},
}
CAUSES = {
    "401": r"401", "403": r"403", "404": r"404", "422": r"refused the request",
    "429": r"429", "500": r"500", "503": r"503", "timeout": r"did not answer in time",
    "refused": r"Could not reach", "malformed JSON": r"cannot read",
}  # fmt: skip
NEXT_STEP = re.compile(r"Check|Try|try|pick|switch|It may|Ask", re.I)
SHAPE_ONLY = {"unknown enum", "extra fields", "missing optional"}


def pages(sb: Sandbox) -> dict[str, tuple[str | None, dict[str, str]]]:
    c = sb.client
    load = c.loads.list(tab="active_escalations").data[0].id
    ep = next(e for e in c.webhooks.list_endpoints() if e.url.endswith("/down"))
    msg = c.webhooks.list_endpoint_attempts(ep.id).data[0].message_id
    return {
        "Loads": (None, {}),
        "Load": ("views/load_detail.py", {"load_id": load}),
        "Endpoints": ("views/webhook_endpoints.py", {}),
        "Deliveries": ("views/delivery_log.py", {"endpoint_id": ep.id, "window": "all"}),
        "Message": ("views/delivery_log.py", {"endpoint_id": ep.id, "message_id": msg}),
        "Event types": ("views/event_catalogue.py", {}),
    }


@pytest.fixture(scope="module")
def targets(sandbox: Sandbox) -> dict[str, tuple[str | None, dict[str, str]]]:
    return pages(sandbox)


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("page", ["Loads", "Load", "Endpoints", "Deliveries", "Message",
                                  "Event types"])  # fmt: skip
def test_page_survives_fault(
    configured: Sandbox, targets: dict[str, Any], monkeypatch: pytest.MonkeyPatch, page: str,
    fault: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("ENVOY_MAX_RETRIES", "0")
    # A short client timeout only where the fault is a slow API: elsewhere a busy machine's
    # slow answer must not pass for the fault under test.
    monkeypatch.setenv("ENVOY_TIMEOUT", "0.5" if fault == "timeout" else "15")
    path, query = targets[page]
    at = deep_link(path, **query)
    if fault == "refused":
        monkeypatch.setenv("ENVOY_BASE_URL", REFUSED)
    else:
        configured.fault(route="*", **FAULTS[fault])
    at.run()
    configured.clear_faults()
    assert not at.exception, [e.value for e in at.exception]
    errors = [str(e.value) for e in [*at.error, *at.warning]]
    frame = [b.label for b in at.sidebar.button]
    if fault == "refused":
        # no connection at all: one message, and the page does not pretend otherwise
        assert len(errors) >= 1
    else:
        assert "Refresh data" in frame, frame  # the frame (menu, sidebar) stands
    if fault in SHAPE_ONLY:
        assert not errors, errors
        outcome = "renders, no error"
    else:
        assert errors, f"{page} showed no message for {fault}"
        for text in errors:
            assert re.search(CAUSES[fault], text), (fault, text)
            assert NEXT_STEP.search(text), (fault, text)
        outcome = f"{len(errors)} message(s): {errors[0][:70]}…"
    record(page, fault, outcome)


def test_register_form_keeps_input_when_the_api_fails(configured: Sandbox) -> None:
    at = new_app()
    at.run()
    at.switch_page("views/webhook_endpoints.py")
    at.run()
    for status in (401, 422, 429, 500, 503):
        configured.fault(route="/webhooks/endpoints", method="POST", status=status)
        at.text_input(key="reg_url").set_value("https://kept.example.com/hooks")
        at.multiselect(key="reg_types").set_value(["load.created"])
        at.text_input(key="reg_description").set_value(f"kept after {status}")
        at.button[[b.label for b in at.button].index("Register")].click()
        at.run()
        configured.clear_faults()
        assert not at.exception
        assert any(str(status) in e.value or "refused" in e.value for e in at.error), status
        assert at.text_input(key="reg_url").value == "https://kept.example.com/hooks"
        assert at.text_input(key="reg_description").value == f"kept after {status}"
        record("Endpoints (register form)", str(status), "error shown, input kept")
