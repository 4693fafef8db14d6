"""The load's story on screen: what each receiver last heard (with "replay what it missed"), the
timeline with its swimlane chart, an entry's detail, and the evidence pack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from components import store
from components.data import Ctx
from components.domain import evidence, rights, story
from components.domain.formats import NEUTRAL, TIME_SECONDS, TIME_TEXT, WORD_COLORS, when, words
from components.domain.markup import md
from components.domain.rights import User
from components.domain.story import KINDS, Entry, Heard, Message
from components.ops import actions
from components.shell import nav
from components.widgets import charts, jobs_panel, tables, ui
from envoy_api import Load

# ---- what each receiver last heard ----

# Each tone's box and icon: green with a tick only for a receiver that has the latest; blue
# while what it lacks is on its way; amber while Envoy retries; red once it gave up; grey text,
# no box, for a receiver that was sent nothing (not a success, and nothing wrong).
TONES = {
    story.GOOD: (st.success, ":material/check_circle:"),
    story.WAITING: (st.info, ":material/schedule:"),
    story.WARNING: (st.warning, ":material/warning:"),
    story.BAD: (st.error, ":material/error:"),
}


def render_receivers(ctx: Ctx, me: User, load: Load, heard: list[Heard]) -> None:
    st.subheader("What each receiver last heard")
    if not heard:
        st.caption("No webhook endpoint subscribes to this load's events.")
        return
    for h in heard:
        with st.container(border=True, key=f"heard_{h.endpoint.id}"):
            paused = (
                f" · endpoint {words(h.endpoint.status, capital=False)}"
                if h.endpoint.status != "ACTIVE"
                else ""
            )
            text = f"{md(h.sentence, 600)}{md(paused)}"
            if h.tone in TONES:
                show, icon = TONES[h.tone]
                show(text, icon=icon)
            else:
                st.markdown(f":gray[:material/do_not_disturb_on: {text}]")
            if h.missed:
                _replay_missed(ctx, me, load, h)


def _replay_missed(ctx: Ctx, me: User, load: Load, h: Heard) -> None:
    key = h.endpoint.id
    allowed = rights.can(me, "bulk replay")
    label = f"{'Replay what' if allowed else 'What'} {h.name} missed for this load"
    # A key of its own, not its place on the page: a reason being typed here survives a rerun
    # that draws more above it. Its inside is drawn only while it is open: for a load with a
    # thousand messages, the table of what a receiver missed was an eighth of every rerun of
    # the load's page, open or not.
    panel = st.expander(
        md(label), icon=":material/replay:", key=f"missed_panel_{key}", on_change="rerun"
    )
    with panel:
        if panel.open:
            _missed(ctx, me, load, h, allowed)


def _missed(ctx: Ctx, me: User, load: Load, h: Heard, allowed: bool) -> None:
    """What ``h``'s receiver missed, and (for those allowed) the form that replays it."""
    key = h.endpoint.id
    include = False
    if h.superseded:
        include = st.toggle(
            f"Include {len(h.superseded)} superseded status "
            f"{'change' if len(h.superseded) == 1 else 'changes'}",
            key=f"superseded_{key}",
            help="Status changes a later delivered status change made out of date; "
            "replaying them tells the receiver an older status again.",
        )
    chosen = h.to_replay(include_superseded=include)
    superseded, replayed = {m.id for m in h.superseded}, {m.id for m in chosen}
    table = pd.DataFrame(
        [
            {
                "Event time": m.at,
                "Event": m.title,
                "Status": m.state.label,
                "Attempts": m.state.attempts,
                "Superseded": m.id in superseded,
                "Will replay": m.id in replayed,
                "Message": m.id,
            }
            for m in h.missed
        ]
    )
    st.dataframe(table, hide_index=True, key=f"missed_{key}", column_config=TIME_COLUMNS)
    n = len(chosen)
    # A reader sees what was missed, not the form that replays it.
    if not ui.admins_only(
        allowed,
        "replay what a receiver missed",
        lead="You can replay one message at a time, from its row in the Webhooks tab below.",
    ):
        return
    with st.form(f"replay_missed_{key}", border=False, clear_on_submit=False):
        reason = st.text_input(
            "Reason (required)",
            key=f"missed_reason_{key}",
            placeholder="e.g. broker portal said LD123 is still Covered, ticket #1234",
        )
        go = st.form_submit_button(
            f"Replay {n} {'message' if n == 1 else 'messages'}, oldest first",
            type="primary",
            disabled=n == 0,
        )
    if go:
        if not reason.strip():
            st.error("Say why you replay these: the reason goes into the audit trail.")
            return
        _start(ctx, me, load, h, chosen, reason.strip())


