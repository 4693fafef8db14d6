"""The charts are Vega-Lite specs written by hand: each one is valid Vega-Lite (checked against
the schema altair carries) and names only columns its rows have."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd
import pytest

from components.domain import story
from components.widgets import charts, story_panel
from envoy_api import Call

T0 = datetime(2026, 12, 4, 13, 54, tzinfo=UTC)


def fields(spec: Any) -> Iterator[str]:
    """Every column a spec's encodings read."""
    if isinstance(spec, dict):
        if isinstance(spec.get("field"), str):
            yield spec["field"]
        for value in spec.values():
            yield from fields(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from fields(value)


def attempts(span: timedelta) -> pd.DataFrame:
    times = [T0 + span * k / 9 for k in range(10)]
    return pd.DataFrame({"Created": pd.to_datetime(times, utc=True),
                         "Status": ["DELIVERED", "FAILED", "DEAD", "PENDING", "SENDING"] * 2,
                         "Code": [200, 500, 500, None, None] * 2,
                         "Duration (ms)": [12.0, 30.0, 31.0, None, None] * 2})  # fmt: skip


def built() -> dict[str, charts.Chart]:
    calls = [Call.model_validate({"id": f"call_{k}", "status": "COMPLETED",
                                  "call_time": (T0 + timedelta(minutes=k)).isoformat(),
                                  "call_direction": "OUTBOUND"}) for k in range(3)]  # fmt: skip
    entries = [story.Entry(T0 + timedelta(minutes=k), kind, f"#{k}", "portal", outcome, f"m{k}")
               for k, (kind, outcome) in enumerate([("Webhook", "Delivered"), ("Call", "x"),
                                                    ("Status", "Dead")])]  # fmt: skip
    return {
        "calls": charts.call_activity(calls),
        "outcomes per minute": charts.outcomes(attempts(timedelta(minutes=30))),
        "outcomes per hour": charts.outcomes(attempts(timedelta(days=1))),
        "outcomes per day": charts.outcomes(attempts(timedelta(days=20))),
        "swimlanes": story_panel.swimlanes(entries),
    }


@pytest.mark.parametrize("name", list(built()))
def test_each_chart_is_valid_vega_lite_over_its_own_columns(name: str) -> None:
    chart = built()[name]
    spec = {**chart.spec, "data": {"values": []}}
    kind = alt.VConcatChart if "vconcat" in spec else alt.Chart
    kind.from_dict(spec, validate=True)  # raises on anything Vega-Lite does not know
    assert set(fields(chart.spec)) <= set(chart.data.columns)
    assert len(chart.data) > 0
