"""Loads: tab counts as tabs, a searchable server-side-paged table, open a load, CSV export.

The view (tab, search, page, page size) is the URL's: a reload, a pasted link and the browser's
Back/Forward land on it; opening a load and coming back restores it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import streamlit as st

from components import data
from components.domain.formats import words
from components.domain.markup import md
from components.shell import errors, frame, nav
from components.widgets import paging, tables, ui
from envoy_api import EnvoyError

PAGE_SIZES = [20, 50, 100]

ctx = frame.ctx()
st.title("Loads")

TAB = nav.Bound("loads_tab", "tab", "all", nav.text)
SEARCH = nav.Bound("loads_q", "q", "", lambda t: t.strip()[:200])
SIZE = nav.Bound(
    "loads_size", "size", PAGE_SIZES[0], lambda t: int(t) if t in ("50", "100") else None
)
PAGE = nav.Bound("loads_page", "page", 1, nav.positive_int)
TABLE = "loads_table"
new_view = nav.store_all(TAB, SEARCH, SIZE, reset=(PAGE,))


class Shown(NamedTuple):
    """The view as drawn: the tab and page actually shown (a link may name ones that are gone)."""

    view: data.LoadsView
    tab: str
    search: str
    page_no: int
    pages: int
    keys: list[str]


def fetch(tab: str, search: str, page: int, size: int) -> data.LoadsView:
    return data.loads_view(ctx, tab=tab, search=search, page=page, page_size=size)


def load_view() -> Shown:
    """The URL's view, corrected to a tab and page that exist; without it there is no page."""
    try:
        tab, search, size, page_no = TAB.load(), SEARCH.load(), SIZE.load(), PAGE.load()
        view = fetch(tab, search, page_no, size)
        keys = view.counts.keys() or ["all"]
        if tab not in keys:  # a tab this API does not have: show its first one
            tab = keys[0]
            nav.write(TAB, tab)
            st.session_state[TAB.key] = tab
            view = fetch(tab, search, page_no, size)
        pages = max(view.page.pagination.total_pages, 1)
        if page_no > pages:  # the view shrank since the link was made: its last page
            page_no = pages
            nav.write(PAGE, page_no)
            st.session_state[PAGE.key] = page_no
            view = fetch(tab, search, page_no, size)
    except EnvoyError as exc:
        errors.show(exc, "the loads list")
        st.stop()
    return Shown(view, tab, search, page_no, pages, keys)


def render_controls(shown: Shown) -> None:
    """The tabs with their counts, the search box and the page size (each widget's default is
    the URL's value too: ``nav.Bound.load``)."""
    counts = shown.view.counts
    st.segmented_control(
        "Tab",
        shown.keys,
        default=shown.tab,
        format_func=lambda k: (
            f"{md(counts.label(k))} · {counts[k]:,}" if k in counts else md(words(k))
        ),
        key=TAB.key,
        required=True,
        on_change=new_view,
        label_visibility="collapsed",
        width="stretch",
    )
    left, right = st.columns([4, 1])
    left.text_input(
        "Search",
        value=shown.search,
        key=SEARCH.key,
        placeholder="Load number, customer, carrier or city",
        on_change=new_view,
        label_visibility="collapsed",
    )
    right.selectbox(
        "Rows per page",
        PAGE_SIZES,
        index=SIZE.index(PAGE_SIZES),
        key=SIZE.key,
        on_change=paging.turned(TABLE, then=new_view),  # page 1 of the new size, from its top
        label_visibility="collapsed",
        format_func=lambda n: f"{n} per page",
    )


def forget_opened_load() -> None:
    # Opening a load names it in this list's own history entry too (Streamlit sets the query,
    # then changes the page): coming Back, the list shows as it was and forgets the load.
    if "load_id" in st.query_params:
        del st.query_params["load_id"]


def render_no_match(shown: Shown) -> None:
    what = f" “{md(shown.search)}”" if shown.search else ""
    st.info(
        f"No loads match{what} in {md(shown.view.counts.label(shown.tab))}. Clear the search or "
        "pick another tab.",
        icon=":material/search_off:",
    )


