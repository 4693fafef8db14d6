"""The frame around every page, drawn once by ``app.py``: the sidebar (connection, organization,
user, Refresh data, when data was fetched) and the context a page reads its data through.

The organization selector lives here, before the page runs, so Streamlit gives it one identity
on every page (a widget's identity includes the page it is drawn on). Its value is the URL's
``org`` parameter: a reload, a pasted link and every in-app link keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from components import data, store
from components.data import connection
from components.domain import rights
from components.domain.formats import interval
from components.domain.markup import md
from components.ops import alerts, audit, jobs, warm
from components.shell import access, errors, find_box, nav

_STATE = "_frame"
_SLOT = "_fetched_slot"
_IN_FLIGHT = "_in_flight"  # this run drew work in flight: the screen follows it
_TICK = "_in_flight_tick"
_HOLD = "_hold"  # this screen shows something once: no scheduled refresh
_REFRESHED = "_scheduled_refresh"
ORG_KEY = "organization"


# Streamlit's wide layout keeps 5 rem either side of the page and 6 rem above it: at 1024 px
# beside the sidebar that left 564 px, and figures were cut short. The sidebar stays as it is.
_LAYOUT = (
    "<style>[data-testid=stMainBlockContainer]"
    "{padding-left:2rem;padding-right:2rem;padding-top:4.5rem}</style>"
)


@dataclass(frozen=True)
class Frame:
    """What the frame resolved for this run: the page reads it through ``ctx()``/``user()``."""

    ctx: data.Ctx
    user: rights.User
    connection: connection.Connection


def start() -> Frame:
    """Resolve user and connection, draw the sidebar; stops the run when the page cannot run."""
    st.session_state.pop(_STATE, None)
    st.session_state[data.FETCHED] = []
    st.session_state[_HOLD] = False
    st.html(_LAYOUT)
    user = access.current_user()  # asks to sign in first when [auth] is configured
    try:
        conn = connection.resolve_connection()
    except Exception as exc:  # misconfiguration, or a sandbox that cannot start: say the fix
        st.title("Envoy Support Console")
        errors.show(exc, "the connection")
        st.stop()
    with st.sidebar:
        box = st.container()  # the find box, on top of every page's sidebar
        menu = st.container()  # drawn first, filled once the organization is known
        st.divider()
        org_id, refused = _organization(conn)
        if refused is None:
            with box:
                find_box.draw(user, org_id)
        icon = ":material/science:" if conn.kind == "sandbox" else ":material/cloud:"
        label = conn.label if conn.kind == "sandbox" else md(conn.label)
        st.caption(f"{icon} Connected to **{label}**")
        _whoami(user)
        for line in alerts.trouble():  # a channel that fails is said on every page
            st.caption(f":material/notifications_off: {md(line)}")
        with menu:
            nav.menu()
        if st.button(
            "Refresh data", icon=":material/refresh:", width="stretch", key="refresh_data"
        ):
            st.session_state["_refresh_nonce"] = st.session_state.get("_refresh_nonce", 0) + 1
        st.session_state[_SLOT] = st.empty()
    if refused is not None:
        _refuse_organization(refused, conn)
    for text in st.session_state.pop(audit.UNRECORDED, []):
        st.error(md(text), icon=":material/report:")
    jobs.ensure_worker()  # this process's share of the team's recovery jobs
    alerts.ensure_evaluator()  # the alert rules, evaluated by one replica at a time
    nonce = st.session_state.get("_refresh_nonce", 0)
    tick = st.session_state.get(_TICK, 0)
    frame = Frame(data.register(conn, org_id, nonce, _stamp(org_id), tick), user, conn)
    st.session_state[_IN_FLIGHT] = False
    warm.note(frame.ctx)  # this replica keeps the organization's attention board warm
    st.session_state[_STATE] = frame
    return frame


def current() -> Frame:
    """This run's frame. A page run without ``app.py`` (possible only for a cold deep link to a
    script's own stem, before any session ran ``app.py``) is sent through the frame."""
    frame = st.session_state.get(_STATE)
    if not isinstance(frame, Frame):
        st.switch_page("app.py")  # raises: the run restarts through the frame
    return frame


def ctx() -> data.Ctx:
    return current().ctx


def user() -> rights.User:
    return current().user


def organization_name() -> str:
    """This run's organization as a person says it: its name and id (or "the key's own")."""
    frame = current()
    org_id = frame.ctx.organization_id
    names = {o.id: o.name for o in frame.connection.organizations}
    if org_id is None:
        return "the organization of the API key"
    return f"{names[org_id]} ({org_id})" if org_id in names else org_id


def _organization(conn: connection.Connection) -> tuple[str | None, str | None]:
    """(the organization for this run, an organization the URL named that this agent cannot
    use). The URL's ``org`` wins; without one the session's choice (or the first) is written
    into the URL."""
    ids = [o.id for o in conn.organizations]
    if not ids:
        return None, None  # a key bound to one organization the console does not know by id
    wanted = st.query_params.get(nav.ORG_PARAM)
    if wanted is not None and wanted not in ids:
        return None, wanted
    if wanted is not None:
        st.session_state[ORG_KEY] = wanted
    elif st.session_state.get(ORG_KEY) not in ids:
        st.session_state[ORG_KEY] = ids[0]
    names = {o.id: o.name for o in conn.organizations}
    if len(ids) > 1:
        st.selectbox(
            "Organization",
            ids,
            format_func=lambda i: names[i],
            key=ORG_KEY,
            on_change=_switch_organization,
            help="Sent to Envoy as X-Organization-ID. Part of every link you copy.",
        )
    else:
        st.caption(f"Organization: {md(names[ids[0]])}")
    chosen: str = st.session_state[ORG_KEY]
    if wanted != chosen:
        st.query_params[nav.ORG_PARAM] = chosen
    return chosen, None


