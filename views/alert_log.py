"""Alerts: every failure alert the console raised, where it went and how that went; acknowledge
one, mute an endpoint for a while."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from components import data, store
from components.domain import rights
from components.domain.alerts import muted_words
from components.domain.deliveries import endpoint_label
from components.domain.formats import when, words
from components.domain.markup import md
from components.ops import actions, alerts, audit
from components.shell import frame
from components.widgets import tables, ui
from envoy_api import EnvoyError

st.title("Alerts")
config = alerts.channels()
said = [config.describe(c) for c in config.names]
st.caption(
    "Sent when an endpoint turns failing, is disabled or recovers, and when a recovery job ends "
    f"with failures; looked at every {config.interval:g} s by one replica. Channels: "
    + md(
        ", ".join(said)
        if said
        else "none configured, so alerts are shown here only (see the README, “Failure alerts”)."
    )
)
for line in alerts.trouble():
    st.error(md(line), icon=":material/notifications_off:")

ctx, user = frame.ctx(), frame.user()
now = datetime.now(UTC)
try:
    rows = store.alert_list(ctx.organization_id)
    watched = store.watches(ctx.organization_id)
except store.StoreError as exc:
    st.error(f"The alerts cannot be read right now ({md(str(exc))}).", icon=":material/error:")
    st.stop()
try:
    names = {ep.id: endpoint_label(ep) for ep in data.endpoints(ctx)}
except EnvoyError:  # the alerts still read, with endpoint ids instead of names
    names = {}


def channel_words(send: dict[str, object]) -> str:
    """One channel's send in words: "delivered", or the error and when it is tried again."""
    if send["state"] == "delivered":
        return "delivered"
    if send["state"] == "pending":
        return "sending"
    retry = send.get("next_try_at")
    again = f"; tried again at {when(retry, seconds=True)}" if isinstance(retry, datetime) else ""
    return f"failed ({send['tries']} tries): {send['error']}{again}"


def sends_words(sends: list[dict[str, object]]) -> str:
    if not sends:
        return "this view only"
    return " · ".join(
        f"{'Chat' if s['channel'] == 'webhook' else 'Mail'}: {channel_words(s)}" for s in sends
    )


if any(s["state"] != "delivered" for r in rows for s in r["sends"]):
    frame.in_flight()  # the screen follows the sends until each is delivered or failed
shown = pd.DataFrame(
    {
        "When": [r["at"] for r in rows],
        "Alert": [words(r["kind"]) for r in rows],
        "Endpoint": [names.get(r["endpoint_id"], r["endpoint_id"]) for r in rows],
        "Channels": [sends_words(r["sends"]) for r in rows],
        "Acknowledged": [
            f"by {r['acknowledged_by']} at {when(r['acknowledged_at'])}"
            if r["acknowledged_at"]
            else ""
            for r in rows
        ],
        "Open": [r["link"] for r in rows],
        "What": [f"{r['title']}\n{r['body']}" for r in rows],
    }
)
if rows:
    st.dataframe(
        shown,
        hide_index=True,
        key="alerts_table",
        column_config={
            "When": tables.time_column(pinned=True),
            "What": st.column_config.TextColumn(width="large"),
            "Channels": st.column_config.TextColumn(width="medium"),
            "Open": st.column_config.LinkColumn(display_text="Deliveries ↗", width="small"),
        },
    )
    st.caption(f"{ui.count(len(rows), 'alert')}, newest first")
else:
    st.info(
        "No alerts yet: none of this organization's endpoints changed for the worse since "
        "the console started watching it.",
        icon=":material/notifications:",
    )

muted = {k: v for k, v in watched.items() if k and muted_words(v["muted_until"], now)}
for endpoint_id, row in muted.items():
    st.caption(
        f":material/notifications_paused: {md(names.get(endpoint_id, endpoint_id))} is "
        f"{muted_words(row['muted_until'], now)} by {md(row['muted_by'] or '')}: "
        f"{md(row['mute_reason'] or '')}"
    )

st.subheader("Act on alerts")
if ui.admins_only(rights.can(user, "acknowledge alert"), "acknowledge alerts and mute endpoints"):
    open_ = {r["id"]: r for r in rows if not r["acknowledged_at"]}
    with st.form("acknowledge", border=True):
        picked = st.selectbox(
            "Alert",
            list(open_),
            format_func=lambda i: f"{when(open_[i]['at'])} · {open_[i]['title']}",
            key="ack_alert",
            index=None,
            placeholder="Choose an alert to acknowledge",
        )
        if st.form_submit_button("Acknowledge", icon=":material/done:") and picked is not None:
            try:
                done = actions.acknowledge_alert(user, open_[picked])
            except (store.StoreError, rights.NotAllowed) as exc:
                st.error(md(str(exc)), icon=":material/error:")
            else:
                st.toast("Acknowledged." if done else "Someone acknowledged it first.")
                st.rerun()
    with st.form("mute", border=True):
        endpoint = st.selectbox(
            "Endpoint",
            list(names),
            format_func=names.__getitem__,
            key="mute_endpoint",
            index=None,
            placeholder="Choose an endpoint to mute",
        )
        hours = st.number_input(
            "Hours (0 unmutes)",
            min_value=0.0,
            max_value=168.0,
            value=4.0,
            step=1.0,
            key="mute_hours",
        )
        reason = st.text_input("Reason (required to mute)", key="mute_reason")
        if st.form_submit_button("Mute", icon=":material/notifications_paused:") and endpoint:
            try:
                until = actions.mute_alerts(ctx, user, endpoint, hours, reason)
            except (ValueError, audit.AuditError, rights.NotAllowed) as exc:
                st.error(md(str(exc)), icon=":material/error:")
            else:
                st.toast(f"Muted until {when(until)}." if until else "Unmuted.")
                st.rerun()
