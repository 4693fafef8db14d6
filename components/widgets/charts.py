"""Altair charts, and a cache for them.

Building an altair chart costs more than drawing it: each ``encode`` checks its channels against
the Vega-Lite schema (tens of milliseconds a chart). ``cached`` builds a chart once for what it
shows and hands the same object to every rerun and every session that shows the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import altair as alt
import pandas as pd
import streamlit as st

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

C = TypeVar("C")


def digest(rows: Iterable[tuple[Any, ...]]) -> str:
    """A fingerprint of what a chart is drawn from (its rows' drawn fields), for this process:
    Python's own hash, which strings and datetimes keep, so thousands of rows take a moment."""
    return f"{len(rows := tuple(rows))}:{hash(rows):x}"


@st.cache_resource(max_entries=300, show_spinner=False)
def _built(name: str, key: str, _build: Callable[[], Any]) -> Any:
    return _build()


def cached(name: str, key: str, build: Callable[[], C]) -> C:
    """The chart ``build`` makes, built once per ``name`` and ``key`` (a ``digest`` of its
    data). Streamlit reads a chart without changing it, so sessions can share one."""
    chart: C = _built(name, key, build)
    return chart


def call_activity(calls: Sequence[Call]) -> alt.Chart:
    """Calls over time: one mark a call, coloured by status, shaped by direction."""
    fields = [(c.id, c.call_time or c.created_at, c.duration_seconds, c.status, c.call_direction,
               c.call_type) for c in calls]  # fmt: skip
    return cached("calls", digest(fields), lambda: _call_activity(calls))


def _call_activity(calls: Sequence[Call]) -> alt.Chart:
    data = pd.DataFrame(
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
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_point(filled=True, size=90)
        .encode(
            # Dates on the axis, and room at the edges so no point is cut in half.
            x=alt.X(
                "Time:T",
                title=None,
                axis=alt.Axis(format=TIME_TEXT, labelAngle=0),
                scale=alt.Scale(padding=16),
            ),
            y=alt.Y("Minutes:Q", title="Duration (min)", scale=alt.Scale(padding=12)),
            color=alt.Color("Status:N"),
            shape=alt.Shape("Direction:N"),
            tooltip=[
                alt.Tooltip("Time:T", format=TIME_TEXT),
                "Direction:N",
                "Status:N",
                "Minutes:Q",
                "Type:N",
            ],
        )
        .properties(height=220)
    )
    return chart


def delivery_outcomes(attempts: Sequence[DeliveryAttempt]) -> alt.VConcatChart:
    """``outcomes``, built once for the same attempts."""
    fields = [(a.id, a.created_at, a.status, a.response_status_code, a.duration_ms)
              for a in attempts]  # fmt: skip
    return cached("outcomes", digest(fields), lambda: outcomes(attempts_frame(attempts)))


def outcomes(attempts: pd.DataFrame) -> alt.VConcatChart:
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
    statuses = list(WORD_COLORS)
    color = alt.Color(
        "Status:N",
        scale=alt.Scale(domain=statuses, range=[WORD_COLORS[s] for s in statuses]),
    )
    base = alt.Chart(data)
    outcomes = (
        base.mark_bar()
        .encode(
            x=alt.X(f"{unit}(Created):T", title=None, axis=alt.Axis(format=fmt)),
            y=alt.Y("count():Q", title="Attempts"),
            color=color,
            tooltip=[
                alt.Tooltip(f"{unit}(Created):T", title=words(label), format=fmt),
                "Status:N",
                "count():Q",
            ],
        )
        .properties(height=160, title=f"Outcomes per {label}")
    )
    latency = (
        base.transform_filter("isValid(datum['Duration (ms)'])")
        .mark_circle(size=40, opacity=0.7)
        .encode(
            x=alt.X("Created:T", title=None, axis=alt.Axis(format=fmt)),
            y=alt.Y("Duration (ms):Q", title="Latency (ms)"),
            color=color,
            tooltip=[
                alt.Tooltip("Created:T", format=TIME_TEXT),
                "Status:N",
                "Code:Q",
                "Duration (ms):Q",
            ],
        )
        .properties(height=140, title="Latency")
    )
    chart: alt.VConcatChart = alt.vconcat(outcomes, latency).resolve_scale(color="shared")
    return chart
