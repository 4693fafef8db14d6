"""One load's whole story: summary, what each broker system last heard, one timeline of
everything that happened to it, its calls, failed verifications, active escalations and webhook
messages, and an evidence pack.

Reached by link (``?load_id=…``; ``&entry=…`` opens one timeline entry). The requests run
concurrently; a section whose request fails shows its own error and the others still render.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from components import data
from components.domain import deliveries, evidence, story
from components.domain.formats import span, words
from components.domain.markup import md
from components.ops import audit, recent
from components.shell import errors, frame, nav
from components.widgets import charts, replay, story_panel, tables, ui
from envoy_api import Load, NotFoundError
from envoy_api.ids import check_id

T = TypeVar("T")
ctx = frame.ctx()
me = frame.user()
# Back to the list as the agent left it: a load opened from the list carries its view.
nav.link(nav.LOADS, "Back to loads", ":material/arrow_back:", **nav.current(nav.LIST_VIEW))


def read_load_id() -> str:
    """The URL's load id, checked; without a valid one there is no page."""
    raw_id = (st.query_params.get("load_id") or "").strip()
    if not raw_id:
        st.info("Open a load from the Loads list, or paste a link ending in ?load_id=load_…")
        st.stop()
    try:
        return check_id(raw_id, "load")
    except ValueError:
        st.error(
            f"“{md(raw_id, 80)}” is not a load id. Load ids look like "
            "load_3f8a1c2e-7b4d-4f9a-9d2e-1a2b3c4d5e6f.",
            icon=":material/error:",
        )
        st.stop()


def fetch_detail(load_id: str) -> data.LoadDetail:
    """The load and its sections; a load this organization does not have stops the page."""
    # No spinner for a load whose reads are warm: st.spinner starts a thread on every call.
    busy = "Loading the load, its calls, verifications, escalations and webhooks…"
    with nullcontext() if data.detail_warm(ctx, load_id) else st.spinner(busy):
        detail = data.load_detail(ctx, load_id, webhooks=True)
    if isinstance(detail.load.error, NotFoundError):
        st.warning(
            f"No load {load_id} in this organization (404). It may belong to another organization "
            "(switch it in the sidebar) or the link may be wrong.",
            icon=":material/search_off:",
        )
        st.stop()
    return detail


def _money(value: float | None) -> str:
    return f"${value:,.0f}" if value is not None else "—"


def render_header(load: Load) -> None:
    st.title(f"Load {md(load.load_number)}")
    st.markdown(
        f":blue-badge[{md(words(load.load_status) or 'Unknown status')}] "
        f"**{md(load.customer_name or 'No customer')}** · carrier "
        f"**{md(load.carrier_name or 'none yet')}**"
        f" · {md(tables.lane(load) or 'no stops')}"
    )
    offers = f"{load.offer_count}" if load.offer_count is not None else "—"
    ui.figures(
        ("Equipment", words(load.equipment_type) or "—", None),
        ("Mode", words(load.mode) or "—", None),
        ("Weight", f"{load.weight:,.0f} lb" if load.weight else "—", None),
        ("Posted rate", _money(load.posted_rate), None),
        ("Max buy", _money(load.max_buy_rate), None),
        ("Offers", offers, f"Highest offer: {_money(load.max_offer_amount)}"),
    )
    if load.stops:
        stops = pd.DataFrame(
            [
                {
                    "#": s.sequence or i,
                    "Type": words(s.type),
                    "City": s.location.city or "",
                    "State": s.location.state or "",
                    "Appointment": span(s.appointment_start, s.appointment_end, "—"),
                }
                for i, s in enumerate(load.stops, start=1)
            ]
        )
        st.dataframe(stops, hide_index=True, key="load_stops")
    with st.expander("Ids", icon=":material/fingerprint:"):
        st.code(
            f"load_id: {load.id}\nload_number: {load.load_number}\n"
            f"organization_id: {load.organization_id}\ntms_load_id: {load.tms_load_id}\n"
            f"carrier: {load.tms_carrier_id}",
            language="yaml",
        )


def section(
    title: str,
    outcome: data.Outcome[Any],
    frame_of: Callable[[Any], pd.DataFrame],
    key: str,
    empty: str,
    extra: Callable[[Any], object] | None = None,
) -> None:
    if not outcome.ok:
        st.subheader(title)
        st.caption("Could not be loaded: the message above the tabs says why.")
        return
    table = frame_of(outcome.value)
    st.subheader(f"{title} · {len(table)}")
    if table.empty:
        st.caption(empty)
        return
    if extra:
        extra(outcome.value)
    tables.dataframe(table, tables.datetime_columns(table), hide_index=True, key=f"{key}_table")
    ui.csv_download(table, f"Download {title.lower()} (CSV)", f"{key}-{load_id}.csv", f"{key}_csv")