def _start(ctx: Ctx, me: User, load: Load, h: Heard, chosen: list[Message], reason: str) -> None:
    actions.start_recovery(
        ctx,
        me,
        endpoint_id=h.endpoint.id,
        messages=[(m.id, m.endpoint_id, m.state.attempts) for m in chosen],
        reason=reason,
        job_filter={"load_id": load.id, "missed_by": h.endpoint.id},
        load_id=load.id,
    )
    st.toast(
        f"Replaying {len(chosen)} to {h.name}: the job runs on even if you close this tab.",
        icon=":material/replay:",
    )
    st.rerun()


def render_load_jobs(me: User, organization_id: str | None, load_id: str) -> None:
    """This load's replay jobs, live while one runs (shown once there is one)."""
    if any(j["filter"].get("load_id") == load_id for j in store.jobs(organization_id, 50)):
        st.markdown("**Replays of what receivers missed**")
        st.caption(
            "Each job queues the replays; Envoy then delivers them. Refresh data to see "
            "the sentences above change once they arrive."
        )
        jobs_panel.render_jobs(me, organization_id, load_id=load_id)


# ---- the timeline ----

TIME_COLUMNS = {name: tables.time_column() for name in ("Time", "Event time")}


def timeline_frame(entries: list[Entry], load_id: str) -> pd.DataFrame:
    to_message, to_entry = nav.linker(nav.DELIVERIES), nav.linker(nav.LOAD)
    return pd.DataFrame(
        {
            "Time": pd.to_datetime(pd.Series([e.at for e in entries], dtype=object), utc=True),
            "Kind": [e.kind for e in entries],
            "What": [e.what for e in entries],
            "Who": [e.who for e in entries],
            "Outcome": [e.outcome for e in entries],
            "Detail": [
                to_message(endpoint_id=e.endpoint_id, message_id=e.ref)
                if e.kind == "Webhook"
                else to_entry(load_id=load_id, entry=e.ref)
                for e in entries
            ],
            "Ref": [e.ref for e in entries],
        }
    )


TABLE_ROWS = 300  # rows the timeline's table draws; the chart and the CSV have every entry
LANE_BUCKETS = 240  # marks per kind at most: a chart of a busy load stays as quick as a quiet one's


def swimlanes(entries: list[Entry]) -> charts.Chart:
    """The same entries as swimlanes over time: one lane per kind, one mark per kind, outcome
    and time bucket (a load with thousands of messages draws at most a few hundred marks).
    Built once for the same entries: a rerun (a tab, the order) draws the chart it has."""
    fields = ((e.at, e.kind, e.what, e.outcome) for e in entries)
    return charts.cached("swimlanes", charts.digest(fields), lambda: _swimlanes(entries))


