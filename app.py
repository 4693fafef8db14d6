"""Envoy Support Console: the frame around every page.

Page config, the navigation menu and the sidebar (connection, organization, user, Refresh data,
when data was fetched) are drawn here, once, before the chosen page runs; a page module holds
only its own content and reads its context from ``components.shell.frame``.

The page scripts live in ``views/``, not ``pages/``: while a ``pages/`` folder exists, Streamlit
serves the first requests after a server start the old way (a script whose stem equals the
path runs without this file; any other path shows "Page not found" before falling back here).
Without one, every URL goes through the frame, cold or warm. Their stems also differ from their
URL paths (``views/load_detail.py`` is served at ``/load``), so neither quirk can come back.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components.shell import frame, memory, nav, transport

ICON = str(Path(__file__).parent / "assets" / "icon.png")

st.set_page_config(
    page_title="Envoy Support Console",
    page_icon=ICON,  # a file of ours: a :material/…: icon makes the browser fetch a web font
    layout="wide",
)
# The menu is drawn by the frame as links that carry the organization: Streamlit's own menu
# drops the query, and putting it back would leave an extra entry in the browser's history.
page = st.navigation(nav.pages(), position="hidden")
nav.follow_next()  # a row clicked in a table opens its view at once, the list not drawn again
memory.collector()
transport.no_delay()  # each message sent at once, not held for the last one's acknowledgement
frame.start()
try:
    page.run()
finally:
    frame.finish()
