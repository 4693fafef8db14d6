"""The Loads page: tabs with counts, paging, search, URL state, empty state, CSV export."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import data
from components.domain.markup import md
from components.widgets import tables

from ..sandboxes import Sandbox
from .conftest import download_frame, loads_app, new_app, run_app, texts


def table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def test_tabs_show_the_api_counts_in_order(configured: Sandbox) -> None:
    at = loads_app()
    counts = configured.client.loads.tab_counts()
    tabs = at.button_group(key="loads_tab")
    assert tabs.options == [f"{counts.label(k)} · {counts[k]:,}" for k in counts.keys()]
    assert tabs.value == "all"
    frame = table(at)
    assert len(frame) == 20
    expected = configured.client.loads.list(page_size=20)
    assert list(frame["Load"]) == [x.load_number for x in expected.data]
    assert f"Page 1 of {expected.pagination.total_pages} · 300 loads" in texts(at)
    assert "Connected to" in texts(at)


def test_switching_tab_changes_rows_and_url(configured: Sandbox) -> None:
    at = loads_app()
    at.button_group(key="loads_tab").set_value("delivered")
    run_app(at)
    assert at.query_params["tab"] == ["delivered"] or at.query_params["tab"] == "delivered"
    expected = configured.client.loads.list(tab="delivered", page_size=20)
    assert list(table(at)["Load"]) == [x.load_number for x in expected.data]
    assert set(table(at)["Status"]) <= {"Delivered"}


def _qp(at: AppTest, key: str) -> str:
    value: str | list[str] = at.query_params[key]  # a repeated key holds a list
    return value[0] if isinstance(value, list) else value


def test_paging_and_page_size(configured: Sandbox) -> None:
    at = loads_app()
    first = list(table(at)["Load"])
    at.pagination[0].set_value(3)
    run_app(at)
    third = list(table(at)["Load"])
    expected = configured.client.loads.list(page=3, page_size=20)
    assert third == [x.load_number for x in expected.data] and third != first
    assert _qp(at, "page") == "3"
    at.selectbox(key="loads_size").set_value(50)
    run_app(at)
    assert len(table(at)) == 50 and _qp(at, "size") == "50"
    assert "page" not in at.query_params  # a new page size starts at page 1


def test_search_finds_a_load_by_number(configured: Sandbox) -> None:
    target = configured.client.loads.list(page=4, page_size=20).data[7]
    at = loads_app()
    at.text_input(key="loads_q").set_value(target.load_number)
    run_app(at)
    assert list(table(at)["Load"]) == [target.load_number]
    assert _qp(at, "q") == target.load_number
    assert target.id in table(at)["Open"].iloc[0]


def test_search_matches_the_lane_as_shown(configured: Sandbox) -> None:
    at = loads_app()
    at.text_input(key="loads_q").set_value("Dallas, TX")
    run_app(at)
    lanes = list(table(at)["Lane"])
    assert lanes and all("Dallas, TX" in lane for lane in lanes)
    at.text_input(key="loads_q").set_value("TX")
    run_app(at)
    assert all(", TX" in lane for lane in table(at)["Lane"])
    total = configured.client.loads.list(search="tx").pagination.total_count
    assert total >= len(lanes)


def test_url_restores_the_view(configured: Sandbox) -> None:
    at = new_app()
    at.query_params["tab"] = "available"
    at.query_params["page"] = "2"
    run_app(at)
    assert at.button_group(key="loads_tab").value == "available"
    expected = configured.client.loads.list(tab="available", page=2, page_size=20)
    assert list(table(at)["Load"]) == [x.load_number for x in expected.data]
    assert f"Page 2 of {expected.pagination.total_pages}" in texts(at)


def test_empty_state(configured: Sandbox) -> None:
    at = new_app()
    at.query_params["q"] = "no-such-load-anywhere"
    run_app(at)
    assert f"No loads match “{md('no-such-load-anywhere')}”" in texts(at)  # shown as text
    assert not at.dataframe


def test_csv_export_holds_the_whole_view(configured: Sandbox) -> None:
    at = new_app()
    at.query_params["tab"] = "covered"
    run_app(at)
    at.button(key="loads_export_start").click()
    run_app(at)
    csv = download_frame(at.download_button(key="loads_csv"))
    expected = list(configured.client.loads.list(tab="covered", page_size=100).iter_all())
    assert len(expected) > 20  # more than the rows on screen
    assert list(csv["Load"]) == [x.load_number for x in expected]
    assert list(csv.columns)[:5] == ["Load", "Status", "Customer", "Carrier", "Lane"]


def test_large_export_warns_before_it_starts(
    configured: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "LARGE_EXPORT", 50)
    at = loads_app()
    assert "may take a while" in texts(at)
    assert at.button(key="loads_export_start").label == "Start the export"
    assert not at.download_button


def test_selecting_a_row_opens_the_load(configured: Sandbox) -> None:
    at = loads_app()
    first = table(at).iloc[0]
    assert first["Open"] == f"load?load_id={first['id']}"  # a real link for a new tab, too


def _select(at: AppTest, key: str, row: int) -> None:
    """What the browser sends when the agent selects ``row`` of table ``key``."""
    at.session_state[key] = {"selection": {"rows": [row], "columns": []}}
    run_app(at)


def _updated_now(configured: Sandbox, load_id: str) -> None:
    """Envoy updates the load (a call came in): it moves to the top of the list."""
    stamp = datetime.now(UTC).isoformat()
    with sqlite3.connect(configured.db_path) as conn:
        conn.execute("UPDATE loads SET updated_at = ?, body = json_set(body, '$.updated_at', ?)"
                     " WHERE id = ?", (stamp, stamp, load_id))  # fmt: skip


def test_a_selected_row_opens_the_load_it_showed_though_the_list_moved_since(
    configured: Sandbox,
) -> None:
    """The list is newest update first and read again once its cache entry ends: a click opens
    the load in the row the agent clicked, not the load a list read after the click has in that
    position (before, the load that had moved up into it)."""
    at = loads_app()
    shown = list(table(at)["id"])
    _updated_now(configured, shown[-1])
    data.clear_caches()  # the list's entry ended between the draw and the click
    assert configured.client.loads.list(page_size=20).data[1].id == shown[0]  # it moved
    _select(at, "loads_table", 1)
    assert _qp(at, "load_id") == shown[1]
    assert not at.exception


def test_agents_on_the_same_page_share_one_table_made_once(
    configured: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[int] = []
    real = tables.loads_frame

    def counted(items: Any) -> pd.DataFrame:
        made.append(len(items))
        return real(items)

    monkeypatch.setattr(tables, "loads_frame", counted)
    tables._made.clear()
    first, second = loads_app(), loads_app()  # two agents, the same fetch of the same page
    assert made == [20]
    assert table(first).equals(table(second))
    assert list(table(second)["Load"]) == [
        x.load_number for x in configured.client.loads.list(page_size=20).data
    ]
    second.button_group(key="loads_tab").set_value("delivered")
    run_app(second)  # another fetch: another table
    assert made == [20, 20] and set(table(second)["Status"]) <= {"Delivered"}
