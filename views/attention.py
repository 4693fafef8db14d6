"""Needs attention: the landing page. What needs a human now, most impact first: webhook
endpoints that are disabled, paused or failing (with the loads their undelivered messages are
about), active escalations oldest first, and recent failed carrier verifications. Each row is
one click from its detail."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import streamlit as st

from components import data
from components.domain.formats import age, when, words
from components.domain.markup import md
from components.shell import errors, frame, nav
from components.widgets import health_table, tables, ui
from components.widgets.health_table import EndpointHealth
from envoy_api import CarrierVerification, EnvoyError, Escalation, Load

VETTING_WINDOW = timedelta(days=7)

# Links to the Loads list from before this page existed (``/?tab=…&q=…``) still open the list.
if legacy := nav.current(nav.LIST_VIEW):
    nav.switch(nav.LOADS, **legacy)

ctx = frame.ctx()


def load_board() -> data.Board:
    """Endpoint health, escalations and verifications; without them there is no page."""
    # A board already made answers at once: no spinner then (each one starts a timer thread,
    # ~30 ms of a busy replica's interpreter lock; see docs/freshness.md).
    busy = "Reading endpoint health, escalations and verifications…"
    try:
        with nullcontext() if data.board_ready(ctx) else st.spinner(busy):
            return data.board(ctx)
    except EnvoyError as exc:
        errors.show(exc, "the attention board")
        st.stop()


def failed_recently(board: data.Board, now: datetime) -> list[tuple[Load, CarrierVerification]]:
    """Failed verifications within VETTING_WINDOW, newest first."""
    recent = [(x, v) for x, v in board.verifications.value or []
              if v.created_at and now - v.created_at <= VETTING_WINDOW]  # fmt: skip
    recent.sort(key=lambda p: p[1].created_at or now, reverse=True)
    return recent


def render_metrics(
    board: data.Board,
    rows: list[EndpointHealth],
    trouble: list[EndpointHealth],
    waiting: list[tuple[Load, Escalation]],
    recent: list[tuple[Load, CarrierVerification]],
) -> None:
    ui.figures(
        (
            "Endpoints needing attention",
            f"{len(trouble)} of {len(rows)}",
            "Disabled, paused, failing or with undelivered messages; last 24 h.",
        ),
        (
            "Loads with undelivered webhooks",
            sum(r.loads_affected for r in trouble),
            "Per endpoint, summed; last 24 h.",
        ),
        ("Active escalations", len(waiting), "Waiting on a human now."),
        ("Failed verifications, 7 days", len(recent), None),
    )
    if board.impact.capped:
        st.caption(
            f"Read up to {data.BOARD_LOADS} loads each for: {', '.join(board.impact.capped)}."
        )


def render_endpoints(
    board: data.Board, rows: list[EndpointHealth], trouble: list[EndpointHealth]
) -> None:
    """The endpoints in trouble, each linked to its failed and dead deliveries."""
    st.subheader("Webhook endpoints")
    for endpoint_id, outcome in board.impact.healths.items():
        if outcome.error is not None:
            errors.show(outcome.error, f"the health of endpoint {endpoint_id}")
    if not rows:
        st.info("No webhook endpoints in this organization.", icon=":material/webhook:")
    elif not trouble:
        st.success("Every endpoint delivered what it was sent in the last 24 h.",
                   icon=":material/check_circle:")  # fmt: skip
    else:
        to_deliveries = nav.linker(nav.DELIVERIES)
        cells = health_table.columns(
            trouble, lambda e: to_deliveries(endpoint_id=e, status="undelivered")
        )
        health_table.draw(cells, "board_endpoints")
        st.caption(f"{len(rows) - len(trouble)} healthy endpoint"
                   f"{'' if len(rows) - len(trouble) == 1 else 's'} not shown.")  # fmt: skip
    nav.link(nav.WEBHOOKS, "All webhook endpoints", ":material/webhook:")


def render_escalations(
    board: data.Board, waiting: list[tuple[Load, Escalation]], now: datetime
) -> None:
    st.subheader(f"Active escalations · {len(waiting)}")
    if board.escalations.error is not None:
        errors.show(board.escalations.error, "the active escalations")
        return
    if not waiting:
        st.caption("No escalation is waiting on a human.")
        return
    to_load = nav.linker(nav.LOAD)
    tables.shared(
        "board_escalations",
        {
            "Load": [x.load_number for x, _ in waiting],
            "Waiting": [age(e.created_at, now) for _, e in waiting],
            "Type": [words(e.escalation_type) for _, e in waiting],
            "Message": [e.message or "" for _, e in waiting],
            "Agent": [words(e.agent_type) for _, e in waiting],
            "Load status": [words(x.load_status) for x, _ in waiting],
            "Open": [to_load(load_id=x.id) for x, _ in waiting],
        },
        lambda: {
            "Load": st.column_config.TextColumn(pinned=True, width="small"),
            "Waiting": st.column_config.TextColumn(width="small", help="Since it was raised."),
            "Message": st.column_config.TextColumn(width="large"),
            "Open": st.column_config.LinkColumn("Load", display_text="Open ↗", width="small"),
        },
    )


def render_verifications(
    board: data.Board, recent: list[tuple[Load, CarrierVerification]], now: datetime
) -> None:
    st.subheader(f"Failed carrier verifications, last 7 days · {len(recent)}")
    if board.verifications.error is not None:
        errors.show(board.verifications.error, "the failed carrier verifications")
        return
    if not recent:
        st.caption("No carrier failed vetting in the last 7 days.")
        return
    to_load = nav.linker(nav.LOAD)
    tables.shared(
        "board_verifications",
        {
            "Load": [x.load_number for x, _ in recent],
            "When": [f"{age(v.created_at, now)} ago" for _, v in recent],
            "Carrier": [
                (v.carrier.name if v.carrier else None) or v.carrier_id or "" for _, v in recent
            ],
            "Result": [words(v.status) for _, v in recent],
            "Reasons": ["; ".join(v.reasons) for _, v in recent],
            "Open": [to_load(load_id=x.id) for x, _ in recent],
        },
        lambda: {
            "Load": st.column_config.TextColumn(pinned=True, width="small"),
            "Reasons": st.column_config.TextColumn(width="large"),
            "Open": st.column_config.LinkColumn("Load", display_text="Open ↗", width="small"),
        },
    )


# ---- the page ----

st.title("Needs attention")
st.caption("What needs a human now, most impact first.")
board = load_board()
now = datetime.now(UTC)  # one clock for every age on the page
rows = health_table.assess(board.impact)
trouble = [r for r in rows if r.needs_attention]
recent = failed_recently(board, now)
waiting = sorted(board.escalations.value or [], key=lambda p: p[1].created_at or now)
render_metrics(board, rows, trouble, waiting, recent)
render_endpoints(board, rows, trouble)
render_escalations(board, waiting, now)
render_verifications(board, recent, now)
st.caption(f"Read {md(when(now))} UTC.")
