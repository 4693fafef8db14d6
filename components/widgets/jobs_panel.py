"""Recovery jobs on screen: the live list every agent sees (on Deliveries and on Activity), with
progress, what became of each replay (per message), and a Cancel that is audited."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from components import store
from components.domain import recovery, rights
from components.domain.markup import md
from components.domain.recovery import LIVE
from components.domain.rights import User
from components.ops import actions
from components.widgets import tables, ui


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Created": r["created_at"],
                "By": r["created_by"],
                "Reason": r["reason"],
                "State": recovery.state(r),
                "Progress": 1 - recovery.waiting(r) / r["total"] if r["total"] else 1.0,
                "Done": f"{r['total'] - recovery.waiting(r):,} of {r['total']:,}",
                "Delivered": r["delivered"],
                "Failed again": r["failed_again"],
                "No end yet": r["unresolved"],
                "Refused": r["failed"],
                "Rate limited": r["rate_limited"],
                "Endpoint": r["endpoint_id"],
                "Job": r["id"],
            }
            for r in rows
        ],
        columns=["Created", "By", "Reason", "State", "Progress", "Done", "Delivered",
                 "Failed again", "No end yet", "Refused", "Rate limited", "Endpoint", "Job"],
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
            "State": st.column_config.TextColumn(width="medium"),
        }, hide_index=True, key=f"jobs_table_{endpoint_id or 'all'}")  # fmt: skip
        cancellable = [r for r in current if r["state"] in LIVE and not r["cancel_requested"]]
        # A reader sees the jobs and their progress, not the Cancel buttons.
        if cancellable and ui.admins_only(rights.can(user, "bulk replay"), "cancel recovery jobs"):
            for r in cancellable:
                _cancel_button(user, r)
        for i, r in enumerate(current[:3]):  # the newest jobs, message by message
            _messages(r, newest=i == 0)
        if not any(r["state"] in LIVE for r in current) and live:
            st.rerun()  # the last job ended: the page's lists show what it did

    panel()


def _messages(job: dict[str, Any], *, newest: bool) -> None:
    """One job's messages and what became of each replay, under a title that says how it
    went: green only when every replay was delivered."""
    messages = store.job_messages(job["id"])
    words = recovery.summary(job, messages)
    state = recovery.state(job)
    colour = {"finished": "green", "cancelled": "gray"}.get(state)
    colour = colour or ("blue" if job["state"] in LIVE else "orange")
    title = (f"Job of {job['created_at']:%H:%M:%S} by {md(job['created_by'])}: "
             f":{colour}[{md(state)}] · {md(words)}")  # fmt: skip
    with st.expander(title, expanded=newest or recovery.troubles(job) > 0):
        frame = pd.DataFrame(
            [{"Message": m["message_id"], "What became of the replay": recovery.replay_words(m),
              "Ended": m["result_at"] or m["done_at"]} for m in messages],
            columns=["Message", "What became of the replay", "Ended"],
        )  # fmt: skip
        tables.dataframe(frame, {"Ended": tables.time_column()}, hide_index=True,
                         key=f"job_messages_{job['id']}")  # fmt: skip


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
    label = f"Cancel the job started {job['created_at']:%H:%M:%S} by {md(job['created_by'])}"
    if st.button(label, key=f"cancel_{job['id']}", icon=":material/cancel:"):
        actions.cancel_job(user, job)
        st.toast("Cancelling: the job stops after the message it is on.", icon=":material/cancel:")
