"""The one box in the sidebar that finds anything, and the agent's recent searches and loads.

Drawn by the frame before the page runs, so the box has one identity on every page and what is
typed survives no page switch it should not. A submitted term goes to the search view's URL
(``/search?q=…``), which does the finding: the URL is the view, so a search can be pasted into a
ticket and opened by a colleague.
"""

from __future__ import annotations

import streamlit as st

from components.domain.markup import md
from components.domain.rights import User
from components.ops import recent
from components.shell import nav

BOX_KEY = "find_box"
OPEN_KEY = "_find_open"  # a term just submitted: its single hit opens even if seen before
URL_LIMIT = 5_000  # characters of a term put into the URL (the search itself reads fewer)
PLACEHOLDER = "Id, name or URL"
RECENT_KEY = "recent_panel"


def draw(user: User, organization_id: str | None) -> None:
    """The box, and under it the agent's recent searches and loads as links."""
    form = st.form("find_form", border=False, clear_on_submit=True)
    with form, st.container(horizontal=True, gap="small", vertical_alignment="bottom"):
        term = st.text_input(
            "Find anything",
            key=BOX_KEY,
            placeholder=PLACEHOLDER,
            help="A load number, a name or city, or any id an agent is read out: load_…, "
            "msg_… (the webhook-id header), evt_…, atmp_…, ep_…, call_…, esc_…; or an "
            "endpoint's URL.",
        )
        submitted = st.form_submit_button("Find", icon=":material/search:")
    if submitted:
        st.session_state[OPEN_KEY] = term[:URL_LIMIT]
        nav.switch(nav.SEARCH, q=term[:URL_LIMIT])
    _recent_links(user, organization_id)


def _recent_links(user: User, organization_id: str | None) -> None:
    entries, _ = recent.recent(user, organization_id)
    if not entries:
        return
    # Its links are drawn only while it is open: eight page links on every rerun of every page
    # were a twentieth of the Loads page's rerun.
    panel = st.expander("Recent", icon=":material/history:", key=RECENT_KEY, on_change="rerun")
    with panel:
        if not panel.open:
            return
        for entry in entries[:8]:
            if entry.kind == "load":
                nav.link(nav.LOAD, f"Load {md(entry.label, 40)}", ":material/package_2:",
                         load_id=entry.value)  # fmt: skip
            else:
                nav.link(nav.SEARCH, md(entry.label, 40), ":material/search:", q=entry.value)