def webhooks_section(msgs: list[story.Message], names: dict[str, str]) -> None:
    """Messages about this load across the organization's endpoints; pick a row to replay it."""
    every = [m.state for m in reversed(msgs)]  # newest first
    st.subheader(f"Webhooks · {len(every)}")
    if not every:
        st.caption("No webhook messages mention this load.")
        return
    states = every[: story_panel.TABLE_ROWS]
    if len(every) > len(states):
        st.caption(f"The newest {len(states):,} of {len(every):,}; the CSV has them all, and the "
                   "timeline links each one.")  # fmt: skip
    table = deliveries.messages_frame(states, names)
    to_message = nav.linker(nav.DELIVERIES)
    table["Open"] = [
        to_message(endpoint_id=e, message_id=m)
        for e, m in zip(table["Endpoint id"], table["Message id"], strict=True)
    ]
    st.caption("Select a row to replay that message.")
    picked = tables.dataframe(
        table,
        {
            "Open": st.column_config.LinkColumn("Message", display_text="Open ↗"),
            **tables.datetime_columns(table),
        },
        hide_index=True,
        key="webhooks_table",
        on_select="rerun",
        selection_mode="single-row",
        column_order=["Created", "Endpoint", "Event type", "Status", "Attempts", "Last code",
                      "Open"],
    )  # fmt: skip
    ui.csv_download(lambda: deliveries.messages_frame(every, names), "Download webhooks (CSV)",
                    f"webhooks-{load_id}.csv", "webhooks_csv")  # fmt: skip
    rows = picked.selection.rows if picked else []
    if rows and rows[0] < len(states):
        replay_control(states[rows[0]], names)


def replay_control(state: deliveries.MessageState, names: dict[str, str]) -> None:
    """Replay one of the load's messages, by the one replay rule."""
    where = names.get(state.endpoint_id or "", state.endpoint_id or "")
    st.markdown(f"**Replay {md(state.event_type or 'message')} to {md(where)}** · {state.label}")
    replay.render_replay(ctx, me, state, load_id=load_id)


def _value(outcome: data.Outcome[list[T]]) -> list[T]:
    return list(outcome.value or []) if outcome.ok else []


@dataclass(frozen=True)
class LoadStory:
    """What the page shows about the load, worked out once per run."""

    detail: data.LoadDetail
    hooks: data.LoadAttempts
    msgs: list[story.Message]
    names: dict[str, str]  # endpoint id: its name
    audit_rows: list[dict[str, Any]]
    entries: list[story.Entry]

    @property
    def load(self) -> Load | None:
        return self.detail.load.value if self.detail.load.ok else None


def gather_story(load_id: str, detail: data.LoadDetail) -> LoadStory:
    """The load's messages, the console's actions on it and the timeline of them all."""
    hooks = detail.webhooks or data.LoadAttempts([], [], [], True)
    msgs, message_entries = hooks.story(ctx, load_id)
    names = {ep.id: story.name_of(ep) for ep in hooks.endpoints}
    try:
        audit_rows = audit.for_load(ctx.organization_id, load_id, [m.id for m in msgs], ctx.stamp)
    except audit.AuditError as exc:
        audit_rows = []
        st.warning(f"The console's actions on this load could not be read: {md(str(exc))}",
                   icon=":material/warning:")  # fmt: skip
    entries = story.timeline(_value(detail.calls), _value(detail.verifications),
                             _value(detail.escalations), message_entries, audit_rows)  # fmt: skip
    return LoadStory(detail, hooks, msgs, names, audit_rows, entries)


def render_summary(load_story: LoadStory) -> None:
    """The header with the evidence pack under it, or why the load could not be read."""
    detail, load = load_story.detail, load_story.load
    if load is not None:
        render_header(load)
        story_panel.render_evidence(
            evidence.Pack(
                load,
                _value(detail.calls),
                _value(detail.verifications),
                _value(detail.escalations),
                load_story.msgs,
                load_story.audit_rows,
                load_story.entries,
                load_story.hooks.endpoints,
                datetime.now(UTC),
                me.email,
                frame.organization_name(),
            ),
        )
    else:
        st.title("Load")
        errors.show(detail.load.error, "the load")  # type: ignore[arg-type]


def render_fetch_notes(load_story: LoadStory) -> None:
    """How long the reads took, and which webhook deliveries could not be read in full."""
    hooks = load_story.hooks
    st.caption(f"Fetched in {load_story.detail.seconds:.2f} s.")
    if hooks.problems:  # one message for what failed alike: a fault usually hits every endpoint
        where, first = hooks.problems[0]
        others = len(hooks.problems) - 1
        what = f"the webhook deliveries of {where}" + (f" and {others} more" if others else "")
        errors.show(first, what)
    if not hooks.complete:
        st.warning("This load has more deliveries than the console reads at once "
                   f"({data.STORY_PAGES * 100:,} attempts per endpoint): the oldest are not "
                   "shown.", icon=":material/warning:")  # fmt: skip