def _swimlanes(entries: list[Entry]) -> charts.Chart:
    """One mark per kind, colour and time bucket (``LANE_BUCKETS`` across the load's span, at
    least a second wide): its first time, its count and its first entry's text. Counted in
    plain Python: the same with pandas (a frame, a floor, a groupby) took ~20 ms of a busy
    replica's interpreter for every load opened, whatever its size."""
    timed = [(_naive_utc(e.at), e) for e in entries if e.at is not None]
    marks: dict[tuple[str, str, int], list[Any]] = {}
    if timed:
        first = min(at for at, _ in timed)
        width = max((max(at for at, _ in timed) - first) // LANE_BUCKETS, timedelta(seconds=1))
        for at, e in timed:
            colour = e.outcome if e.outcome in WORD_COLORS else "other"
            mark = marks.setdefault((e.kind, colour, (at - first) // width), [at, 0, e.what])
            mark[0], mark[1] = min(mark[0], at), mark[1] + 1
    rows = sorted(marks.items())
    return charts.Chart(LANES, pd.DataFrame({
        "Kind": [k for (k, _, _), _ in rows],
        "Colour": [c for (_, c, _), _ in rows],
        "Time": pd.to_datetime([m[0] for _, m in rows]),
        "Entries": [m[1] for _, m in rows],
        "What": [m[2] for _, m in rows],
    }))  # fmt: skip


def _naive_utc(at: datetime) -> datetime:
    """``at`` in UTC without its zone (a time without one is UTC): the chart shows UTC, said
    once on the page."""
    return (at.astimezone(UTC) if at.tzinfo else at).replace(tzinfo=None)


LANES: charts.Spec = {
    "mark": {"type": "tick", "thickness": 3, "size": 22},
    "encoding": {
        "x": charts.field("Time", "temporal", title=None, axis={"format": TIME_TEXT}),
        "y": charts.field("Kind", "nominal", sort=list(KINDS), title=None),
        "color": charts.status_colors("Colour", {**WORD_COLORS, "other": NEUTRAL}, title="Outcome"),
        "tooltip": [
            charts.field("Time", "temporal", format=TIME_SECONDS),
            charts.field("Kind", "nominal"),
            charts.field("What", "nominal", title="What (first)"),
            charts.field("Colour", "nominal", title="Outcome"),
            charts.field("Entries", "quantitative"),
        ],
    },
    "height": 40 * len(KINDS) + 40,
}


KINDS_SHOWN = nav.Bound(
    "timeline_kinds",
    "kinds",
    list(KINDS),
    lambda t: [k for k in t.split(",") if k in KINDS],
    ",".join,
)
ORDER = nav.Bound("timeline_order", "order", "newest", nav.one_of(["newest", "oldest"]))


def render_timeline(entries: list[Entry], load: Load) -> None:
    """Filters (in the URL), chart and table."""
    changed = nav.store_all(KINDS_SHOWN, ORDER)
    counts = {k: sum(e.kind == k for e in entries) for k in KINDS}
    # One row that wraps: at 1024 px the kinds and the order do not fit side by side (in two
    # columns, "Oldest first" and the last kind were cut off at the page's edge).
    row = st.container(horizontal=True, gap="medium")
    chosen = row.pills(
        "Show",
        KINDS,
        selection_mode="multi",
        default=KINDS_SHOWN.load(),  # the URL's, also for pills the browser draws afresh
        key=KINDS_SHOWN.key,
        format_func=lambda k: f"{k} · {counts[k]}",
        on_change=changed,
    )
    order = (
        row.segmented_control(
            "Order",
            ["newest", "oldest"],
            default=ORDER.load(),
            key=ORDER.key,
            format_func=lambda o: f"{words(o)} first",
            on_change=changed,
        )
        or "newest"
    )
    shown = [e for e in entries if e.kind in (chosen or [])]
    if not shown:
        st.caption("Nothing to show: pick a kind above.")
        return
    charts.draw(swimlanes(shown), key="timeline_chart")
    if order == "newest":
        shown = shown[::-1]
    rows = shown[:TABLE_ROWS]
    if len(shown) > TABLE_ROWS:
        st.caption(f"The table shows the {order} {TABLE_ROWS:,} of {len(shown):,} entries; "
                   "narrow it by kind, flip the order, or download them all.")  # fmt: skip
    # Made once for the same rows and shared (its links carry the organization): building the
    # frame, a link per row, took ~7 ms of every rerun of a busy load's page.
    cells = charts.digest((e.at, e.kind, e.what, e.who, e.outcome, e.ref, e.endpoint_id)
                          for e in rows)  # fmt: skip
    key = ("timeline", load.id, cells, nav.href(nav.LOAD))
    table, config = tables.made_once(key, lambda: (
        timeline_frame(rows, load.id).drop(columns=["Ref"]),
        {**TIME_COLUMNS, "What": st.column_config.TextColumn(width="large"),
         "Detail": st.column_config.LinkColumn(display_text="Open ↗")},
    ))  # fmt: skip
    st.dataframe(table, hide_index=True, key="timeline_table", column_config=config)
    ui.csv_download(lambda: timeline_frame(shown, load.id).drop(columns=["Detail"]),
                    f"Download the {len(shown):,} entries shown (CSV)",
                    f"timeline-{load.load_number}.csv", "timeline_csv")  # fmt: skip


def render_entry(entry: Entry | None, ref: str, record: Any) -> None:
    """The detail of one timeline entry (``?entry=`` in the URL)."""
    if entry is None:
        st.warning(f"No entry {md(ref, 80)} on this load's timeline.", icon=":material/search_off:")
        return
    with st.container(border=True, key="timeline_entry"):
        st.markdown(f"**{md(entry.kind)}** · {when(entry.at)} UTC · {md(entry.what, 300)}")
        st.caption(f"By {md(entry.who)}" + (f" · {md(entry.outcome)}" if entry.outcome else ""))
        if record is not None:
            st.json(record, expanded=True)


def render_evidence(pack: evidence.Pack) -> None:
    st.download_button(
        "Evidence pack (ZIP)",
        data=lambda: evidence.build_zip(pack),
        file_name=f"evidence-{pack.load.load_number}-{datetime.now(UTC):%Y%m%d-%H%M}.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        key="evidence_zip",
        on_click="ignore",
        help="The timeline, calls, verifications, escalations, every message payload and "
        "attempt, and the audit rows, for a dispute. No secrets.",
    )
