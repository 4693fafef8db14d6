"""Loads: tab counts as tabs, a searchable server-side-paged table, open a load, CSV export.

The view (tab, search, page, page size) lives in the URL so it can be shared and survives a
reload.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import data, errors, shell, tables
from envoy_api import EnvoyError

PAGE_SIZES = [20, 50, 100]

ctx = shell.setup()
params = st.query_params

st.title("Loads")

try:
    with st.spinner("Loading tab counts…"):
        counts = data.tab_counts(ctx)
except EnvoyError as exc:
    errors.show(exc, "the loads list")
    st.stop()

keys = counts.keys() or ["all"]


def _int(value: str | None, default: int, lowest: int = 1) -> int:
    try:
        return max(lowest, int(value)) if value is not None else default
    except ValueError:
        return default


# First run of a session: the URL decides the view.
if "loads_tab" not in st.session_state:
    wanted = params.get("tab")
    st.session_state.loads_tab = wanted if wanted in keys else keys[0]
    st.session_state.loads_q = params.get("q", "")
    size = _int(params.get("size"), PAGE_SIZES[0])
    st.session_state.loads_size = size if size in PAGE_SIZES else PAGE_SIZES[0]
    st.session_state.loads_url_page = _int(params.get("page"), 1)
if st.session_state.loads_tab not in keys:
    st.session_state.loads_tab = keys[0]


def _view_changed() -> None:
    st.session_state.pop("loads_export", None)


tab = (
    st.segmented_control(
        "Tab",
        keys,
        format_func=lambda k: f"{counts.label(k)} · {counts[k]:,}" if k in counts else k,
        key="loads_tab",
        required=True,
        on_change=_view_changed,
        label_visibility="collapsed",
        width="stretch",
    )
    or keys[0]
)

left, right = st.columns([4, 1])
search = left.text_input(
    "Search",
    key="loads_q",
    placeholder="Load number, customer, carrier or city",
    on_change=_view_changed,
    label_visibility="collapsed",
).strip()
page_size = right.selectbox(
    "Rows per page",
    PAGE_SIZES,
    key="loads_size",
    on_change=_view_changed,
    label_visibility="collapsed",
    format_func=lambda n: f"{n} per page",
)
# One pager per view: a new tab, search or page size starts at page 1 by itself.
pager_key = f"loads_page:{tab}:{search}:{page_size}"
page_no = st.session_state.get(pager_key) or st.session_state.pop("loads_url_page", 1)


def fetch(number: int) -> data.PageResult[Any]:
    return data.loads_page(
        ctx, tab=None if tab == "all" else tab, search=search, page=number, page_size=page_size
    )


try:
    with st.spinner("Loading loads…"):
        result = fetch(page_no)
        pages = max(result.pagination.total_pages, 1)
        if page_no > pages:  # the view shrank (a search): go to its last page
            page_no = pages
            st.session_state.pop(pager_key, None)
            result = fetch(page_no)
except EnvoyError as exc:
    errors.show(exc, "the loads list")
    st.stop()

view = {"tab": tab, "q": search, "page": str(page_no), "size": str(page_size)}
defaults = {"tab": keys[0], "q": "", "page": "1", "size": str(PAGE_SIZES[0])}
wanted_params = {k: v for k, v in view.items() if v != defaults[k]}
if dict(params) != wanted_params:
    params.from_dict(wanted_params)

total = result.pagination.total_count
if total == 0:
    what = f" “{search}”" if search else ""
    st.info(
        f"No loads match{what} in {counts.label(tab)}. Clear the search or pick another tab.",
        icon=":material/search_off:",
    )
    st.stop()

frame = tables.loads_frame(result.items)
event = st.dataframe(
    frame,
    key="loads_table",
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    column_order=[c for c in frame.columns if c != "id"],
    height=min(len(frame), 25) * 35 + 38,
    column_config={
        "Open": st.column_config.LinkColumn("Open", display_text="Open ↗", width="small"),
        "Posted rate": st.column_config.NumberColumn(format="dollar"),
        "First pickup": st.column_config.DatetimeColumn(format="MMM D, HH:mm"),
        "Updated": st.column_config.DatetimeColumn(format="MMM D, HH:mm"),
    },
)
selected = event.selection.rows if event and event.selection else []  # type: ignore[union-attr]
if selected:
    st.switch_page("pages/load.py", query_params={"load_id": frame.iloc[selected[0]]["id"]})

info, pager = st.columns([2, 3])
info.caption(
    f"Page {page_no} of {pages} · {total:,} loads · newest update first · select a row to open it"
)
with pager:
    st.pagination(num_pages=pages, default=page_no, key=pager_key, max_visible_pages=7)

# ---- CSV export of the whole view ----

view_key = (ctx, tab, search)
export = st.session_state.get("loads_export")
with st.expander(f"Export all {total:,} loads of this view to CSV", icon=":material/download:"):
    if export and export["view"] == view_key:
        st.download_button(
            f"Download {export['count']:,} loads (CSV)",
            export["csv"],
            file_name=f"loads-{tab}{'-' + search if search else ''}.csv",
            mime="text/csv",
            icon=":material/download:",
            key="loads_csv",
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
                    "csv": tables.to_csv(tables.loads_frame(rows)),
                    "count": len(rows),
                }
                st.rerun()
shell.finish()
