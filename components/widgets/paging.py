"""Page controls of a server-side-paged table that leave the agent looking at the new page's
first row.

The pager sits under the table, so an agent who pages has scrolled down to it; Streamlit keeps
the scroll position across the run, and would show the bottom of the new page. Streamlit has no
scroll API: on the run that follows a page change (only then), a few lines of script bring the
table's top back into view (and its own scroll back to the first row).

A page::

    paging.pager(pages, PAGE, table="loads_table")  # under the table keyed "loads_table"

and for another control that changes the page (a page size), its ``on_change`` is
``paging.turned("loads_table", then=...)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

from components.shell import nav

TURNED = "_paging_turned"  # the table whose page was just changed (by its key)
TURNS = "_paging_turns"  # how many changes so far: each script differs, so each one runs

# Runs in the page itself (st.html, not an iframe). Scrolls only when the table's top is out of
# view: under the fixed header (the agent scrolled down to the pager) or below the window.
_SCRIPT = """<script>(() => {  // turn %(turn)d: each script differs, so the page runs each one
  const table = document.querySelector(%(selector)s);
  if (!table) return;
  const header = document.querySelector('[data-testid="stHeader"]');
  const below = (header ? header.getBoundingClientRect().bottom : 0) + 48;  // + its toolbar
  const back = () => {
    const top = table.getBoundingClientRect().top;
    if (top < below || top > window.innerHeight - 120) {
      table.style.scrollMarginTop = below + "px";
      table.scrollIntoView({block: "start", inline: "nearest", behavior: "instant"});
    }
    const own = table.querySelector(".dvn-scroller");  // the grid's own scroll: its first row
    if (own) own.scrollTop = 0;
  };
  back();
  requestAnimationFrame(back);
  setTimeout(back, 300);  // once more, after the new page's rows are laid out
})();</script>"""


def turned(table: str, then: Callable[[], None] | None = None) -> Callable[[], None]:
    """An ``on_change`` for a control that changes ``table``'s page: ``then`` (for example the
    URL's update), and the next run brings the table's first row into view."""

    def callback() -> None:
        if then is not None:
            then()
        st.session_state[TURNED] = table
        st.session_state[TURNS] = st.session_state.get(TURNS, 0) + 1

    return callback


def pager(num_pages: int, bound: nav.Bound[int], *, table: str, **kwargs: Any) -> int:
    """``st.pagination`` bound to the URL (``bound``) under the table keyed ``table``; after a
    page change, the agent is shown the new page's first row. Returns the page."""
    page: int = st.pagination(
        num_pages=num_pages,
        default=bound.load(),  # the URL's page for a pager the browser draws afresh
        key=bound.key,
        on_change=turned(table, bound.store),
        **kwargs,
    )
    scroll_back(table)
    return page


def scroll_back(table: str) -> None:
    """On the run that follows a page change of ``table`` (only then), bring its top into view.
    ``pager`` calls it; a page with its own page controls calls it once the table is drawn."""
    if st.session_state.get(TURNED) != table:
        return
    del st.session_state[TURNED]  # this run only
    selector = json.dumps(f".st-key-{table}")
    # An invisible element: it holds the script, takes no room (no gap) in the layout.
    with st.container(key=f"paging_scroll_{table}"):
        st.html(
            f"<style>.st-key-paging_scroll_{table}{{display:none}}</style>"
            + _SCRIPT % {"selector": selector, "turn": st.session_state.get(TURNS, 0)},
            unsafe_allow_javascript=True,
        )
