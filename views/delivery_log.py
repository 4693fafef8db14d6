"""Deliveries: with no endpoint chosen, every endpoint's health, those needing attention first;
one endpoint's attempts, or its messages by outcome (filters in the URL), outcome charts, CSV,
bulk recovery; and the message view (``?message_id=…``) with its payload and a replay that
watches itself."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import streamlit as st
from streamlit.elements.lib.mutable_expander_container import ExpanderContainer

from components import data
from components.domain import deliveries, rules
from components.domain.formats import attempt_words, words
from components.domain.markup import md
from components.shell import errors, frame, nav
from components.widgets import (
    attempts_export,
    bulk_recovery,
    charts,
    health_table,
    paging,
    replay,
    tables,
    ui,
)
from envoy_api import DeliveryAttempt, EnvoyError, NotFoundError
from envoy_api.ids import check_id

ctx = frame.ctx()
me = frame.user()
params = st.query_params
WINDOWS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "all": None,
}
WINDOW_LABELS = {"1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days", "all": "All time"}
WINDOW_WORDS = {  # what the message filters look at, for each window
    "1h": "Messages with an attempt in the last hour",
    "24h": "Messages with an attempt in the last 24 hours",
    "7d": "Messages with an attempt in the last 7 days",
    "all": "All messages",
}
NONE_SHOWN = {  # a message filter that shows nothing, said the right way round
    "undelivered": "Every message was delivered",
    "retried": "No message was delivered after retries",
    "delivered": "No message was delivered",
}
LIST_PARAMS = ("endpoint_id", "status", "type", "window", "load", "page")


def list_params() -> dict[str, str]:
    """The endpoint list's view as the URL names it (a message's URL carries it too, so leaving
    the message lands on the list as it was)."""
    return nav.current(LIST_PARAMS)


try:
    endpoints = data.endpoints(ctx, must_include=st.query_params.get("endpoint_id"))
except EnvoyError as exc:
    errors.show(exc, "the webhook endpoints")
    st.stop()
by_id = {ep.id: ep for ep in endpoints}


def _endpoint_name(endpoint_id: str | None) -> str:
    """Its description with its URL beside it (the URL alone without one)."""
    ep = by_id.get(endpoint_id or "")
    return deliveries.endpoint_label(ep) if ep else (endpoint_id or "unknown endpoint")


# ==== no endpoint chosen: the picker, and every endpoint's health ====


def endpoint_picker() -> None:
    """Every endpoint by its description and URL; choosing one writes it into the URL."""
    pick = nav.Bound[str | None]("dl_endpoint", "endpoint_id", None, nav.one_of(list(by_id)))
    st.selectbox(
        "Endpoint",
        list(by_id),
        format_func=_endpoint_name,
        index=None if pick.load() is None else pick.index(list(by_id)),
        placeholder="Choose an endpoint",
        key=pick.key,
        on_change=nav.store_all(pick, reset=(PAGE,)),
    )


def endpoints_needing_attention() -> None:
    """Every endpoint's health by the board's rule (Needs attention), those needing attention
    first; a row opens the endpoint's undelivered messages, or all its deliveries."""
    busy = "Reading each endpoint's health…"
    try:  # the attention board's: made once per data version for every agent, and kept warm
        with nullcontext() if data.board_ready(ctx) else st.spinner(busy):
            impact = data.board(ctx).impact
    except EnvoyError as exc:
        errors.show(exc, "the endpoints' health")
        return
    rows = health_table.assess(impact)
    trouble = [r for r in rows if r.needs_attention]
    if trouble:
        st.caption(
            f"{len(trouble)} of {ui.count(len(rows), 'endpoint')} need attention (disabled, "
            "paused, failing, or with undelivered messages in the last 24 h, as on Needs "
            "attention): they come first, most impact first. Select a row to open its "
            "deliveries: an endpoint with undelivered messages opens on them."
        )
    else:
        st.success("Every endpoint delivered what it was sent in the last 24 h. Select a row to "
                   "open its deliveries.", icon=":material/check_circle:")  # fmt: skip
    unread = [r for r in rows if r.health is None]
    if unread:
        st.caption(f"The health of {ui.count(len(unread), 'endpoint')} could not be read: "
                   "shown as Unknown.")  # fmt: skip
    opens = {r.endpoint.id: _opening(r) for r in rows}
    to_deliveries = nav.linker(nav.DELIVERIES)
    cells = health_table.columns(rows, lambda e: to_deliveries(**opens[e]))
    event = health_table.draw(cells, "dl_endpoints", selection_mode="single-row",
                              on_select=tables.opener("dl_endpoints", lambda e: nav.switch_next(
                                  nav.DELIVERIES, **opens[e])))  # fmt: skip
    endpoint_id = tables.selected_id("dl_endpoints", cells["id"], event.selection.rows)
    if endpoint_id:
        nav.switch(nav.DELIVERIES, **opens[endpoint_id])


