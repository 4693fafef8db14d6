"""Envoy Support Console: the router. Each page draws the shared sidebar (components.shell)."""

from __future__ import annotations

import streamlit as st

st.set_page_config(
    page_title="Envoy Support Console",
    page_icon=":material/support_agent:",
    layout="wide",
)

PAGES = {
    "Loads": [
        st.Page("pages/loads.py", title="Loads", icon=":material/local_shipping:", default=True),
        st.Page("pages/load.py", title="Load", icon=":material/package_2:", url_path="load",
                visibility="hidden"),
    ],
}  # fmt: skip
st.navigation(PAGES).run()
