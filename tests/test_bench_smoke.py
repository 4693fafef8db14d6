"""A fast smoke run of ``make bench``: every measurement runs at small sizes; request counts and
lost/duplicated deliveries are judged, timing ratios are only reported."""

from __future__ import annotations

from pathlib import Path

from bench import run


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
    ):
        assert row in text, row
    assert "| warm rerun: requests per page | 0 |" in text
    assert "0 lost, 0 duplicated" in text.split("webhook sender", 1)[1]