def _opening(row: health_table.EndpointHealth) -> dict[str, str]:
    """Where a row of the health table leads: the endpoint's undelivered messages when it has
    some, else all its deliveries."""
    undelivered = row.health is not None and row.health.undelivered > 0
    return {"endpoint_id": row.endpoint.id, **({"status": "undelivered"} if undelivered else {})}


# ==== the message view ====


def message_view(message_id: str) -> None:
    try:
        message_id = check_id(message_id, "msg")
    except ValueError:
        st.error(
            f"“{md(message_id, 80)}” is not a message id (msg_<uuid>).", icon=":material/error:"
        )
        return
    try:
        attempts = data.message_attempts(ctx, message_id)
    except NotFoundError:
        st.warning(
            f"No message {md(message_id)} in this organization.", icon=":material/search_off:"
        )
        return
    except EnvoyError as exc:
        errors.show(exc, "the message")
        return
    if not attempts:
        st.warning("This message has no attempts yet.")
        return
    first, latest = attempts[0], attempts[-1]
    payload = latest.payload or first.payload
    endpoint_id = latest.endpoint_id or ""
    st.title("Message")
    st.markdown(
        f"`{message_id}` · **{md(payload.type if payload else 'unknown event')}** → "
        f"{md(_endpoint_name(endpoint_id))}"
    )
    links = st.columns(3)
    back = {**list_params(), "endpoint_id": endpoint_id}
    # A button, not a page link: a link to the page it is on leaves the browser's URL as it
    # was (with message_id), while switch_page writes the list's URL.
    if links[0].button("All deliveries of this endpoint", icon=":material/arrow_back:",
                       key="to_list", type="tertiary"):  # fmt: skip
        nav.switch(nav.DELIVERIES, **back)
    if payload and payload.load_id:
        label = f"Load {md(payload.load_number or payload.load_id)}"
        nav.link(nav.LOAD, label, ":material/local_shipping:", links[1], load_id=payload.load_id)
    replay_panel(message_id, attempts)
    live_attempts(message_id)
    st.subheader("Payload")
    st.caption("Exactly what was sent (the body of every attempt; same webhook-id each time).")
    st.json(payload.model_dump(mode="json", exclude_none=False) if payload else {})


def replay_panel(message_id: str, attempts: list[DeliveryAttempt]) -> None:
    st.subheader("Replay")
    replay.render_replay(ctx, me, deliveries.message_states(attempts)[0])


def live_attempts(message_id: str) -> None:
    key = replay.in_flight_key(message_id)
    watching = key in st.session_state

    @st.fragment(run_every=1.0 if watching else None)
    def attempts_panel() -> None:
        attempts = data.message_attempts(ctx, message_id, fresh=watching)
        st.subheader(f"Attempts · {len(attempts)}")
        if watching:
            st.caption("Watching the replay: this list refreshes every second until it ends.")
        table = deliveries.attempts_frame(attempts)
        kept = table.drop(columns=["Event type", "Load", "Message id"])
        tables.dataframe(kept, tables.datetime_columns(kept), hide_index=True,
                         key="message_attempts")  # fmt: skip
        for a in attempts:
            if a.response_body_excerpt or a.error_message:
                code = a.response_status_code
                said = attempt_words(a.status) + (f" · {code}" if code else "")
                with st.expander(f"Attempt {a.attempt}: {said}"):
                    if a.error_message:
                        st.text(f"Error: {a.error_message}")
                    if a.response_body_excerpt:
                        st.code(a.response_body_excerpt, language=None)

    attempts_panel()


