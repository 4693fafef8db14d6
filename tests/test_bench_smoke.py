"""A fast smoke run of ``make bench``: every measurement runs at small sizes; request counts and
lost/duplicated deliveries are judged, timing ratios are only reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import run

pytestmark = pytest.mark.bench


def test_bench_smoke(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    assert run.main(["--smoke", "--out", str(out)]) == 0
    text = out.read_text()
    for row in (
        "load detail fetch",
        "warm rerun",
        "Loads page first render",
        "tab-counts",
        "CSV export",
        "endpoint health",
        "webhook sender",
        "RSS after browsing",
        "load story render",
        "2 agents: step p95",
        "RSS per added idle session",
        "first session on a new console",
        "Chromium: tab switch while 2 agents work",
        "Chromium: open a load",
        "first visit to the running console ÷ to a one-line Streamlit app",
        "÷ a one-button Streamlit app's rerun",
        "a new console's first page",
        "attention board ÷ loads tab",
        "RSS after all agents left ÷ before they came",
        "2 agents on 2 replicas behind the proxy ÷ 2 agents on 1 replica",
        "## A team on one console",
    ):
        assert row in text, row
    assert "| warm rerun: requests per page | 0 |" in text
    # The RSS before the agents came is a console one session has shown every target (the tour).
    assert "before: once one session had opened every load" in text
    assert "0 lost, 0 duplicated" in text.split("webhook sender", 1)[1]
    # The agents' smoke run: 2 agents for 20 s walked the start of a morning, without error (at
    # 2-5 s of thinking between steps, 20 s reach the search at least).
    team = text.split("## A team on one console", 1)[1]
    assert "| 2 | " in team and (out.parent / "team-p95.svg").read_text().startswith("<svg")
    row = next(line for line in team.splitlines() if line.startswith("| 2 | "))
    assert row.split(" | ")[4] == "0", row  # errors
    for step in ("attention", "loads tab", "search"):
        assert step in team, step
