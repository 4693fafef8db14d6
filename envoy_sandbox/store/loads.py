"""Loads and what hangs off them: tab counters, calls, verifications and escalations.

These are stored as their wire JSON and handed back as text without parsing it (big pages stay
cheap). A tab's filter is defined once, in ``_TAB_WHERE``, for both the stored counters
``refresh_tab_counts`` keeps and the filtered list.
"""

from __future__ import annotations

from typing import Any

from ..contract import (
    LOAD_STATUS_TABS,
    PASSED_VERIFICATION_STATUSES,
    TAB_KEYS,
    EscalationStatus,
    LoadTab,
)
from ..db import Database
from .common import json_array, page_json, sql_values


def _bodies(db: Database, sql: str, args: tuple[Any, ...]) -> str:
    return json_array(r[0] for r in db.connect().execute(sql, args).fetchall())


# What each tab selects: one definition for both the stored counters and the filtered list.
_TAB_WHERE: dict[str, str | None] = {
    LoadTab.ALL: None,
    **{tab: f"tab = '{tab}'" for tab in LOAD_STATUS_TABS},
    LoadTab.ACTIVE_ESCALATIONS: "active_escalations > 0",
    LoadTab.FAILED_VERIFICATIONS: "failed_verifications > 0",
}


def refresh_tab_counts(db: Database, org_id: str | None = None) -> None:
    """Recompute the per-organization tab counters the tab-counts endpoint reads."""
    counters = ", ".join(
        f"sum({where})" if (where := _TAB_WHERE[tab]) else "count(*)" for tab in TAB_KEYS
    )
    with db.write() as w:
        orgs = [org_id] if org_id else [r[0] for r in w.execute("SELECT id FROM organizations")]
        for org in orgs:
            row = w.execute(f"SELECT {counters} FROM loads WHERE org_id = ?", (org,)).fetchone()
            w.execute("DELETE FROM tab_counts WHERE org_id = ?", (org,))
            w.executemany(
                "INSERT INTO tab_counts VALUES (?, ?, ?)",
                [(org, k, int(v or 0)) for k, v in zip(TAB_KEYS, row, strict=True)],
            )


def tab_counts(db: Database, org_id: str) -> dict[str, int]:
    rows = (
        db.connect()
        .execute("SELECT tab, count FROM tab_counts WHERE org_id = ?", (org_id,))
        .fetchall()
    )
    counts = {r["tab"]: r["count"] for r in rows}
    return {t: counts.get(t, 0) for t in TAB_KEYS}


def list_loads(
    db: Database, org_id: str, tab: str | None, search: str | None, page: int, page_size: int
) -> str:
    """A page of loads, newest update first; ``tab`` must be one of ``TAB_KEYS`` or None."""
    where, args = ["org_id = ?"], [org_id]
    tab_where = _TAB_WHERE[tab or LoadTab.ALL]
    if tab_where:
        where.append(tab_where)
    term = (search or "").strip().lower()
    if term:
        where.append("search LIKE ? ESCAPE '\\'")
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"%{escaped}%")
    conn = db.connect()
    clause = " AND ".join(where)
    if term:
        total = conn.execute(f"SELECT count(*) FROM loads WHERE {clause}", args).fetchone()[0]
    else:  # the stored counter: no count(*) over a large organization's loads
        row = conn.execute(
            "SELECT count FROM tab_counts WHERE org_id = ? AND tab = ?",
            (org_id, tab or LoadTab.ALL),
        ).fetchone()
        total = row[0] if row else 0
    rows = conn.execute(
        f"SELECT body FROM loads WHERE {clause} ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
        [*args, page_size, (page - 1) * page_size],
    ).fetchall()
    return page_json((r[0] for r in rows), page, page_size, total)


def load_body(db: Database, org_id: str, load_id: str) -> str | None:
    """The stored JSON of a load of ``org_id``."""
    row = (
        db.connect()
        .execute("SELECT body FROM loads WHERE id = ? AND org_id = ?", (load_id, org_id))
        .fetchone()
    )
    return None if row is None else str(row[0])


def load_calls(db: Database, load_id: str) -> str:
    return _bodies(
        db, "SELECT body FROM calls WHERE load_id = ? ORDER BY call_time DESC, id", (load_id,)
    )


def failed_verifications(db: Database, load_id: str) -> str:
    return _bodies(
        db,
        "SELECT body FROM verifications WHERE load_id = ? AND status NOT IN"
        f" ({sql_values(PASSED_VERIFICATION_STATUSES)}) ORDER BY created_at DESC, id",
        (load_id,),
    )


def active_escalations(db: Database, load_id: str) -> str:
    return _bodies(
        db,
        f"SELECT body FROM escalations WHERE load_id = ? AND status = '{EscalationStatus.ACTIVE}'"
        " ORDER BY created_at DESC, id",
        (load_id,),
    )