# ==== the endpoint view ====


def _window_since(window: str) -> datetime | None:
    span = WINDOWS.get(window)
    return datetime.now(UTC).replace(second=0, microsecond=0) - span if span else None


def resolve_load(text: str) -> tuple[str | None, str | None]:
    """A load id from a load number or id; (None, message) when it cannot be found."""
    text = text.strip()
    if not text:
        return None, None
    try:
        return check_id(text, "load"), None
    except ValueError:
        pass
    try:
        page = data.loads_page(ctx, tab=None, search=text, page=1, page_size=20)
    except EnvoyError as exc:
        return None, errors.describe(exc, "the load")
    exact = [x for x in page.items if x.load_number.lower() == text.lower()]
    if not exact:
        return None, f"No load numbered “{md(text)}” in this organization."
    return exact[0].id, None


PAGE = nav.Bound("dl_page", "page", 1, nav.positive_int)
# A message outcome ("undelivered", "retried", "delivered") or attempt statuses ("FAILED,DEAD");
# every attempt by default. Links from before the outcomes (``status=FAILED,DEAD``) still open.
STATUS = nav.Bound("dl_status", "status", deliveries.ALL_ATTEMPTS, deliveries.parse_status_filter)
WINDOW = nav.Bound("dl_window", "window", "24h", nav.one_of(list(WINDOWS)))
STATUS_HELP = (
    "Messages: one row per message, judged by its latest attempt: not delivered (dead, failed "
    "and waiting to retry, queued or sending), delivered, or delivered after a failed attempt "
    "(a retry or a replay). Attempts: one row per try, by the try's own status."
)


def filters(endpoint_id: str) -> data.AttemptFilter | None:
    """The filter widgets, bound to the URL; None (and a message) when the load is unknown."""
    names = ["Any", *[t.name for t in data.event_types(ctx)]]
    kind = nav.Bound("dl_type", "type", "Any", nav.one_of(names))
    load = nav.Bound("dl_load", "load", "", lambda t: t.strip()[:200])
    changed = nav.store_all(STATUS, kind, WINDOW, load, reset=(PAGE,))
    PAGE.load()  # the others load as they are drawn (their defaults: ``nav.Bound.load``)
    cols = st.columns([3, 2, 2, 2])
    statuses = deliveries.status_filter_options(STATUS.load())
    status = cols[0].selectbox(
        "Status",
        statuses,
        index=STATUS.index(statuses),
        key=STATUS.key,
        format_func=deliveries.status_filter_label,
        on_change=changed,
        help=STATUS_HELP,
    )
    event_type = cols[1].selectbox("Event type", names, index=kind.index(names), key=kind.key,
                                   on_change=changed)  # fmt: skip
    window = cols[2].selectbox(
        "Window",
        list(WINDOWS),
        index=WINDOW.index(list(WINDOWS)),
        key=WINDOW.key,
        format_func=WINDOW_LABELS.__getitem__,
        on_change=changed,
    )
    load_text = cols[3].text_input("Load number or id", value=load.load(), key=load.key,
                                   on_change=changed)  # fmt: skip
    load_id, problem = resolve_load(load_text)
    if problem:
        st.warning(problem, icon=":material/search_off:")
        return None
    return data.AttemptFilter(
        endpoint_id=endpoint_id,
        statuses=deliveries.attempt_statuses(status),
        event_type=None if event_type == "Any" else event_type,
        load_id=load_id,
        since=_window_since(window),
        outcome=status if status in deliveries.OUTCOMES else None,
    )


