"""The sandbox's attempt queries use their indexes: listing an endpoint's attempts (every filter
the console sends, the 24-hour window of its health included) never scans the attempts table: a
page walks its index in order (sorting only attempts of the same second by attempt number), and
the total a page reports counts an index range, not the table. (`make bench` times the pages at
scale.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from envoy_sandbox.db import SCHEMA

# The WHERE clauses list_attempts builds for the console's requests.
FILTERS = {
    "newest page": "a.endpoint_id = ?",
    "health window": "a.endpoint_id = ? AND a.created_at >= ?",
    "status filter": "a.endpoint_id = ? AND a.status IN (?, ?) AND a.created_at >= ?",
    "a load's messages": "a.endpoint_id = ? AND a.load_id = ?",
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_listing_uses_an_index(tmp_path: Path, name: str) -> None:
    conn = sqlite3.connect(tmp_path / "plan.db")
    conn.executescript(SCHEMA)
    conn.execute("ANALYZE")
    clause = FILTERS[name]
    args = ["ep_1"] + ["x"] * (clause.count("?") - 1)
    for sql in (
        f"SELECT count(*) FROM attempts a WHERE {clause}",
        f"SELECT a.* FROM attempts a WHERE {clause} ORDER BY a.created_at DESC, a.attempt DESC,"
        " a.id LIMIT 100 OFFSET 0",
    ):
        plan = " / ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))
        print(f"{name}: {plan}")
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
        assert "SCAN a" not in plan.replace("SCAN a USING", ""), plan