def _switch_organization() -> None:
    # Another customer's view starts afresh: ids and filters of the old one mean nothing there.
    st.query_params.from_dict({nav.ORG_PARAM: st.session_state[ORG_KEY]})


def _refuse_organization(wanted: str, conn: connection.Connection) -> None:
    st.error(
        f"This link is for organization “{md(wanted[:80])}”, which this console cannot open "
        "with its credentials. Nothing from it is shown. Ask for a link in one of your "
        "organizations, or continue in one below.",
        icon=":material/domain_disabled:",
    )
    for org in conn.organizations:
        st.page_link(
            nav.ATTENTION.path,
            label=f"Continue in {md(org.name)}",
            query_params={nav.ORG_PARAM: org.id},
        )
    st.stop()


def _whoami(user: rights.User) -> None:
    if not user.signed_in:
        st.caption(":material/person: Local single user: no sign-in configured")
        return
    role = "admin" if user.is_admin else "read and replay"
    st.caption(f":material/person: {md(user.name)} ({role})")
    st.button("Sign out", on_click=st.logout, key="sign_out")


WATCH_SECONDS = 2.0  # how often a screen asks whether a change made its data stale


def _stamp(organization_id: str | None) -> int:
    """The organization's change stamp (0 before its first change); -1 when the console
    database cannot be read: reads then go stale only by their TTL, and what is keyed by the
    stamp alone (a load's audit records) is read afresh."""
    try:
        return store.stamp(organization_id)
    except store.StoreError:
        return -1


def in_flight() -> None:
    """Say that this run drew work in flight (an attempt queued or on the wire): the screen
    redraws itself with fresh webhook reads every two seconds until none is left."""
    st.session_state[_IN_FLIGHT] = True


def hold() -> None:
    """Say that this run shows something once (a signing secret in a dialog): nothing may
    redraw the screen until the agent's next action."""
    st.session_state[_HOLD] = True


def finish() -> None:
    """Say in the sidebar how old the data on screen is, and watch for changes made since."""
    slot = st.session_state.get(_SLOT)
    frame = st.session_state.get(_STATE)
    if slot is None or not isinstance(frame, Frame):
        return
    fetched = st.session_state.get(data.FETCHED) or []
    org_id = frame.ctx.organization_id
    # The stamp as this run ends: a change this run made itself (a replay, a rotation whose
    # secret is on screen now) is already drawn and must not redraw the page away.
    following = bool(st.session_state.get(_IN_FLIGHT))
    oldest = min((at for at, _ in fetched), default=None)
    due = min((e for _, e in fetched), default=None)
    with slot.container():
        _watch(org_id, _stamp(org_id), oldest, due, following)


@st.fragment(run_every=WATCH_SECONDS)
def _watch(
    organization_id: str | None,
    shown: int,
    oldest: datetime | None,
    due: datetime | None,
    following: bool,
) -> None:
    """Every two seconds: if a change was made through any replica since this screen was drawn
    (the organization's stamp moved), or its data's cache entries have expired, draw it again;
    if it shows work in flight, draw it again with fresh webhook reads; otherwise tick the
    data's age. A screen held still (``hold``: a secret on it) is not redrawn."""
    now = datetime.now(UTC)
    script = get_script_run_ctx()
    # Read now, not passed in by the last full run: a dialog's own run (a fragment) shows a
    # rotated secret, and the rotation's stamp would otherwise redraw it away at the next tick.
    held = bool(st.session_state.get(_HOLD))
    if script is not None and script.fragment_ids_this_run and not held:  # a tick of its own
        if following:
            st.session_state[_TICK] = st.session_state.get(_TICK, 0) + 1
        if following or _stamp(organization_id) != shown or _refresh_due(due, now):
            st.rerun(scope="app")
    if oldest is None:
        st.caption("All times are UTC.")
        return
    ago = int((now - oldest).total_seconds())
    if due is not None and (now - due).total_seconds() > 2 * REFRESH_RETRY:
        st.warning(f"Some data here is {interval(ago)} old and could not be refreshed: press "
                   "Refresh data.", icon=":material/history:")  # fmt: skip
    nxt = "" if due is None else f"next refresh in {interval((due - now).total_seconds())}, or "
    st.caption(f"Updated {interval(ago)} ago ({oldest:%H:%M:%S} UTC); {nxt}within 2 s of a "
               "change made through the console. All times are UTC.")  # fmt: skip


REFRESH_RETRY = 30  # seconds between scheduled refreshes when one did not make the data new
# Refreshes of the same data tried at the watcher's pace before waiting ``REFRESH_RETRY``: a
# refresh can land a moment before Streamlit's own entry expires (it stamps the entry after the
# read returns) and find the same data.
QUICK_RETRIES = 2


class _Refresh(NamedTuple):
    """The last scheduled refresh: when, of data due when, and how many times for that data."""

    at: datetime
    due: datetime
    tries: int


def _refresh_due(due: datetime | None, now: datetime) -> bool:
    """Whether the screen's data has expired and a refresh is due. A refresh that did not make
    that data new (the same ``due`` again) is tried again at the next tick, then at most once
    per ``REFRESH_RETRY`` seconds, so a source that keeps failing is not hammered; data that
    was made new is refreshed as soon as it expires again."""
    if due is None or now < due:
        return False
    last: _Refresh | None = st.session_state.get(_REFRESHED)
    tries = last.tries + 1 if last is not None and last.due == due else 1
    waited = (now - last.at).total_seconds() if last is not None else REFRESH_RETRY
    if tries > 1 + QUICK_RETRIES and waited < REFRESH_RETRY:
        return False
    st.session_state[_REFRESHED] = _Refresh(now, due, tries)
    return True