def endpoint_view(endpoint_id: str) -> None:
    ep = by_id[endpoint_id]
    st.title("Deliveries")
    st.markdown(f"**{md(deliveries.endpoint_label(ep))}** · "
                f":blue-badge[{md(words(ep.status))}]")  # fmt: skip
    links = st.columns(2)
    # A button, not a page link: a link to the page it is on would keep this endpoint's URL.
    if links[0].button("All endpoints", icon=":material/arrow_back:", key="to_endpoints",
                       type="tertiary"):  # fmt: skip
        nav.switch(nav.DELIVERIES)
    nav.link(nav.WEBHOOKS, "Manage this endpoint", ":material/settings:", links[1],
             endpoint_id=ep.id)  # fmt: skip
    flt = filters(ep.id)
    if flt is None:
        return
    if flt.outcome:
        messages_view(flt)
        return
    total = attempts_table(flt)
    if not total:
        return
    with outcomes_chart() as chart:
        if chart.open:
            sample, complete = data.attempt_sample(ctx, flt)
            charts.draw(charts.delivery_outcomes(sample))
            if not complete:
                st.caption(f"Drawn from the newest {len(sample):,} of {total:,} attempts.")
    attempts_export.render(ctx, flt, total)
    bulk_recovery.render(ctx, me, flt)


def outcomes_chart() -> ExpanderContainer:
    """The expander of the outcomes chart, closed until the agent opens it (and then kept open,
    across the Status filter's views too): the chart is drawn only while it is open. Drawn on
    every filter change and page, the chart was the browser's largest cost of those clicks (a
    filter's ~250 ms of drawing after the run, while agents worked; measured by a helper)."""
    return st.expander("Outcomes and latency", icon=":material/bar_chart:", key="dl_outcomes",
                       on_change="rerun")  # fmt: skip


def attempts_table(flt: data.AttemptFilter) -> int:
    """One page of the filter's attempts, a row opening its message; returns the total."""
    page_no = st.session_state[PAGE.key]
    try:
        result = data.attempts_page(ctx, flt, page_no, 50)
        pages = max(result.pagination.total_pages, 1)
        if page_no > pages:  # fewer attempts than when the link was made: the last page
            page_no = st.session_state[PAGE.key] = pages
            nav.write(PAGE, pages)
            result = data.attempts_page(ctx, flt, page_no, 50)
    except EnvoyError as exc:
        errors.show(exc, "the delivery attempts")
        return 0
    total = result.pagination.total_count
    if not total:
        st.info("No delivery attempts match these filters.", icon=":material/filter_alt_off:")
        return 0
    if any(a.status in rules.IN_FLIGHT for a in result.items):
        frame.in_flight()  # the list follows them until they end
    params, href = list_params(), nav.linker(nav.DELIVERIES)

    def make() -> tables.Made:
        frame_ = deliveries.attempts_frame(result.items)
        frame_["Open"] = [href(**params, message_id=m) for m in frame_["Message id"]]
        return frame_, {
            "Open": st.column_config.LinkColumn("Message", display_text="Open ↗", width="small"),
            "Created": tables.time_column(pinned=True),
            "Event type": st.column_config.TextColumn(width="medium"),
            "Error or response": st.column_config.TextColumn(width="medium"),
            "Duration (ms)": tables.ms_column(),
            "Next attempt": tables.time_column(),
        }

    # The same fetch makes the same table for every agent (its links carry the filters).
    key = ("attempts_table", ctx.fingerprint, repr(flt), page_no, result.fetched, href(**params))
    table, config = tables.made_once(key, make)
    # A line of its own above the table: the table's toolbar (search, download, full screen)
    # shows over the row above it, which is this caption and not the filters.
    st.caption(f"{ui.count(total, 'attempt')} · newest first · select a row to open its message")
    event = tables.dataframe(
        table,
        config,
        hide_index=True,
        key="attempts_table",
        on_select=tables.opener(
            "attempts_table", lambda m: nav.switch_next(nav.DELIVERIES, **params, message_id=m)
        ),
        selection_mode="single-row",
        column_order=[c for c in table.column_names if c not in ("Message id", "Attempt id")],
    )
    message_id = tables.selected_id("attempts_table", table.column("Message id").to_pylist(),
                                    event.selection.rows)  # fmt: skip
    if message_id:
        nav.switch(nav.DELIVERIES, **list_params(), message_id=message_id)
    info, pager = st.columns([2, 3])
    info.caption(f"Page {page_no} of {pages} · {total:,} attempts")
    with pager:
        paging.pager(pages, PAGE, table="attempts_table")
    return total


