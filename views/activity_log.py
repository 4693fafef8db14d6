"""Activity: the audit trail of every change made through this console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from components import data
from components.domain.formats import words
from components.ops import audit
from components.shell import frame, nav
from components.widgets import jobs_panel, tables, ui
from envoy_api import EnvoyError

st.title("Activity")
st.caption(
    f"Every change made through this console: who, when, what, why and how it ended. "
    f"Kept in {audit.path()}."
)

with st.expander("Recovery jobs", icon=":material/healing:", expanded=True):
    st.caption(
        "Bulk recoveries of every agent, running or done; each replay also has its row below."
    )
    jobs_panel.render_jobs(frame.user(), frame.ctx().organization_id)

try:
    rows = audit.entries()
except audit.AuditError as exc:
    st.error(f"The audit trail cannot be read right now ({exc}).", icon=":material/error:")
    st.stop()
if not rows:
    st.info("No changes recorded yet.", icon=":material/history:")
    st.stop()

table = pd.DataFrame(rows)
table["at"] = pd.to_datetime(table["at"], utc=True)
ACTION = nav.Bound(
    "act_actions", "action", list[str](), lambda t: [a for a in t.split(",") if a in audit.ACTIONS],
    ",".join,
)  # fmt: skip
ACTOR = nav.Bound("act_actor", "who", "", lambda t: t.strip()[:200])
OUTCOME = nav.Bound("act_outcome", "outcome", "Any", nav.one_of(["Any", "ok", "failed"]))
WINDOW = nav.Bound("act_window", "window", "7d", nav.one_of(["24h", "7d", "30d", "all"]))
changed = nav.store_all(ACTION, ACTOR, OUTCOME, WINDOW)
cols = st.columns([3, 2, 2, 2])
WINDOWS = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days", "all": "All time"}
# Each widget's default is the URL's value too (``nav.Bound.load``).
actions = cols[0].multiselect("Action", audit.ACTIONS, default=ACTION.load(), key=ACTION.key,
                              on_change=changed, format_func=words)  # fmt: skip
actor = cols[1].text_input("Who (contains)", value=ACTOR.load(), key=ACTOR.key,
                           on_change=changed).strip().lower()  # fmt: skip
outcomes = ["Any", "ok", "failed"]
outcome = cols[2].selectbox("Outcome", outcomes, index=OUTCOME.index(outcomes), key=OUTCOME.key,
                            on_change=changed, format_func=words)  # fmt: skip
window = cols[3].selectbox("Window", list(WINDOWS), index=WINDOW.index(list(WINDOWS)),
                           key=WINDOW.key, on_change=changed,
                           format_func=WINDOWS.__getitem__)  # fmt: skip
if actions:
    table = table[table["action"].isin(actions)]
if actor:
    table = table[table["actor"].str.lower().str.contains(actor, regex=False)]
if outcome == "ok":
    table = table[table["outcome"] == "ok"]
elif outcome == "failed":
    table = table[table["outcome"] != "ok"]
spans = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
if window in spans:
    table = table[table["at"] >= datetime.now(UTC) - spans[window]]

org_names = {o.id: o.name for o in frame.current().connection.organizations}
try:
    names = {ep.id: ep.description or ep.url for ep in data.endpoints(frame.ctx())}
except EnvoyError:  # the records still read, with endpoint ids instead of names
    names = {}
to_load = nav.linker(nav.LOAD)
shown = pd.DataFrame(
    {
        "When": table["at"],
        "Who": table["actor"],
        "Action": [words(a) for a in table["action"]],
        "What": [audit.describe(a, t, names) for a, t in zip(table["action"], table["target"],
                                                             strict=True)],
        "Reason": table["reason"].fillna(""),
        "Outcome": [words(o) for o in table["outcome"]],
        "Organization": [org_names.get(o, o or "") for o in table["organization_id"]],
        "Load": [to_load(load_id=x) if isinstance(x, str) else "" for x in table["load_id"]],
    }
)  # fmt: skip
st.dataframe(
    shown,
    hide_index=True,
    key="activity_table",
    column_config={
        "When": tables.time_column(pinned=True),
        "What": st.column_config.TextColumn(width="large"),
        "Load": st.column_config.LinkColumn(display_text="Open ↗", width="small"),
    },
)
st.caption(f"{len(shown):,} of {len(rows):,} records")
ui.csv_download(shown, "Download activity (CSV)", "console-activity.csv", "activity_csv")
