"""Recovery jobs on screen: the live list every agent sees (on Deliveries and on Activity), with
progress and a Cancel that is audited."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from components import store
from components.domain import rights
from components.domain.markup import md
from components.domain.rights import User
from components.ops import actions
from components.widgets import tables

LIVE = frozenset({"queued", "running"})


def _state(job: dict[str, Any]) -> str:
    cancelling = job["cancel_requested"] and job["state"] in LIVE
    return str(job["state"]) + (" (cancelling)" if cancelling else "")


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Created": r["created_at"],
                "By": r["created_by"],
                "Reason": r["reason"],
                "State": _state(r),
                "Progress": (r["done"] / r["total"]) if r["total"] else 1.0,
                "Done": f"{r['done']:,} of {r['total']:,}",
                "Replays queued": r["queued"],
                "Already pending": r["already_pending"],
                "Failed": r["failed"],
                "Rate limited": r["rate_limited"],
                "Endpoint": r["endpoint_id"],
                "Job": r["id"],
            }
            for r in rows
        ],
        columns=["Created", "By", "Reason", "State", "Progress", "Done", "Replays queued",
                 "Already pending", "Failed", "Rate limited", "Endpoint", "Job"],
    )  # fmt: skip


def render_jobs(
    user: User,
    organization_id: str | None,
    endpoint_id: str | None = None,
    load_id: str | None = None,
) -> None:
    """The organization's recovery jobs (of one endpoint or about one load, when given),
    refreshing itself every two seconds while one is queued or running."""
    rows = _jobs(organization_id, endpoint_id, load_id)
    live = any(r["state"] in LIVE for r in rows)

    @st.fragment(run_every=2.0 if live else None)
    def panel() -> None:
        current = _jobs(organization_id, endpoint_id, load_id)
        if not current:
            st.caption("No recovery jobs yet.")
            return
        tables.dataframe(_frame(current), {
            "Progress": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="percent"
            ),
            "Created": tables.time_column(),
        }, hide_index=True, key=f"jobs_table_{endpoint_id or 'all'}")  # fmt: skip
        for r in current:
            if r["state"] in LIVE and not r["cancel_requested"]:
                _cancel_button(user, r)
        if not any(r["state"] in LIVE for r in current) and live:
            st.rerun()  # the last job ended: the page's lists show what it did

    panel()


def _jobs(
    organization_id: str | None, endpoint_id: str | None, load_id: str | None = None
) -> list[dict[str, Any]]:
    rows = store.jobs(organization_id=organization_id, limit=50)
    return [
        r
        for r in rows
        if (endpoint_id is None or r["endpoint_id"] == endpoint_id)
        and (load_id is None or r["filter"].get("load_id") == load_id)
    ]


def _cancel_button(user: User, job: dict[str, Any]) -> None:
    allowed = rights.can(user, "bulk replay")
    label = f"Cancel the job started {job['created_at']:%H:%M:%S} by {md(job['created_by'])}"
    if st.button(label, key=f"cancel_{job['id']}", icon=":material/cancel:", disabled=not allowed,
                 help=None if allowed else rights.denied("cancel recovery jobs")):  # fmt: skip
        actions.cancel_job(user, job)
        st.toast("Cancelling: the job stops after the message it is on.", icon=":material/cancel:")
