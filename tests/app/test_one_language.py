"""One language on every page: every page of the console, run against the sandbox, shows no raw
enumeration ("CUSTOMER_REQUEST", "REEFER", "DEAD") and no time but in the one format
("Dec 4, 13:54"), its charts included; and a receiver that was sent nothing is not a success.

What a page shows is read from every element an agent reads: Markdown, captions, headings,
alerts, metrics, table cells and headers, tab and expander labels, the options of select boxes,
multiselects, pills and segmented controls, and button labels. Code blocks and JSON are left
out: they show ids, headers and payloads exactly as Envoy sent them, which is their point."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components.domain import formats
from components.domain.rights import User
from components.ops import actions
from envoy_api import (
    AttemptStatus,
    CallDirection,
    CallStatus,
    EndpointStatus,
    EquipmentType,
    EscalationStatus,
)

from ..sandboxes import Sandbox, showcase_load
from .conftest import new_app, open_load, open_page, run_app

RAW = re.compile(r"\b[A-Z]+_[A-Z_]+\b")  # an enumeration as the API spells it
# The API's one-word values, in capitals as it sends them ("REEFER", "DEAD", "ACTIVE").
KNOWN = sorted({str(v) for e in (AttemptStatus, CallDirection, CallStatus, EndpointStatus,
                                 EquipmentType, EscalationStatus) for v in e})  # fmt: skip
RAW_WORD = re.compile(r"\b(?:" + "|".join(KNOWN) + r")\b")
PADDED_DAY = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 0\d\b")
NO_COMMA = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2} \d\d:\d\d")
CHART_FORMATS = {formats.TIME_TEXT, formats.TIME_SECONDS, formats.DAY_TEXT}


def _cells(table: Any) -> Iterator[str]:
    """A table's headers and text cells; link columns' URLs are not shown (their label is)."""
    config = json.loads(table.proto.columns or "{}")
    links = {n for n, c in config.items() if c.get("type_config", {}).get("type") == "link"}
    frame: pd.DataFrame = table.value
    for name in frame.columns:
        yield str(config.get(str(name), {}).get("label") or name)
        if str(name) in links:
            continue
        for value in frame[name]:
            if isinstance(value, str):
                yield value
            elif isinstance(value, list | tuple):
                yield from (str(v) for v in value)


def shown(at: AppTest) -> list[str]:
    """Every piece of text the page shows an agent (see the module's docstring)."""
    found: list[str] = []
    nodes: Iterator[Any] = iter(at._tree)  # elements and blocks, each read by its kind
    for node in nodes:
        kind = getattr(node, "type", "")
        if kind in ("markdown", "caption", "title", "subheader", "header", "error", "warning",
                    "info", "success", "text", "toast"):  # fmt: skip
            found.append(str(node.value))
        elif kind == "metric":
            found += [str(node.label), str(node.value)]
        elif kind == "dataframe":
            found += list(_cells(node))
        elif kind in ("tab", "expandable"):
            found.append(str(node.label))
        elif kind in ("selectbox", "multiselect", "radio", "button_group"):
            found += [str(node.label), *(str(o) for o in node.options)]
        elif kind in ("button", "download_button", "form_submit_button"):
            found.append(str(node.label))
    return [text.replace("\\", "") for text in found]  # Markdown's escapes are not shown


def vega_specs(at: AppTest) -> list[dict[str, Any]]:
    specs = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if getattr(node, "type", "") == "vega_lite_chart" and proto is not None:
            specs.append(json.loads(proto.spec))
    return specs


def time_formats(spec: Any) -> Iterator[str | None]:
    """The format of every temporal axis and tooltip of a Vega-Lite spec (None: Vega's own)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "x" and isinstance(value, dict) and value.get("type") == "temporal":
                yield (value.get("axis") or {}).get("format")
            if key == "tooltip" and isinstance(value, list):
                yield from (t.get("format") for t in value
                            if isinstance(t, dict) and t.get("type") == "temporal")  # fmt: skip
            yield from time_formats(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from time_formats(item)


def with_chart(at: AppTest) -> AppTest:
    """The Deliveries page with its outcomes chart opened, as the agent opens it."""
    at.session_state["dl_outcomes"] = True
    return run_app(at)


@pytest.fixture
def pages(configured: Sandbox, audit_db: Path) -> Iterator[dict[str, AppTest]]:
    """Every page of the console, as an agent opens it, with something on each to read: a
    receiver of its own that was sent nothing, a replay on Activity, a delivery on the doctor."""
    api = configured.client
    hooks = api.webhooks
    down = next(e for e in hooks.list_endpoints() if e.url.endswith("/down"))
    message = hooks.list_endpoint_attempts(down.id).data[0].message_id
    silent = hooks.create_endpoint(url=configured.receiver_url(configured.new_receiver("ok")),
                                   event_types=["load.status_changed"],
                                   description="one language: sent nothing")  # fmt: skip
    try:
        info = configured.extras.info()
        divergent = info["stories"][info["organizations"][0]["id"]]["divergent"]
        showcase = showcase_load(api).id
        at = run_app(new_app())
        ctx = at.session_state["_frame"].ctx
        lead = User("lead@broker.example", "Lead", is_admin=True, signed_in=True)
        actions.replay(ctx, lead, message, down.id, load_id=divergent)
        doctor = open_page("views/doctor.py")
        doctor.button(key="doctor_demo").click()
        yield {
            "attention": at,
            "loads": open_page("views/load_list.py"),
            "loads, all tabs": open_page("views/load_list.py", tab="in_transit", size="100"),
            "load with escalations": open_load(showcase, "escalations"),
            "load with deliveries": open_load(divergent, "webhooks"),
            "load's timeline": open_load(divergent),
            "load's calls": open_load(showcase, "calls"),
            "webhooks": open_page("views/webhook_endpoints.py", endpoint_id=down.id),
            "deliveries": with_chart(
                open_page("views/delivery_log.py", endpoint_id=down.id, window="all")
            ),
            "deliveries, a day": open_page("views/delivery_log.py", endpoint_id=down.id),
            "message": open_page("views/delivery_log.py", endpoint_id=down.id, message_id=message),
            "event types": open_page("views/event_catalogue.py"),
            "doctor": run_app(doctor),
            "activity": open_page("views/activity_log.py", window="all"),
            "search": open_page("views/find.py", q="Dallas"),
            "search, nothing found": open_page("views/find.py", q=f"evt_{uuid.uuid4()}"),
        }
    finally:
        hooks.delete_endpoint(silent.id)


def test_no_page_shows_a_raw_enumeration(pages: dict[str, AppTest]) -> None:
    found = {
        f"{name}: {hit!r} in {text[:120]!r}"
        for name, at in pages.items()
        for text in shown(at)
        for hit in RAW.findall(text) + RAW_WORD.findall(text)
    }
    assert not found, "\n".join(sorted(found))


def test_every_time_shown_is_in_the_one_format(pages: dict[str, AppTest]) -> None:
    texts = {name: "\n".join(shown(at)) for name, at in pages.items()}
    found = {f"{name}: {hit!r}" for name, text in texts.items()
             for hit in PADDED_DAY.findall(text) + NO_COMMA.findall(text)}  # fmt: skip
    assert not found, "\n".join(sorted(found))
    # Something was checked: the pages do show times as text.
    assert re.search(r"\b[A-Z][a-z]{2} [1-9]\d?, \d\d:\d\d\b", texts["load with deliveries"])


def test_every_chart_writes_times_in_the_one_format(pages: dict[str, AppTest]) -> None:
    seen = {name: list(time_formats(spec)) for name, at in pages.items()
            for spec in vega_specs(at)}  # fmt: skip
    assert {"load's timeline", "load's calls", "deliveries"} <= set(seen), "no chart was drawn"
    wrong = {f"{name}: {f!r}" for name, fmts in seen.items() for f in fmts
             if f not in CHART_FORMATS}  # fmt: skip
    assert not wrong, "\n".join(sorted(wrong))


def test_a_receiver_sent_nothing_is_not_shown_as_a_success(pages: dict[str, AppTest]) -> None:
    at = pages["load with deliveries"]
    nothing = "one language: sent nothing has been sent nothing about this load"
    assert not [s.value for s in at.success if "sent nothing about" in str(s.value)]
    assert not [s.value for s in at.error if "sent nothing about" in str(s.value)]
    assert any(nothing in str(m.value).replace("\\", "") for m in at.markdown)
    # Delivered is green, given up is red: the divergent load has one receiver of each.
    assert any("is up to date" in str(s.value) for s in at.success)
    assert any("has not arrived \\(dead\\)" in str(s.value) for s in at.error)
