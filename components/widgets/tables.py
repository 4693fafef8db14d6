"""Models → DataFrames for the tables and their CSV downloads (same rows in both)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from components.domain.formats import TIME_FORMAT, age, duration, when, words
from components.shell import memory
from envoy_api import Call, CarrierVerification, Escalation, Load, Stop

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _city(stop: Stop | None) -> str:
    if stop is None:
        return ""
    loc = stop.location
    return ", ".join(p for p in (loc.city, loc.state) if p)


def lane(load: Load) -> str:
    """Every stop in order ("Dallas, TX → Memphis, TN → Atlanta, GA"): what a search matches."""
    stops = sorted(load.stops or [], key=lambda s: s.sequence or 0)
    return " → ".join(c for c in (_city(s) for s in stops) if c)


def loads_frame(loads: Sequence[Load]) -> pd.DataFrame:
    rows = [
        {
            "Load": load.load_number,
            "Status": words(load.load_status),
            "Customer": load.customer_name or "",
            "Carrier": load.carrier_name or "",
            "Lane": lane(load),
            "First pickup": load.origin.appointment_start if load.origin else None,
            "Equipment": words(load.equipment_type),
            "Posted rate": load.posted_rate,
            "Updated": load.updated_at,
            "id": load.id,
        }
        for load in loads
    ]
    columns = [
        "Load",
        "Status",
        "Customer",
        "Carrier",
        "Lane",
        "First pickup",
        "Equipment",
        "Posted rate",
        "Updated",
        "id",
    ]
    return pd.DataFrame(rows, columns=columns)


def calls_frame(calls: Sequence[Call]) -> pd.DataFrame:
    rows = [
        {
            "Time": c.call_time or c.created_at,
            "Direction": words(c.call_direction),
            "Status": words(c.status),
            "Duration": duration(c.duration_seconds),
            "From": c.from_number or "",
            "To": c.to_number or "",
            "Type": words(c.call_type),
            "Recording": words(c.recording_status),
            "Call id": c.id,
        }
        for c in calls
    ]
    columns = [
        "Time",
        "Direction",
        "Status",
        "Duration",
        "From",
        "To",
        "Type",
        "Recording",
        "Call id",
    ]
    return pd.DataFrame(rows, columns=columns)


def verifications_frame(items: Sequence[CarrierVerification]) -> pd.DataFrame:
    rows = [
        {
            "When": v.created_at,
            "Carrier": v.carrier.name if v.carrier else "",
            "MC": v.carrier.mc_number if v.carrier else "",
            "DOT": v.carrier.dot_number if v.carrier else "",
            "Status": words(v.status),
            "Reasons": "; ".join(v.reasons),
            "Stage": words(v.error_stage),
            "Message": v.error_message or "",
            "Source": words(v.source),
            "Verification id": v.id,
        }
        for v in items
    ]
    columns = [
        "When",
        "Carrier",
        "MC",
        "DOT",
        "Status",
        "Reasons",
        "Stage",
        "Message",
        "Source",
        "Verification id",
    ]
    return pd.DataFrame(rows, columns=columns)


def escalations_frame(items: Sequence[Escalation]) -> pd.DataFrame:
    rows = [
        {
            "Created": e.created_at,
            "Age": age(e.created_at),
            "Message": e.message or "",
            "Type": words(e.escalation_type),
            "Agent": words(e.agent_type),
            "Status": words(e.status),
            "Linked call": e.call_id or "",
            "Escalation id": e.id,
        }
        for e in items
    ]
    columns = [
        "Created",
        "Age",
        "Message",
        "Type",
        "Agent",
        "Status",
        "Linked call",
        "Escalation id",
    ]
    return pd.DataFrame(rows, columns=columns)


def time_column(label: str | None = None, **kwargs: Any) -> ColumnConfig:
    """A timestamp column in the console's one format."""
    return st.column_config.DatetimeColumn(label, format=TIME_FORMAT, timezone="UTC", **kwargs)


def ms_column() -> ColumnConfig:
    """How long an HTTP attempt took, in whole milliseconds ("48 ms")."""
    return st.column_config.NumberColumn("Took", format="%.0f ms", width=70)


def datetime_columns(frame: pd.DataFrame) -> dict[str, ColumnConfig]:
    """Column config that shows every timestamp column (and an attempt's duration) the same
    readable way."""
    config = {
        name: time_column()
        for name in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[name])
    }
    if "Duration (ms)" in frame.columns:
        config["Duration (ms)"] = ms_column()
    return config


# Columns drawn as bars, lines, links or boxes: an empty one stays empty, not text.
KEEP_EMPTY = frozenset({"progress", "line_chart", "bar_chart", "area_chart", "link", "checkbox",
                        "list"})  # fmt: skip


def blank(frame: pd.DataFrame, config: dict[str, Any] | None = None
          ) -> tuple[pd.DataFrame, dict[str, Any]]:  # fmt: skip
    """The table with its empty cells blank (Streamlit draws a missing value as "None"), and
    its column settings to go with it. A column that has a missing value becomes text: numbers
    as written, times in the one format; a time column's setting is dropped with it."""
    frame = frame.copy()
    config = dict(config or {})
    for name in frame.columns:
        column = frame[name]
        kind = (config.get(name) or {}).get("type_config", {}).get("type")
        if kind in KEEP_EMPTY or not column.isna().any():
            continue
        if pd.api.types.is_datetime64_any_dtype(column):
            frame[name] = [when(v) if pd.notna(v) else "" for v in column]
            if kind == "datetime":
                config.pop(name)
        elif pd.api.types.is_numeric_dtype(column):
            frame[name] = [_number(v) for v in column]
            if kind == "number":
                config.pop(name)
        else:
            frame[name] = column.astype(object).where(column.notna(), "")
    return frame, config