def render_table(shown: Shown) -> None:
    """The page's loads; selecting a row opens that load (``open_selected``, on the next run)."""
    items, href = shown.view.page.items, nav.linker(nav.LOAD)

    def make() -> tables.Made:
        frame_ = tables.loads_frame(items)
        frame_["Open"] = [href(load_id=i) for i in frame_["id"]]
        return frame_, {
            "Load": st.column_config.TextColumn(pinned=True, width="small"),
            "Open": st.column_config.LinkColumn("Open", display_text="Open ↗", width="small"),
            "Posted rate": st.column_config.NumberColumn(format="dollar"),
            "First pickup": tables.time_column(),
            "Updated": tables.time_column(),
        }

    # The same fetch makes the same table for every agent (its links carry the organization).
    key = (TABLE, ctx.fingerprint, shown.tab, shown.search, shown.page_no, len(items),
           shown.view.page.fetched, href())  # fmt: skip
    table, config = tables.made_once(key, make)
    tables.dataframe(
        table,
        config,
        key=TABLE,
        hide_index=True,
        on_select=tables.opener(TABLE, _open_load),
        selection_mode="single-row",
        column_order=[c for c in table.column_names if c != "id"],
        height=min(table.num_rows, 25) * 35 + 38,
    )


def _open_load(load_id: str) -> None:
    """The load's URL keeps the list's view, for "Back to loads"."""
    nav.switch_next(nav.LOAD, **nav.current(nav.LIST_VIEW), load_id=load_id)


def open_selected(shown: Shown) -> None:
    """Open the load of the row selected in the table (the selection the browser sent with this
    run), the load that row showed; the load's URL keeps the list's view, for "Back to loads"."""
    state = st.session_state.get(TABLE)
    rows = state["selection"]["rows"] if state and "selection" in state else []
    load_id = tables.selected_id(TABLE, [x.id for x in shown.view.page.items], rows)
    if load_id:
        nav.switch(nav.LOAD, **nav.current(nav.LIST_VIEW), load_id=load_id)


def render_pager(shown: Shown, total: int) -> None:
    info, pager = st.columns([2, 3])
    info.caption(
        f"Page {shown.page_no} of {shown.pages} · {total:,} loads · newest update first · "
        "select a row to open it"
    )
    with pager:  # a page change shows the new page from its first row, not from the pager
        paging.pager(shown.pages, PAGE, table=TABLE, max_visible_pages=7)


# ---- CSV export of the whole view ----


def render_export(shown: Shown, total: int) -> None:
    """Export every load of the view (not just this page): prepared once, then downloaded."""
    tab, search = shown.tab, shown.search
    view_key = (ctx, tab, search)
    export = st.session_state.get("loads_export")
    with st.expander(f"Export all {total:,} loads of this view to CSV", icon=":material/download:"):
        if export and export["view"] == view_key:
            ui.csv_download(
                export["csv"],
                f"Download {export['count']:,} loads (CSV)",
                f"loads-{tab}{'-' + search if search else ''}.csv",
                "loads_csv",
            )
        else:
            if total > data.LARGE_EXPORT:
                st.warning(
                    f"This fetches {-(-total // 100):,} pages for {total:,} loads and may take a "
                    "while. Narrow the view with a tab or a search to export less.",
                    icon=":material/warning:",
                )
            label = "Start the export" if total > data.LARGE_EXPORT else "Prepare CSV"
            if st.button(label, key="loads_export_start", icon=":material/table_view:"):
                prepare_export(view_key, tab, search)


def prepare_export(view_key: tuple[Any, ...], tab: str, search: str) -> None:
    """Fetch every page of the view with a progress bar; keep the CSV and rerun to offer it."""
    bar = st.progress(0.0, text="Fetching page 1…")
    rows = []
    try:
        for items, done, total_pages in data.iter_all_loads(
            ctx, tab=None if tab == "all" else tab, search=search or None
        ):
            rows += items
            bar.progress(done / total_pages, text=f"Fetched page {done} of {total_pages}")
    except EnvoyError as exc:
        errors.show(exc, "the export")
    else:
        bar.empty()
        st.session_state.loads_export = {
            "view": view_key,
            "csv": tables.loads_frame(rows).to_csv(index=False).encode(),
            "count": len(rows),
        }
        st.rerun()


# ---- the page ----

shown = load_view()
# A click on a row opens its load before anything of the list is drawn again (the list's own
# run would only be thrown away by the switch).
open_selected(shown)
render_controls(shown)
forget_opened_load()
total = shown.view.page.pagination.total_count
if total == 0:
    render_no_match(shown)
    st.stop()
render_table(shown)
render_pager(shown, total)
render_export(shown, total)
