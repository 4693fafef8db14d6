"""Endpoint health that speaks: one row per endpoint with its state in words, its success rate as
a bar, its last 24 hours as a sparkline, how long ago it last delivered, and how many loads its
undelivered messages are about; ranked by impact. The attention board, Deliveries and Webhook
endpoints pages show the same table (``draw``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from components.data import Impact
from components.domain.deliveries import STATES, Health, endpoint_state
from components.domain.formats import STATE_COLORS, age
from components.widgets import tables
from envoy_api import WebhookEndpoint

MOVING = frozenset({"In Transit", "At Pickup", "At Delivery"})  # load statuses on the road
# The state's colour: the table draws the state as a label of this colour (no emoji: their fonts
# are not everywhere).


@dataclass(frozen=True)
class EndpointHealth:
    endpoint: WebhookEndpoint
    health: Health | None  # None: its deliveries could not be read
    loads_affected: int
    urgent_loads: int  # of which in transit or with an active escalation

    @property
    def state(self) -> str:
        return endpoint_state(self.endpoint.status, self.health)  # the alerts judge it alike

    @property
    def needs_attention(self) -> bool:
        return self.state != STATES[5]

    def rank(self) -> tuple[int, int, int, int]:
        """Impact first: loads on the road or escalated, then loads, then how bad it looks."""
        undelivered = self.health.undelivered if self.health else 0
        return (-self.urgent_loads, -self.loads_affected, STATES.index(self.state), -undelivered)


def assess(impact: Impact) -> list[EndpointHealth]:
    """Each endpoint with the loads its undelivered messages are about, most impact first."""
    escalated = {x.id for x in impact.escalated.value or []}
    loads = impact.loads
    rows = []
    for ep in impact.endpoints:
        outcome = impact.healths.get(ep.id)
        h = outcome.value if outcome is not None and outcome.ok else None
        affected = h.affected_loads if h else frozenset()
        urgent = sum(
            1
            for load_id in affected
            if load_id in escalated or (load_id in loads and loads[load_id].load_status in MOVING)
        )
        rows.append(EndpointHealth(ep, h, len(affected), urgent))
    rows.sort(key=EndpointHealth.rank)
    return rows


def window(h: Health | None, now: datetime | None = None) -> str:
    """The window a row's figures cover, in words."""
    if h is None:
        return "unavailable"
    if h.window_complete or h.since is None:
        return "last 24 h"
    return f"last {age(h.since, now)}"


def columns(rows: Sequence[EndpointHealth], link: Callable[[str], str]) -> tables.Columns:
    """The table's cells, column by column, with the endpoint's ``id`` last (not drawn): plain
    lists, so that a rerun whose cells are the same makes no frame (``draw``)."""
    now = datetime.now(UTC)
    hs = [r.health for r in rows]
    return {
        "Endpoint": [r.endpoint.description or r.endpoint.url for r in rows],
        "State": [r.state for r in rows],
        "Success": [h.success_rate if h else None for h in hs],
        "Per hour": [[v for v in h.hourly if v is not None] if h else [] for h in hs],
        "Last success": [
            f"{age(h.last_success, now)} ago"
            if h and h.last_success
            else ("none in window" if h else "")
            for h in hs
        ],
        "Streak": [h.failing_streak if h else None for h in hs],
        "Undelivered": [h.undelivered if h else None for h in hs],
        "Oldest undelivered": [
            f"{age(h.oldest_undelivered, now)} ago" if h and h.oldest_undelivered else ""
            for h in hs
        ],
        "Loads affected": [r.loads_affected for r in rows],
        "Moving or escalated": [r.urgent_loads for r in rows],
        "Window": [window(h, now) for h in hs],
        "URL": [r.endpoint.url for r in rows],
        "Open": [link(r.endpoint.id) for r in rows],
        "id": [r.endpoint.id for r in rows],
    }


def frame(cells: tables.Columns) -> pd.DataFrame:
    """The table as a frame (its CSV download), columns in the drawn order, ``id`` last."""
    return pd.DataFrame(cells, columns=[*COLUMNS, *(c for c in cells if c not in COLUMNS)])


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The table as drawn: the state as a coloured label (a one-option list, which the
    ``State`` column draws as a badge in the browser; a pandas Styler did the same on the server
    at a cost on every rerun)."""
    return table.assign(State=pd.Series([[state] for state in table["State"]], index=table.index))


# What the agent acts on first (which endpoint, its state, what waits and for how long, the loads
# it touches) fits a 1024 px screen; the figures of detail after them may scroll sideways.
COLUMNS = ["Endpoint", "State", "Undelivered", "Loads affected", "Moving or escalated",
           "Oldest undelivered", "Last success", "Success", "Streak", "Per hour", "Window", "Open",
           "URL"]  # fmt: skip


def column_config() -> dict[str, Any]:
    return {
        "Endpoint": st.column_config.TextColumn(pinned=True, width=240),
        "State": st.column_config.MultiselectColumn(
            "State", width=90, options=STATES, color=[STATE_COLORS[s] for s in STATES],
        ),
        "Success": st.column_config.ProgressColumn(
            "Success", min_value=0.0, max_value=1.0, format="percent", width="small",
            help="Finished delivery attempts that succeeded, in the row's window.",
        ),
        "Per hour": st.column_config.LineChartColumn(
            "Per hour", y_min=0, y_max=100, width="small",
            help="Success % of each hour of the last 24 h that had attempts, oldest first.",
        ),
        "Streak": st.column_config.NumberColumn(
            "Streak", width="small",
            help="Failing streak: finished attempts in a row, newest first, that did not succeed.",
        ),
        "Undelivered": st.column_config.NumberColumn(
            "Waiting", width="small",
            help="Undelivered messages: their newest attempt failed, or they wait on a retry.",
        ),
        "Loads affected": st.column_config.NumberColumn(
            "Loads", width="small", help="Loads affected: the distinct loads the undelivered "
            "messages are about."
        ),
        "Moving or escalated": st.column_config.NumberColumn(
            "Urgent",
            width="small",
            help="Of the loads affected: in transit (at pickup, on the road, at delivery) or "
            "with an active escalation.",
        ),
        "Window": st.column_config.TextColumn(
            width="small", help="What the row's figures cover: the last 24 hours, or less when "
            "the endpoint had more attempts than the console reads at once (1,000)."
        ),
        "Last success": st.column_config.TextColumn(width=100),
        "Oldest undelivered": st.column_config.TextColumn(
            "Oldest", width="small", help="How long the oldest undelivered message has waited."
        ),
        "URL": st.column_config.TextColumn(width="medium"),
        "Open": st.column_config.LinkColumn("Deliveries", display_text="Open ↗", width="small"),
    }  # fmt: skip


def draw(
    cells: tables.Columns, key: str, extra: dict[str, Any] | None = None, **options: Any
) -> Any:
    """The table as every page shows it (its columns, then ``extra`` columns with their
    configs); ``options`` go to the dataframe (a row selection, say). Returns its event.

    Made into the Arrow table the browser gets once for the same cells (``tables.shared``),
    shared by every session: the board draws the same few rows for every agent of the team, and
    making them again was a sixth of each rerun of it (and building the frame to compare its
    cells another twelfth)."""
    return tables.shared(
        key,
        cells,
        lambda: {**column_config(), **(extra or {})},
        lambda c: shown(frame(c)),
        column_order=[*COLUMNS, *(extra or {})],
        **options,
    )
