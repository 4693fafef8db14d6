"""Signature doctor: paste what a broker's receiver got (raw body and headers) and its secret; get
a step-by-step diagnosis per Standard Webhooks, with the usual culprit named.

The secret is typed into a form that empties itself when submitted; it lives in this run's local
variables only: never stored, logged, cached or kept in the session. On the sandbox, a button
checks the demo receiver's last real delivery with the endpoint's current secret.
"""

from __future__ import annotations

import time

import streamlit as st

from components import data
from components.domain import doctor
from components.domain.markup import md
from components.shell import frame, nav
from envoy_api import EnvoyError

ctx = frame.ctx()
conn = frame.current().connection
BODY, HEADERS, DEMO = "doctor_body", "doctor_headers", "_doctor_demo"
ICONS = {
    "ok": ":green[:material/check_circle:]",
    "warn": ":orange[:material/warning:]",
    "fail": ":red[:material/cancel:]",
}

st.title("Signature doctor")
st.caption(
    "“Your signature does not verify”: paste the delivery exactly as the receiver got it, and "
    "the receiver's `whsec_` secret. The secret is used for this check only: it is not stored, "
    "logged, cached or kept in your session, and its field empties when you press Diagnose."
)


def _fill_from_sandbox() -> None:
    """The demo receiver's newest delivery, into the body and headers fields (not a secret)."""
    receipt = data.last_demo_delivery(ctx)
    if receipt is None:
        st.session_state[DEMO] = "none"
        return
    st.session_state[BODY] = receipt["body"]
    st.session_state[HEADERS] = "\n".join(
        f"{k}: {v}" for k, v in receipt["headers"].items() if k.startswith("webhook-")
    )
    st.session_state[DEMO] = receipt["webhook_id"] or ""


if conn.sandbox_root is not None:
    st.button("Try it: check the demo receiver's last delivery", key="doctor_demo",
              icon=":material/science:", on_click=_fill_from_sandbox)  # fmt: skip

body = st.text_area("Raw body, exactly as received", key=BODY, height=160,
                    placeholder='{"id":"evt_…","type":"load.status_changed",…}')  # fmt: skip
head = st.text_area("Headers as received (one “Name: value” per line, or JSON)", key=HEADERS,
                    height=100, placeholder="webhook-id: msg_…\nwebhook-timestamp: 1764430000\n"
                    "webhook-signature: v1,…")  # fmt: skip
with st.form("doctor_form", clear_on_submit=True, border=False):
    secret = st.text_input("Receiver's signing secret", type="password",
                           placeholder="whsec_…", autocomplete="off")  # fmt: skip
    asked = st.form_submit_button("Diagnose", type="primary", icon=":material/stethoscope:")

demo = st.session_state.pop(DEMO, None)
if demo == "none":
    st.info("No delivery has reached the demo receivers yet: send a test event from "
            "Event types, then try again.", icon=":material/science:")  # fmt: skip
elif demo:
    try:
        secret = data.demo_secret(ctx, demo)  # this run only
    except EnvoyError as exc:
        st.error(f"Could not read the demo endpoint's secret: {md(str(exc))}")
        secret = ""
    asked = bool(secret)


def _sent_to(message_id: str) -> str | None:
    """The endpoint a message went to, by the API (None when it cannot tell)."""
    try:
        attempts = data.message_attempts(ctx, message_id)
        endpoints = {ep.id: ep for ep in data.endpoints(ctx)}
    except (EnvoyError, ValueError):
        return None
    ep = endpoints.get(attempts[0].endpoint_id or "") if attempts else None
    return f"{ep.description or ep.url} ({ep.id})" if ep else None


if asked:
    message_id = doctor.parse_headers(head).get("webhook-id", "")
    sent_to = _sent_to(message_id) if message_id.startswith("msg_") else None
    result = doctor.diagnose(body, head, secret, time.time(), sent_to=sent_to)
    del secret  # nothing of it outlives this block
    if result.verified and not result.culprits:
        st.success("The signature verifies: this body, these headers and this secret agree.",
                   icon=":material/verified:")  # fmt: skip
    elif result.verified:
        st.warning(f"The signature verifies, with a caution: {md(', '.join(result.culprits))}.",
                   icon=":material/warning:")  # fmt: skip
    else:
        named = result.culprits[0] if result.culprits else "unknown"
        st.error(f"The signature does not verify. Most likely: **{md(named)}**.",
                 icon=":material/cancel:")  # fmt: skip
    for n, step in enumerate(result.steps, start=1):
        with st.container(border=True):
            st.markdown(f"{ICONS[step.outcome]} **{n}. {md(step.title)}**")
            st.markdown(md(step.detail, 600))
    if sent_to:
        nav.link(nav.WEBHOOKS, "The endpoint it was sent to", ":material/webhook:",
                 endpoint_id=sent_to.rsplit("(", 1)[-1].rstrip(")"))  # fmt: skip
elif not body and not head:
    st.caption(
        "Standard Webhooks signs `webhook-id.webhook-timestamp.body` with HMAC-SHA256 and the "
        "base64 key after `whsec_`; receivers allow 5 minutes of clock skew."
    )
