"""The fault matrix's results (tests/app/test_fault_matrix.py): each cell recorded as it runs,
one file per process (xdist workers each run part of the matrix), and the table of them all.

Apart from the tests so that the session's start and summary (tests/conftest.py), in the main
process, need not import Streamlit, pandas and the sandbox to find them."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CELLS = ROOT / "test-artifacts" / "fault-matrix"


def record(page: str, fault: str, outcome: str) -> None:
    CELLS.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with (CELLS / f"{worker}.tsv").open("a") as out:
        out.write(f"{page}\t{fault}\t{outcome}\n")


def write_table() -> str:
    """The matrix as Markdown (also written to test-artifacts/fault-matrix.md); "" when no cell
    ran."""
    rows = [line.split("\t") for f in sorted(CELLS.glob("*.tsv"))
            for line in f.read_text().splitlines()]  # fmt: skip
    if not rows:
        return ""
    lines = ["| page | fault | result |", "|---|---|---|"]
    lines += [f"| {p} | {f} | {r} |" for p, f, r in rows]
    text = "\n".join(lines)
    (CELLS.parent / "fault-matrix.md").write_text(text + "\n")
    return text
