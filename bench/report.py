"""The report of ``make bench``: the results table with each target's verdict, the team's tables
and chart, this machine's cores and memory, and bench/RESULTS.md itself."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import Result


def table(results: list[Result], smoke: bool) -> str:
    """The results as a Markdown table, each with its verdict, then their notes."""
    lines = ["| what | figure | target | result |", "|---|---|---|---|"]
    for r in results:
        verdict = "pass" if r.passed else "FAIL"
        if smoke and r.timing:
            verdict = f"({verdict}: timing is not judged in a smoke run)"
        lines.append(f"| {r.what} | {r.figure} | {r.target} | {verdict} |")
    notes = [f"- {r.what}: {'; '.join(r.notes)}" for r in results if r.notes]
    return "\n".join(lines + (["", *notes] if notes else []))


def machine() -> str:
    """This machine's cores, memory and Python, for the report's first line."""
    mem = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} cores, {mem} memory, Python {sys.version.split()[0]}"


def team_table(levels: list[dict[str, Any]]) -> str:
    """Each team size's steps, p50, p95, errors and the server's CPU and RSS; then each step's
    p95 at each size."""
    lines = [
        "| agents | steps | p50 | p95 | errors | server CPU | server RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for lv in levels:
        t, rss = lv["total"], lv["rss_mb"]
        lines.append(f"| {lv['agents']} | {t['count']} | {t['p50_ms']:.0f} ms | "
                     f"{t['p95_ms']:.0f} ms | {t['errors']} | {lv['cpu_percent']:.0f} % | "
                     f"{max(rss) if rss else 0:.0f} MB |")  # fmt: skip
    steps = list(dict.fromkeys(s for lv in levels for s in lv["steps"]))  # a morning's order
    lines += ["", "p95 per step (ms): " + ", ".join(steps), "",
              "| agents | " + " | ".join(steps) + " |", "|---|" + "---|" * len(steps)]  # fmt: skip
    for lv in levels:
        lines.append(f"| {lv['agents']} | " + " | ".join(
            f"{lv['steps'].get(s, {}).get('p95_ms', 0):.0f}" for s in steps) + " |")  # fmt: skip
    return "\n".join(lines)


def passed(results: list[Result], smoke: bool) -> bool:
    """Whether every judged result passed: a smoke run does not judge timing."""
    judged = [r for r in results if not (smoke and r.timing)]
    return all(r.passed for r in judged)


def write(
    results: list[Result], levels: list[dict[str, Any]], *, smoke: bool, out: Path, started: float
) -> None:
    """Chart the team beside ``out``, print both tables, and write ``out`` (RESULTS.md); the run
    began at ``started`` (``time.perf_counter()``)."""
    from bench import team

    team.chart(levels, out.parent / "team-p95.svg")
    team_text = team_table(levels)
    text = table(results, smoke)
    print()
    print(text)
    print()
    print(team_text)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (f"# Benchmark results\n\n{'Smoke run' if smoke else 'Full run'} on {stamp}: "
            f"{machine()}; {time.perf_counter() - started:.0f} s.\n\n{text}\n\n"
            f"## A team on one console\n\nAgents without browsers (Locust users speaking "
            f"Streamlit's websocket protocol, `bench/agents.py`) each walk a morning: the "
            f"attention board, a Loads tab, a search, page 2, a load, a failing endpoint's DEAD "
            f"deliveries, a message; 2-5 s between steps, each arriving at a random point of "
            f"the second Locust starts it in; against one console process that talks to the "
            f"Envoy sandbox (1,000 loads) in a process of its own, all on this machine. Before "
            f"them, one session opens every load, message and list they open (the RSS before "
            f"they came is taken after it). The 30-agent level is the 10-minute soak (each "
            f"agent leaves after its morning and a new one comes), with Chromium's clicks among "
            f"its agents. A step's time runs from the rerun sent to the script finished."
            f"\n\n{team_text}\n\n"
            f"![p95 against concurrent agents](team-p95.svg)\n")  # fmt: skip
    out.write_text(body)
