"""Altair charts."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from envoy_api import Call


def call_activity(calls: Sequence[Call]) -> alt.Chart:
    """Calls over time: one mark a call, coloured by status, shaped by direction."""
    data = pd.DataFrame(
        [
            {
                "Time": c.call_time or c.created_at,
                "Minutes": round((c.duration_seconds or 0) / 60, 1),
                "Status": c.status,
                "Direction": c.call_direction or "UNKNOWN",
                "Type": c.call_type or "",
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
            x=alt.X("Time:T", title="Call time (UTC)"),
            y=alt.Y("Minutes:Q", title="Duration (min)"),
            color=alt.Color("Status:N"),
            shape=alt.Shape("Direction:N"),
            tooltip=["Time:T", "Direction:N", "Status:N", "Minutes:Q", "Type:N"],
        )
        .properties(height=220)
    )
    return chart