def dataframe(frame: pd.DataFrame | pa.Table, column_config: dict[str, Any] | None = None,
              **kwargs: Any) -> Any:  # fmt: skip
    """``st.dataframe`` of ``frame`` with its empty cells blank (``blank``; an Arrow table from
    ``made_once`` is already); what it returns."""
    if isinstance(frame, pa.Table):
        return st.dataframe(frame, column_config=column_config, **kwargs)
    shown, config = blank(frame, column_config)
    return st.dataframe(shown, column_config=config, **kwargs)


Made = tuple[pd.DataFrame, dict[str, Any]]  # a table and its column settings


def made_once(key: Hashable, make: Callable[[], Made]) -> tuple[pa.Table, dict[str, Any]]:
    """The table ``make`` makes, blanked and converted to Arrow once per ``key`` in this process
    and then shared by every session: ``key`` names the fetch the rows came from (with its
    fetch time), or holds the cells themselves, so new rows make a new table. Building the frame
    and converting it took ~12 ms of a ~45 ms Loads rerun; the Arrow table is sent as it is."""
    table, config = _made.get(key, lambda: _arrow(*make()))
    return table, dict(config)  # Streamlit may adjust the settings it is given


def _arrow(frame: pd.DataFrame, config: dict[str, Any]) -> tuple[pa.Table, dict[str, Any]]:
    shown, config = blank(frame, config)
    return pa.Table.from_pandas(shown, preserve_index=False), config


class Kept(Generic[K, V]):
    """Values made once per key, shared by every session: at most ``size`` of them, each kept
    ``ttl`` seconds. Keyed by Python's own hash of the key: Streamlit's cache hashes a key cell by
    cell with a hasher of its own, which took longer than making a board's table did (a py-spy
    profile of board reruns: 14 % of a rerun). Two sessions may make the same value at once; the
    later one is kept."""

    def __init__(self, size: int, ttl: float) -> None:
        self.size, self.ttl = size, ttl
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        now = time.monotonic()
        with self._lock:
            kept = self._items.get(key)
            if kept is not None and kept[0] > now:
                self._items.move_to_end(key)
                return kept[1]
        value = make()  # not under the lock: another session's table need not wait for it
        with self._lock:
            self._items[key] = (now + self.ttl, value)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def expire(self) -> int:
        """Drop the values past their time (also once a minute: ``memory.sweep``); how many."""
        now = time.monotonic()
        with self._lock:
            old = [k for k, (until, _) in self._items.items() if until <= now]
            for key in old:
                del self._items[key]
        return len(old)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_made: Kept[Hashable, tuple[pa.Table, dict[str, Any]]] = Kept(size=256, ttl=600)
memory.sweep(_made)  # the tables of agents who have left go within a minute of their time


Columns = dict[str, list[Any]]  # a table's columns, name → cells, in order


def shared(
    key: str,
    columns: Columns,
    config: Callable[[], dict[str, Any]],
    frame: Callable[[Columns], pd.DataFrame] = pd.DataFrame,
    **options: Any,
) -> Any:
    """``st.dataframe`` of ``columns`` (name → cells: hashable values, or lists of them) with
    the settings ``config`` makes; ``options`` go to the dataframe. Made into Arrow (``frame``
    of the columns, then the settings) once for the same cells and shared by every session that
    draws them (``made_once``): the board's tables, the same few rows for every agent. Building
    their frames, only to compare them, and converting them was a fifth of a board rerun."""
    cells = tuple((name, *(tuple(v) if isinstance(v, list) else v for v in values))
                  for name, values in columns.items())  # fmt: skip
    made, settings = made_once((key, cells), lambda: (frame(columns), config()))
    return dataframe(made, settings, hide_index=True, key=key, **options)


def selected_id(key: str, ids: Sequence[str], rows: Sequence[int]) -> str | None:
    """The id of the row the agent selected in table ``key``, as the table was on their screen.

    ``rows`` (the selection the browser sent) are positions in the table the browser showed,
    which an earlier run drew; the ids that run kept say which row that was. This run's ``ids``
    (in the table's order) are kept for the next selection. A list read again in between may have
    moved: loads are newest update first, attempts and messages newest first, endpoints by
    impact, so the same position in this run's list could be another load or message."""
    found = _drawn_id(key, rows)
    st.session_state[f"{key}:ids"] = list(ids)
    return found


def _drawn_id(key: str, rows: Sequence[int]) -> str | None:
    """The id of row ``rows[0]`` of table ``key`` as the last run drew it (None: no such row)."""
    drawn = st.session_state.get(f"{key}:ids")
    if not rows or not drawn or not 0 <= rows[0] < len(drawn):
        return None
    return str(drawn[rows[0]])


def opener(key: str, open_id: Callable[[str], None]) -> Callable[[], None]:
    """An ``on_select`` callback for table ``key``: ``open_id`` gets the id of the row the agent
    selected (as ``selected_id`` reads it), before the next run draws anything, so that a click
    on a row is one run, of the view it opens (``nav.switch_next``): it was two, the list's
    again and then the view's."""

    def callback() -> None:
        state = st.session_state.get(key)
        found = _drawn_id(key, state["selection"]["rows"] if state and "selection" in state else [])
        if found:
            open_id(found)

    return callback


def _number(value: Any) -> str:
    if pd.isna(value):
        return ""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:,.2f}"
