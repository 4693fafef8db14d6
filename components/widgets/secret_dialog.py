"""The one place a signing secret is shown: a dialog, once, never stored or cached.

The dialog also says what was just done ("Registered …", "Rotated …"): the confirmation is part
of the dialog, not a toast, which would show over a corner of it.
"""

from __future__ import annotations

import streamlit as st

from components.domain.markup import md
from components.shell import frame
from components.widgets import ui


def render_secret(secret: str, endpoint_url: str, *, done: str = "", note: str = "") -> None:
    """The dialog's body: what was ``done`` (Markdown), the secret with a copy button, and a
    ``note`` (Markdown). Also drawn by the rotate dialog, which asks before it rotates. The
    screen holds still while it shows: a redraw would close the dialog and lose the secret."""
    frame.hold()
    if done:
        st.success(done, icon=":material/check_circle:")
    st.warning(
        "Copy this secret now and store it with the receiver. It will not be shown again.",
        icon=":material/key:",
    )
    st.caption(f"Endpoint: {md(endpoint_url)}")
    ui.copyable(secret)
    if note:
        st.info(note, icon=":material/schedule:")


@st.dialog("Signing secret", width="large", on_dismiss="rerun")
def show_secret(secret: str, endpoint_url: str, note: str = "", *, done: str = "") -> None:
    """Show ``secret`` with a copy button; it is not kept anywhere once the dialog closes."""
    render_secret(secret, endpoint_url, done=done, note=note)
    if st.button("I have copied it", key="secret_done", type="primary"):
        st.rerun()