def messages_view(flt: data.AttemptFilter) -> None:
    """The window's messages that are what the Status filter asks (not delivered, delivered
    after retries, delivered), each judged by its attempts: the API filters attempts only."""
    outcome = flt.outcome or ""
    try:
        found = data.messages(ctx, flt)
    except EnvoyError as exc:
        errors.show(exc, "the messages")
        return
    shown = deliveries.latest_first(s for s in found.states if deliveries.has_outcome(s, outcome))
    st.caption(_looked_at(found))
    if not shown:
        said = NONE_SHOWN[outcome] if found.states else "No message"
        looked = WINDOW_WORDS[st.session_state[WINDOW.key]].lower()
        st.info(f"{said} (looked at: {looked}, with these filters).",
                icon=":material/filter_alt_off:")  # fmt: skip
        return
    if any(s.status in rules.IN_FLIGHT for s in shown):
        frame.in_flight()  # the list follows them until they end
    table = deliveries.outcomes_frame(shown)
    table["Open"] = [nav.href(nav.DELIVERIES, **list_params(), message_id=m)
                     for m in table["Message id"]]  # fmt: skip
    st.caption(f"{ui.count(len(shown), 'message')} · latest attempt newest first · select a row "
               "to open its message")  # fmt: skip
    event = tables.dataframe(
        table,
        {
            "Open": st.column_config.LinkColumn("Message", display_text="Open ↗", width="small"),
            "Latest attempt": tables.time_column(pinned=True),
            "Created": tables.time_column(),
            "Event type": st.column_config.TextColumn(width="medium"),
            "Error or response": st.column_config.TextColumn(width="medium"),
        },
        hide_index=True,
        key="messages_table",
        on_select=tables.opener(
            "messages_table",
            lambda m: nav.switch_next(nav.DELIVERIES, **list_params(), message_id=m),
        ),
        selection_mode="single-row",
        column_order=[c for c in table.columns if c != "Message id"],
    )
    message_id = tables.selected_id("messages_table", list(table["Message id"]),
                                    event.selection.rows)  # fmt: skip
    if message_id:
        nav.switch(nav.DELIVERIES, **list_params(), message_id=message_id)
    with outcomes_chart() as chart:
        if chart.open:
            ids = {s.message_id for s in shown}
            tried = [a for a in found.attempts if a.message_id in ids]
            charts.draw(charts.delivery_outcomes(tried))
            st.caption(f"Every attempt of these messages ({ui.count(len(tried), 'attempt')}).")
    attempts_export.messages(flt, shown, found)
    bulk_recovery.render(ctx, me, flt)


def _looked_at(found: data.Messages) -> str:
    """Over which attempts the message filter looked, in words."""
    said = f"{WINDOW_WORDS[st.session_state[WINDOW.key]]}, each judged by its latest attempt: "
    if found.complete:
        said += f"all {ui.count(found.read, 'attempt')} of the window were read."
    else:
        said += (f"the newest {found.read:,} of the window's {found.total:,} attempts were read, "
                 "so older messages are left out. Narrow the window, event type or load to see "
                 "them.")  # fmt: skip
    if found.unsure:
        said += (f" {ui.count(found.unsure, 'message')} with older attempts not looked up "
                 "are judged by the window's attempts alone.")  # fmt: skip
    return said


message_param = params.get("message_id")
endpoint_param = params.get("endpoint_id")
if message_param:
    message_view(message_param)
elif endpoint_param and endpoint_param in by_id:
    endpoint_view(endpoint_param)
else:
    st.title("Deliveries")
    if endpoint_param:
        st.warning(
            f"No endpoint {md(endpoint_param[:80])} in this organization (it may have been "
            "deleted, or belong to another organization).",
            icon=":material/search_off:",
        )
    if not endpoints:
        st.info("This organization has no webhook endpoints, so nothing has been delivered "
                "yet.", icon=":material/webhook:")  # fmt: skip
        nav.link(nav.WEBHOOKS, "Register one on Webhook endpoints", ":material/add:")
    else:
        endpoint_picker()
        endpoints_needing_attention()