def render_receivers(load_story: LoadStory) -> None:
    """What each receiver last heard about the load, and the load's recovery jobs."""
    load = load_story.load
    if load is not None:
        heard = story.last_heard(load, load_story.msgs, load_story.hooks.endpoints)
        story_panel.render_receivers(ctx, me, load, heard)
        story_panel.render_load_jobs(me, ctx.organization_id, load.id)


def render_linked_entry(load_story: LoadStory) -> None:
    """The timeline entry the URL names (``&entry=…``), if any."""
    entry_ref = st.query_params.get("entry")
    if entry_ref:
        detail = load_story.detail
        found = next((e for e in load_story.entries if e.ref == entry_ref), None)
        record = story.record_of(
            found,
            _value(detail.calls),
            _value(detail.verifications),
            _value(detail.escalations),
            load_story.msgs,
            load_story.audit_rows,
        )
        story_panel.render_entry(found, entry_ref, record)


def show_section_errors(detail: data.LoadDetail) -> None:
    # A section that failed says so above the tabs (a tab hides its content until opened), and
    # its tab is marked; the timeline then lacks what that section would have added.
    sections: dict[str, data.Outcome[Any]] = {
        "calls": detail.calls,
        "failed verifications": detail.verifications,
        "active escalations": detail.escalations,
    }
    for what, outcome in sections.items():
        if not outcome.ok and outcome.error is not None:
            errors.show(outcome.error, what)


def _tab(label: str, outcome: data.Outcome[list[Any]]) -> str:
    return f"{label} · {len(outcome.value or [])}" if outcome.ok else f"{label} · ⚠ not loaded"


# The tab shown, in the URL (``section=``; a link without one opens the timeline). Only that
# tab's content is drawn: drawing all five on every run was most of the page's cost (a run took
# 97 ms with all five, 43 ms with the timeline alone; less for the browser to draw, too).
SECTIONS = ("timeline", "calls", "verifications", "escalations", "webhooks")
SECTION = nav.Bound("load_section", "section", SECTIONS[0], nav.one_of(list(SECTIONS)))
TABS = "load_tabs"  # the tabs' widget key: its value is the open tab's label


def render_tabs(load_story: LoadStory) -> None:
    """The timeline and one tab per section, each with its count (or a mark when it failed)."""
    detail, load = load_story.detail, load_story.load
    labels = [
        f"Timeline · {len(load_story.entries)}",
        _tab("Calls", detail.calls),
        _tab("Failed verifications", detail.verifications),
        _tab("Active escalations", detail.escalations),
        f"Webhooks · {len(load_story.msgs)}",
    ]

    def switched() -> None:  # the agent opened another tab: the URL says which
        label = st.session_state.get(TABS)
        if label in labels:
            nav.write(SECTION, SECTIONS[labels.index(label)])

    # The URL's tab, also when its label's count changed or the agent went Back.
    st.session_state[TABS] = labels[SECTIONS.index(SECTION.url_value())]
    timeline_tab, calls_tab, ver_tab, esc_tab, hooks_tab = st.tabs(
        labels, key=TABS, on_change=switched
    )
    if timeline_tab.open and load is not None:
        with timeline_tab:
            story_panel.render_timeline(load_story.entries, load)
    if calls_tab.open:
        with calls_tab:
            section(
                "Calls",
                detail.calls,
                tables.calls_frame,
                "calls",
                "No calls on this load yet.",
                extra=lambda f: charts.draw(charts.call_activity(f)),
            )
    if ver_tab.open:
        with ver_tab:
            section(
                "Failed carrier verifications",
                detail.verifications,
                tables.verifications_frame,
                "verifications",
                "No failed carrier verifications.",
            )
    if esc_tab.open:
        with esc_tab:
            section(
                "Active escalations",
                detail.escalations,
                tables.escalations_frame,
                "escalations",
                "No active escalations.",
            )
    if hooks_tab.open:
        with hooks_tab:
            webhooks_section(load_story.msgs, load_story.names)


def note_opened(load_id: str, detail: data.LoadDetail) -> None:
    """Put the load into the agent's recent loads, once per session and organization (not on
    every redraw of the page)."""
    load = detail.load.value
    noted: set[tuple[str | None, str]] = st.session_state.setdefault("_noted_loads", set())
    if load is None or (ctx.organization_id, load_id) in noted:
        return
    noted.add((ctx.organization_id, load_id))
    recent.note_load(me, ctx.organization_id, load_id, load.load_number)


# ---- the page ----

load_id = read_load_id()  # section, webhooks_section and replay_control name it too
detail = fetch_detail(load_id)
note_opened(load_id, detail)
load_story = gather_story(load_id, detail)
render_summary(load_story)
render_fetch_notes(load_story)
render_receivers(load_story)
render_linked_entry(load_story)
show_section_errors(detail)
render_tabs(load_story)
