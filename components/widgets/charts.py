"""The console's charts, as Vega-Lite specs with their rows, and a cache for the rows.

A chart is a plain Vega-Lite spec (a dict written here) and the DataFrame it draws, handed to
``st.vega_lite_chart`` as they are. Built with altair, each chart cost ~15 ms to build (every
``encode`` checked against the schema) and ~5 ms on every rerun that drew it (``st.altair_chart``
turns the chart back into a spec, under a lock all sessions share); a spec written once costs
neither. tests/app/test_charts.py checks every spec against Vega-Lite's schema.
``cached`` builds a chart's rows once for what it shows and hands the same ``Chart`` to every
rerun and every session that shows the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from components.data.cache import TTL
from components.domain.deliveries import attempts_frame
from components.domain.formats import (
    DAY_TEXT,
    STATUS_WORDS,
    TIME_TEXT,
    WORD_COLORS,
    attempt_words,
    words,
)
from envoy_api import Call, DeliveryAttempt

Spec = dict[str, Any]


@dataclass(frozen=True, eq=False)
class Chart:
    """A Vega-Lite spec without data, and the rows it draws."""

    spec: Spec
    data: pd.DataFrame


def draw(chart: Chart, key: str | None = None) -> None:
    """``chart`` across its column (Streamlit copies the spec before it adds its own keys)."""
    st.vega_lite_chart(chart.data, chart.spec, width="stretch", key=key)


def digest(rows: Iterable[tuple[Any, ...]]) -> str:
    """A fingerprint of what a chart is drawn from (its rows' drawn fields), for this process:
    Python's own hash, which strings and datetimes keep, so thousands of rows take a moment."""
    return f"{len(rows := tuple(rows))}:{hash(rows):x}"


# With a lifetime, so the minute's sweep (``components.shell.memory``) frees charts nobody draws
# any more: without one, a chart stayed until 300 had piled up (155 after a 5-minute, 30-agent
# soak, still there after the agents left). One drawn all along is built again once a lifetime.
@st.cache_resource(ttl=TTL, max_entries=300, show_spinner=False)
def _built(name: str, key: str, _build: Callable[[], Chart]) -> Chart:
    return _build()


def cached(name: str, key: str, build: Callable[[], Chart]) -> Chart:
    """The chart ``build`` makes, built once per ``name`` and ``key`` (a ``digest`` of its
    data). Streamlit reads a chart without changing it, so sessions can share one."""
    return _built(name, key, build)


def field(name: str, kind: str, **more: Any) -> Spec:
    """One encoding channel: ``kind`` is Vega-Lite's type (temporal, quantitative, nominal)."""
    return {"field": name, "type": kind, **more}


def status_colors(name: str, colors: dict[str, str], **more: Any) -> Spec:
    """Colour by ``name``, each of ``colors``' words in its colour."""
    scale = {"domain": list(colors), "range": list(colors.values())}
    return field(name, "nominal", scale=scale, **more)


def call_activity(calls: Sequence[Call]) -> Chart:
    """Calls over time: one mark a call, coloured by status, shaped by direction."""
    fields = [(c.id, c.call_time or c.created_at, c.duration_seconds, c.status, c.call_direction,
               c.call_type) for c in calls]  # fmt: skip
    return cached("calls", digest(fields), lambda: Chart(CALLS, _call_rows(calls)))


def _call_rows(calls: Sequence[Call]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Time": c.call_time or c.created_at,
                "Minutes": round((c.duration_seconds or 0) / 60, 1),
                "Status": words(c.status),
                "Direction": words(c.call_direction) or "Unknown",
                "Type": words(c.call_type),
            }
            for c in calls
            if c.call_time or c.created_at
        ],
        columns=["Time", "Minutes", "Status", "Direction", "Type"],
    )


CALLS: Spec = {
    "mark": {"type": "point", "filled": True, "size": 90},
    "encoding": {
        # Dates on the axis, and room at the edges so no point is cut in half.
        "x": field(
            "Time",
            "temporal",
            title=None,
            axis={"format": TIME_TEXT, "labelAngle": 0},
            scale={"padding": 16},
        ),
        "y": field("Minutes", "quantitative", title="Duration (min)", scale={"padding": 12}),
        "color": field("Status", "nominal"),
        "shape": field("Direction", "nominal"),
        "tooltip": [
            field("Time", "temporal", format=TIME_TEXT),
            field("Direction", "nominal"),
            field("Status", "nominal"),
            field("Minutes", "quantitative"),
            field("Type", "nominal"),
        ],
    },
    "height": 220,
}


def delivery_outcomes(attempts: Sequence[DeliveryAttempt]) -> Chart:
    """``outcomes``, built once for the same attempts."""
    fields = [(a.id, a.created_at, a.status, a.response_status_code, a.duration_ms)
              for a in attempts]  # fmt: skip
    return cached("outcomes", digest(fields), lambda: outcomes(attempts_frame(attempts)))


def outcomes(attempts: pd.DataFrame) -> Chart:
    """Attempts per time bucket stacked by status, over latency per attempt, for the filtered
    window. The bucket (minute, hour, day) follows the window's span. Times read as everywhere
    ("Dec 4, 13:54"; a day's bucket "Dec 4"), statuses as words coloured by meaning."""
    # Only the columns drawn, in one data set both charts share: the chart's data travels to the
    # browser with every rerun that draws it (all of a frame's columns made it ~20 times larger).
    data = attempts[["Created", "Status", "Code", "Duration (ms)"]].dropna(subset=["Created"])
    # The attempts' own words (``attempts_frame`` may give the raw status or its words).
    shown = [attempt_words(s) if s in STATUS_WORDS else s for s in data["Status"]]
    data = data.assign(Status=shown)
    span = (data["Created"].max() - data["Created"].min()) if len(data) else pd.Timedelta(0)
    if span <= pd.Timedelta(hours=2):
        unit, label, fmt = "yearmonthdatehoursminutes", "minute", TIME_TEXT
    elif span <= pd.Timedelta(days=3):
        unit, label, fmt = "yearmonthdatehours", "hour", TIME_TEXT
    else:
        unit, label, fmt = "yearmonthdate", "day", DAY_TEXT
    color = status_colors("Status", WORD_COLORS)
    bucket = field("Created", "temporal", timeUnit=unit, title=None, axis={"format": fmt})
    count = {"aggregate": "count", "type": "quantitative"}
    per_bucket = {
        "mark": {"type": "bar"},
        "encoding": {
            "x": bucket,
            "y": {**count, "title": "Attempts"},
            "color": color,
            "tooltip": [
                field("Created", "temporal", timeUnit=unit, title=words(label), format=fmt),
                field("Status", "nominal"),
                count,
            ],
        },
        "height": 160,
        "title": f"Outcomes per {label}",
    }
    latency = {
        "mark": {"type": "circle", "size": 40, "opacity": 0.7},
        "transform": [{"filter": "isValid(datum['Duration (ms)'])"}],
        "encoding": {
            "x": field("Created", "temporal", title=None, axis={"format": fmt}),
            "y": field("Duration (ms)", "quantitative", title="Latency (ms)"),
            "color": color,
            "tooltip": [
                field("Created", "temporal", format=TIME_TEXT),
                field("Status", "nominal"),
                field("Code", "quantitative"),
                field("Duration (ms)", "quantitative"),
            ],
        },
        "height": 140,
        "title": "Latency",
    }
    spec = {"vconcat": [per_bucket, latency], "resolve": {"scale": {"color": "shared"}}}
    return Chart(spec, data)
