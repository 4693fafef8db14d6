"""The one place a signing secret is shown: a dialog, once, never stored or cached."""

from __future__ import annotations

import streamlit as st

from components.domain.markup import md
from components.widgets import ui


@st.dialog("Signing secret", width="large", on_dismiss="rerun")
def show_secret(secret: str, endpoint_url: str, note: str = "") -> None:
    """Show ``secret`` with a copy button; it is not kept anywhere once the dialog closes."""
    st.warning(
        "Copy this secret now and store it with the receiver. It will not be shown again.",
        icon=":material/key:",
    )
    st.caption(f"Endpoint: {md(endpoint_url)}")
    ui.copyable(secret)
    if note:
        st.info(note, icon=":material/schedule:")
    if st.button("I have copied it", key="secret_done", type="primary"):
        st.rerun()
