"""Envoy Support Console: the router.

Each page draws the shared sidebar itself (components.shell), including the navigation links, so
a deep link that reaches a page directly looks the same as one routed through here.
"""

from __future__ import annotations

import streamlit as st

from components.shell import PAGES

st.navigation(
    [
        st.Page(
            path,
            title=title,
            icon=icon,
            url_path=url,
            default=url == "",
            visibility="visible" if listed else "hidden",
        )
        for path, title, icon, url, listed in PAGES
    ],
    position="hidden",
).run()
