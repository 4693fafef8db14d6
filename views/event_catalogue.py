"""The catalogue of subscribable event types, who subscribes to each, and (on the sandbox)
sending a test event."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import data
from components.domain import rights
from components.domain.markup import md
from components.domain.rights import NotAllowed
from components.ops import actions
from components.shell import errors, frame
from components.widgets import ui
from envoy_api import EnvoyError

ctx = frame.ctx()
me = frame.user()
st.title("Event types")
st.caption("What Envoy can send, the shape of each event's data, and which endpoints get it.")

try:
    catalogue = data.event_types(ctx)
    endpoints = data.endpoints(ctx)
except EnvoyError as exc:
    errors.show(exc, "the event types")
    st.stop()

subscribers = {t.name: [ep for ep in endpoints if t.name in ep.event_types] for t in catalogue}
table = pd.DataFrame(
    [
        {
            "Event type": t.name,
            "Description": t.description or "",
            "Endpoints": len(subscribers[t.name]),
            "Subscribed endpoints": ", ".join(ep.url for ep in subscribers[t.name]),
        }
        for t in catalogue
    ]
)
st.dataframe(table, hide_index=True, key="event_types_table")
ui.csv_download(table, "Download the catalogue (CSV)", "event-types.csv", "event_types_csv")

st.subheader("Payload schemas")
for t in catalogue:
    with st.expander(f"{t.name} · {ui.count(len(subscribers[t.name]), 'endpoint')}"):
        st.write(t.description or "")
        st.json(t.payload_schema or {}, expanded=2)

sandbox_root = frame.current().connection.sandbox_root
if sandbox_root:
    st.subheader("Send a test event")
if sandbox_root and ui.admins_only(rights.can(me, "test event"), "send test events"):
    st.caption("Sandbox only: emits the event to every subscribed endpoint of this organization.")
    with st.form("test_event"):
        event_type = st.selectbox("Event type", [t.name for t in catalogue], key="te_type")
        load_hint = st.text_input(
            "Load number or id", key="te_load", placeholder="Empty: the newest updated load"
        )
        sent = st.form_submit_button("Send test event", type="primary")
    if sent:
        try:
            text = load_hint.strip()
            page = data.loads_page(ctx, tab=None, search=text or None, page=1, page_size=5)
            match = [x for x in page.items if not text or text in (x.id, x.load_number)]
            if not match:
                raise ValueError(f"No load “{text}” in this organization.")
            # Every event's data names the load it concerns (contract §2.5).
            payload = {"load_id": match[0].id, "load_number": match[0].load_number, "test": True}
            n = actions.send_test_event(ctx, me, event_type, payload)
        except (ValueError, EnvoyError, NotAllowed) as exc:
            errors.show(exc, "the test event")
        else:
            st.success(f"Sent {md(event_type)}: {ui.count(n, 'message')} queued.",
                       icon=":material/send:")  # fmt: skip
