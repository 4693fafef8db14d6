"""What every page shares: the connection, the sidebar and the data context.

Each page calls ``setup()`` first and ``finish()`` last. Keeping this in the pages (not only in
app.py) means a page run on its own, as AppTest reruns it, still draws the same sidebar.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from . import access, connection, data, errors
from .markup import md

_SLOT = "_fetched_slot"
_USER = "_console_user"

# (script, title, icon, url path, listed in the menu)
PAGES = [
    ("pages/loads.py", "Loads", ":material/local_shipping:", "", True),
    ("pages/load.py", "Load", ":material/package_2:", "load", False),
    ("pages/webhooks.py", "Webhook endpoints", ":material/webhook:", "webhooks", True),
    ("pages/deliveries.py", "Deliveries", ":material/send:", "deliveries", True),
    ("pages/event_types.py", "Event types", ":material/category:", "event-types", True),
    ("pages/activity.py", "Activity", ":material/history:", "activity", True),
]


def setup() -> data.Ctx:
    """Resolve the connection, draw the sidebar and return this run's data context."""
    st.set_page_config(
        page_title="Envoy Support Console", page_icon=":material/support_agent:", layout="wide"
    )
    st.session_state["_fetched_at"] = []
    user = access.current_user()  # asks to sign in first when [auth] is configured
    st.session_state[_USER] = user
    try:
        conn = connection.resolve_connection()
    except Exception as exc:  # misconfiguration, or a sandbox that cannot start: say the fix
        st.title("Envoy Support Console")
        errors.show(exc, "the connection")
        st.stop()
    with st.sidebar:
        st.markdown("**Envoy Support Console**")
        for path, title, icon, _url, listed in PAGES:
            if listed:
                st.page_link(path, label=title, icon=icon)
        st.divider()
        icon = ":material/science:" if conn.kind == "sandbox" else ":material/cloud:"
        label = conn.label if conn.kind == "sandbox" else md(conn.label)
        st.caption(f"{icon} Connected to **{label}**")
        _whoami(user)
        org_id = _organization(conn)
        if st.button(
            "Refresh data", icon=":material/refresh:", width="stretch", key="refresh_data"
        ):
            st.session_state["_refresh_nonce"] = st.session_state.get("_refresh_nonce", 0) + 1
        st.session_state[_SLOT] = st.empty()
    st.session_state["_sandbox_root"] = conn.sandbox_root
    return data.register(conn, org_id, st.session_state.get("_refresh_nonce", 0))


def _whoami(user: access.User) -> None:
    if not user.signed_in:
        st.caption(":material/person: Local single user: no sign-in configured")
        return
    role = "admin" if user.is_admin else "read and replay"
    st.caption(f":material/person: {md(user.name)} ({role})")
    st.button("Sign out", on_click=st.logout, key="sign_out")


def user() -> access.User:
    """The user ``setup()`` found for this run."""
    found = st.session_state.get(_USER)
    return found if isinstance(found, access.User) else access.current_user()


def _organization(conn: connection.Connection) -> str | None:
    if len(conn.organizations) > 1:
        names = {o.id: o.name for o in conn.organizations}
        choice: str | None = st.selectbox(
            "Organization",
            list(names),
            format_func=lambda i: names[i],
            key="organization",
            help="Sent to Envoy as X-Organization-ID.",
        )
        return choice
    if conn.organizations:
        st.caption(f"Organization: {md(conn.organizations[0].name)}")
        return conn.organizations[0].id
    return None


def finish() -> None:
    """Say in the sidebar when the data on screen was fetched."""
    times = st.session_state.get("_fetched_at") or []
    slot = st.session_state.get(_SLOT)
    if not times or slot is None:
        return
    oldest = min(times)
    ago = int((datetime.now(UTC) - oldest).total_seconds())
    slot.caption(f"Data fetched {ago} s ago ({oldest:%H:%M:%S} UTC); cached up to {data.TTL} s.")
