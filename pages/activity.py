"""Activity: the audit trail of every change made through this console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from components import audit, shell

shell.setup()
st.title("Activity")
st.caption(
    f"Every change made through this console: who, when, what, why and how it ended. "
    f"Kept in {audit.path()}."
)

rows = audit.entries()
if not rows:
    st.info("No changes recorded yet.", icon=":material/history:")
    shell.finish()
    st.stop()

frame = pd.DataFrame(rows)
frame["at"] = pd.to_datetime(frame["at"], utc=True)
cols = st.columns([3, 2, 2, 2])
actions = cols[0].multiselect("Action", audit.ACTIONS, key="act_actions")
actor = cols[1].text_input("Who (contains)", key="act_actor").strip().lower()
outcome = cols[2].selectbox("Outcome", ["Any", "ok", "failed"], key="act_outcome")
window = cols[3].selectbox("Window", ["24h", "7d", "30d", "all"], index=1, key="act_window")
if actions:
    frame = frame[frame["action"].isin(actions)]
if actor:
    frame = frame[frame["actor"].str.lower().str.contains(actor, regex=False)]
if outcome == "ok":
    frame = frame[frame["outcome"] == "ok"]
elif outcome == "failed":
    frame = frame[frame["outcome"] != "ok"]
spans = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
if window in spans:
    frame = frame[frame["at"] >= datetime.now(UTC) - spans[window]]

shown = frame.rename(
    columns={
        "at": "When",
        "actor": "Who",
        "action": "Action",
        "target": "What",
        "reason": "Reason",
        "outcome": "Outcome",
        "organization_id": "Organization",
    }
)[["When", "Who", "Action", "What", "Reason", "Outcome", "Organization"]]
st.dataframe(
    shown,
    hide_index=True,
    key="activity_table",
    column_config={"When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
)
st.caption(f"{len(shown):,} of {len(rows):,} records")
st.download_button(
    "Download activity (CSV)",
    shown.to_csv(index=False),
    file_name="console-activity.csv",
    mime="text/csv",
    key="activity_csv",
    icon=":material/download:",
)
shell.finish()
