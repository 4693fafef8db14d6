"""Envoy Support Console: the frame around every page.

Page config, the navigation menu and the sidebar (connection, organization, user, Refresh data,
when data was fetched) are drawn here, once, before the chosen page runs; a page module holds
only its own content and reads its context from ``components.frame``.

Page scripts are named differently from their URL paths (``pages/load_detail.py`` is served at
``/load``): Streamlit serves a ``pages/`` script whose stem equals the requested path without
this file until some session has run it since the server started, so this naming sends every
listed URL through the frame, cold or warm.
"""

from __future__ import annotations

import streamlit as st

from components import frame, nav

st.set_page_config(
    page_title="Envoy Support Console", page_icon=":material/support_agent:", layout="wide"
)
page = st.navigation(nav.pages(), position="sidebar")
frame.start()
try:
    page.run()
finally:
    frame.finish()
