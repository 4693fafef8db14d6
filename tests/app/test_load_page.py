"""The load detail page: sections, newest-first calls, CSVs, bad ids, faults, concurrency."""

from __future__ import annotations

import re

from ..sandboxes import Sandbox, showcase_load
from .conftest import download_frame, frame_with, new_app, open_load, texts


def showcase(sb: Sandbox) -> str:
    return showcase_load(sb.client).id


def subheaders(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.value for s in at.subheader]


def frame(at, column: str):  # type: ignore[no-untyped-def]
    return frame_with(at, column)


def test_detail_shows_the_three_sections(configured: Sandbox) -> None:
    load_id = showcase(configured)
    c = configured.client
    load, calls = c.loads.retrieve(load_id), c.loads.calls(load_id)
    verifications = c.loads.failed_verifications(load_id)
    escalations = c.loads.active_escalations(load_id)
    at = open_load(load_id)
    assert at.title[0].value == f"Load {load.load_number}"
    assert [t.label for t in at.tabs][1:4] == [
        f"Calls · {len(calls)}",
        f"Failed verifications · {len(verifications)}",
        f"Active escalations · {len(escalations)}",
    ]
    # Only the open tab (the timeline, by default) is drawn; the URL opens another.
    assert subheaders(at) == ["What each receiver last heard"]
    assert frame(at, "Kind") is not None
    stops = frame(at, "Appointment")
    assert len(stops) == len(load.stops or [])
    page_text = texts(at)
    assert load.customer_name and load.customer_name in page_text
    heads = {
        "calls": f"Calls · {len(calls)}",
        "verifications": f"Failed carrier verifications · {len(verifications)}",
        "escalations": f"Active escalations · {len(escalations)}",
    }
    tabs = {s: open_load(load_id, s) for s in heads}
    for s, head in heads.items():
        assert subheaders(tabs[s]) == ["What each receiver last heard", head], s
    assert subheaders(open_load(load_id, "webhooks"))[-1].startswith("Webhooks · ")
    at = tabs["calls"]
    calls_table = frame(at, "Call id")
    assert list(calls_table["Call id"]) == [x.id for x in calls]  # newest first, as the API
    times = list(calls_table["Time"])
    assert times == sorted(times, reverse=True)
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the calls chart
    ver_table = frame(tabs["verifications"], "Verification id")
    assert list(ver_table["Verification id"]) == [v.id for v in verifications]
    assert list(ver_table["MC"]) == [v.carrier.mc_number for v in verifications if v.carrier]
    esc_table = frame(tabs["escalations"], "Escalation id")
    assert list(esc_table["Escalation id"]) == [e.id for e in escalations]


def test_section_csvs_hold_the_table_rows(configured: Sandbox) -> None:
    load_id = showcase(configured)
    for key, column in (("calls", "Call id"), ("verifications", "Verification id"),
                        ("escalations", "Escalation id")):  # fmt: skip
        at = open_load(load_id, key)
        table = frame(at, column)
        csv = download_frame(at.download_button(key=f"{key}_csv"))
        assert list(csv[column]) == list(table[column]), key
        assert list(csv.columns) == list(table.columns)


def test_malformed_id_says_so_plainly(configured: Sandbox) -> None:
    at = open_load("car_not-a-load")
    assert "is not a load id" in texts(at)
    assert at.get("page_link")  # the way back to the list
    assert not at.subheader


def test_unknown_load_says_not_found(configured: Sandbox) -> None:
    at = open_load("load_00000000-0000-4000-8000-000000000000")
    assert "No load load_00000000-0000-4000-8000-000000000000" in texts(at)


def test_failing_section_leaves_the_others(configured: Sandbox) -> None:
    load_id = showcase(configured)
    configured.fault(route="/loads/*/escalations", status=500)
    at = open_load(load_id, "escalations")
    assert subheaders(at)[1:] == ["Active escalations"]  # after "What each receiver last heard"
    assert any("Envoy failed while loading active escalations (500" in e.value for e in at.error)
    assert frame(open_load(load_id, "calls"), "Call id") is not None


def test_requests_run_concurrently(configured: Sandbox) -> None:
    load_id = showcase(configured)
    configured.fault(route="/loads/*", latency_ms=500)
    at = open_load(load_id)
    caption = next(c.value for c in at.caption if "Fetched in" in c.value)
    seconds = float(re.search(r"Fetched in ([\d.]+) s", caption).group(1))  # type: ignore[union-attr]
    assert 0.5 <= seconds < 1.2, caption  # sequential would be about 2 s


def test_401_shows_the_configuration_message(configured: Sandbox, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ENVOY_API_KEY", "envai_live_wrong_key")

    at = new_app()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The API key was rejected (401). Check ENVOY_API_KEY (or ENVOY_BEARER_TOKEN) in the "
        "environment or in .streamlit/secrets.toml, then reload."
    ]
    assert "envai_live_wrong_key" not in texts(at)


def test_unreachable_host_shows_one_message(configured: Sandbox, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ENVOY_BASE_URL", "http://127.0.0.1:9/api/v1")

    at = new_app()
    at.run()
    assert not at.exception
    (error,) = at.error
    assert "Could not reach the Envoy API" in error.value and "ENVOY_BASE_URL" in error.value
