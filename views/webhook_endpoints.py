"""Webhook endpoints: health, register, edit, pause/resume, rotate the secret, delete."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import data
from components.domain import forms, rights
from components.domain.formats import TIME_TEXT, age
from components.domain.markup import md
from components.domain.rights import NotAllowed
from components.ops import actions
from components.shell import errors, frame, nav
from components.widgets import health_table, tables, ui
from components.widgets.secret_dialog import show_secret
from envoy_api import EnvoyError, EventType, WebhookEndpoint

ctx = frame.ctx()
me = frame.user()
REGISTER_KEYS = ("reg_url", "reg_types", "reg_description", "reg_headers")
REGISTERED = "_wh_registered"  # set after a registration: empty the form on the next run
DIALOG = "_webhooks_dialog"  # which dialog is open: (kind, endpoint id); never a secret
admin = rights.can(me, "change")
locked = None if admin else rights.denied("register, edit, pause, rotate or delete endpoints")


# ---- load ----


def load_endpoints() -> tuple[list[WebhookEndpoint], list[EventType]]:
    """The organization's endpoints and the event catalogue; without them there is no page."""
    try:
        with st.spinner("Loading endpoints and event types…"):
            found = data.endpoints(ctx, must_include=st.query_params.get("endpoint_id"))
            catalogue = data.event_types(ctx)
    except EnvoyError as exc:
        errors.show(exc, "the webhook endpoints")
        st.stop()
    return found, catalogue


# ---- health ----


def render_health(endpoints: list[WebhookEndpoint]) -> None:
    """Every endpoint's delivery health, most impact first, with a CSV of the table."""
    if not endpoints:
        st.info("No webhook endpoints yet. Register one below.", icon=":material/webhook:")
        return
    impact = data.impact(ctx)
    rows = health_table.assess(impact)
    to_deliveries = nav.linker(nav.DELIVERIES)
    table = health_table.frame(rows, lambda e: to_deliveries(endpoint_id=e))
    table["Event types"] = [", ".join(r.endpoint.event_types) for r in rows]
    st.caption(
        "Most impact first: loads in transit or escalated, then loads affected. Figures cover "
        "each row's window (the last 24 h unless it says less)."
    )
    tables.dataframe(
        health_table.shown(table),
        {
            **health_table.column_config(),
            "Event types": st.column_config.TextColumn(width="medium"),
        },
        hide_index=True,
        key="endpoints_table",
        column_order=[*health_table.COLUMNS, "Event types"],
    )
    for r in rows:
        if r.endpoint.status == "DISABLED" and r.endpoint.disabled_reason:
            st.warning(f"{md(r.endpoint.description or r.endpoint.url)} is disabled: "
                       f"{md(r.endpoint.disabled_reason)}", icon=":material/block:")  # fmt: skip
    ui.csv_download(
        table.drop(columns=["Open", "Per hour"]),
        "Download endpoints (CSV)",
        "webhook-endpoints.csv",
        "endpoints_csv",
    )


# ---- register ----


def render_register_form(catalogue: list[EventType], *, expanded: bool) -> None:
    """The registration form; a registration shows its secret once and stops the run."""
    type_help = {t.name: t.description or "" for t in catalogue}
    type_names = [t.name for t in catalogue]
    if st.session_state.pop(REGISTERED, False):  # the form empties once the secret was seen
        for key in REGISTER_KEYS:
            st.session_state.pop(key, None)
    with st.expander("Register an endpoint", icon=":material/add:", expanded=expanded):
        with st.form("register_form", clear_on_submit=False):
            url = st.text_input(
                "URL", placeholder="https://broker.example.com/hooks/envoy", key="reg_url"
            )
            chosen = st.multiselect(
                "Event types",
                type_names,
                key="reg_types",
                help="\n".join(f"- **{md(n)}**: {md(d)}" for n, d in type_help.items()),
            )
            description = st.text_input("Description", key="reg_description")
            headers = st.text_area(
                "Custom headers (one 'Name: value' per line)", key="reg_headers", height=80
            )
            submitted = st.form_submit_button(
                "Register", type="primary", disabled=not admin, help=locked
            )
        if submitted:
            register(url, chosen, description, headers)


def register(url: str, chosen: list[str], description: str, headers: str) -> None:
    """Register what the form holds; on success show the secret and stop the run."""
    try:
        fields = forms.endpoint_fields(url, chosen, description, headers)
        created = actions.register_endpoint(ctx, me, **fields)
    except (ValueError, EnvoyError, NotAllowed) as exc:
        errors.show(exc, "the new endpoint")  # the form keeps what was typed
    else:
        st.toast(f"Registered {md(created.url)}", icon=":material/check_circle:")
        st.session_state[REGISTERED] = True
        st.query_params["endpoint_id"] = created.id  # selected once the dialog closes
        show_secret(created.signing_secret.get_secret_value(), created.url)
        st.stop()  # the list on this run predates the new endpoint; the next run has it


# ---- manage one endpoint ----


def _link_choice() -> None:
    st.query_params["endpoint_id"] = st.session_state.manage_endpoint


def render_endpoint_picker(endpoints: list[WebhookEndpoint]) -> WebhookEndpoint:
    """The endpoint to manage, chosen in the URL or the select box; returns it."""
    st.subheader("Manage an endpoint")
    by_id = {ep.id: ep for ep in endpoints}
    # The URL's endpoint_id is the selection; without a valid one, the first endpoint.
    wanted = st.query_params.get("endpoint_id")
    endpoint_id = wanted if wanted in by_id else endpoints[0].id
    if wanted and wanted != endpoint_id:
        st.warning(
            f"No endpoint {md(wanted[:80])} in this organization (it may have been deleted); "
            "showing the first one.",
            icon=":material/search_off:",
        )
    if wanted and wanted != endpoint_id:  # a stale link: name the endpoint actually shown
        st.query_params["endpoint_id"] = endpoint_id
    st.session_state.manage_endpoint = endpoint_id
    st.selectbox(
        "Endpoint",
        list(by_id),
        key="manage_endpoint",
        format_func=lambda i: f"{by_id[i].url} · {by_id[i].description or by_id[i].status}",
        on_change=_link_choice,
    )
    return by_id[endpoint_id]


def render_endpoint_manager(ep: WebhookEndpoint) -> None:
    """Links, the action buttons (and their dialogs), the edit form and the endpoint's ids."""
    nav.link(nav.DELIVERIES, "Open its deliveries", ":material/send:", endpoint_id=ep.id)
    buttons = st.columns(3)
    render_status_toggle(ep, buttons[0])
    render_secret_and_delete(ep, buttons[1], buttons[2])
    if admin:
        edit_form(ep)
    else:
        names = ", ".join(md(n) for n in ep.headers or {}) or "none"
        st.caption(f"Custom headers: {names} (values are shown to admins only). {locked}")
    st.caption(f"Endpoint id `{ep.id}` · created {age(ep.created_at)} ago · status {md(ep.status)}")


def render_status_toggle(ep: WebhookEndpoint, column: DeltaGenerator) -> None:
    """Pause an active endpoint, or resume (re-enable) one that is not; reruns on success."""
    if ep.status == "ACTIVE":
        toggle_label, new_status = "Pause deliveries", "PAUSED"
    else:
        toggle_label = "Resume deliveries" if ep.status == "PAUSED" else "Re-enable"
        new_status = "ACTIVE"
    if column.button(
        toggle_label,
        key=f"toggle_{ep.id}",
        icon=":material/pause_circle:" if new_status == "PAUSED" else ":material/play_circle:",
        disabled=not admin,
        help=locked,
    ):
        try:
            actions.update_endpoint(ctx, me, ep.id, status=new_status)
        except (EnvoyError, NotAllowed) as exc:
            errors.show(exc, "the endpoint")
        else:
            st.toast(
                "Paused: events are held until you resume."
                if new_status == "PAUSED"
                else "Active: held events are being delivered."
            )
            st.rerun()


def render_secret_and_delete(
    ep: WebhookEndpoint, rotate_column: DeltaGenerator, delete_column: DeltaGenerator
) -> None:
    """The rotate and delete buttons; the dialog they open stays open across reruns."""
    if rotate_column.button(
        "Rotate secret",
        key=f"rotate_{ep.id}",
        icon=":material/key:",
        disabled=not admin,
        help=locked,
    ):
        st.session_state[DIALOG] = ("rotate", ep.id)
    if delete_column.button(
        "Delete", key=f"delete_{ep.id}", icon=":material/delete:", disabled=not admin, help=locked
    ):
        st.session_state[DIALOG] = ("delete", ep.id)
    open_dialog = st.session_state.get(DIALOG)
    if open_dialog in (("rotate", ep.id), ("rotated", ep.id)):
        rotate_dialog(ep)
    elif open_dialog == ("delete", ep.id):
        delete_dialog(ep)


def _close_dialog() -> None:
    st.session_state.pop(DIALOG, None)


@st.dialog("Rotate the signing secret?", on_dismiss=_close_dialog)
def rotate_dialog(endpoint: WebhookEndpoint) -> None:
    if st.session_state.get(DIALOG) == ("rotated", endpoint.id):
        if st.button("Done", key="rotate_done", type="primary"):
            _close_dialog()
            st.rerun()
        return
    ask = st.empty()  # the question and its button, gone once the new secret is shown
    with ask.container():
        st.write(
            f"A new secret for **{md(endpoint.url)}**. The current one keeps working for 24 hours, "
            "and every delivery is signed with both meanwhile, so the receiver can switch without "
            "losing a webhook."
        )
        go = st.button("Rotate now", key="rotate_confirm", type="primary")
    if not go:
        return
    try:
        rotated = actions.rotate_secret(ctx, me, endpoint.id)
    except (EnvoyError, NotAllowed) as exc:
        errors.show(exc, "the rotation")
        return
    ask.empty()
    extra = rotated.model_extra or {}
    until = _parse_time(extra.get("previous_secret_expires_at")) or (
        datetime.now(UTC) + timedelta(hours=24)
    )
    st.session_state[DIALOG] = ("rotated", endpoint.id)
    st.warning("Copy the new secret now. It will not be shown again.", icon=":material/key:")
    ui.copyable(rotated.signing_secret.get_secret_value())
    left = age(datetime.now(UTC), now=until)  # from now until then
    st.info(f"The old secret stays valid until {until:{TIME_TEXT}} UTC (in {left}).",
            icon=":material/schedule:")  # fmt: skip
    st.button("Done", key="rotate_done", type="primary")


def _parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed and parsed.tzinfo else None


@st.dialog("Delete this endpoint?", on_dismiss=_close_dialog)
def delete_dialog(endpoint: WebhookEndpoint) -> None:
    st.write(
        f"Deleting **{md(endpoint.url)}** stops its deliveries and cancels pending retries. "
        "This cannot be undone."
    )
    # A form: the typed URL is read when the button is pressed, so one click deletes (a button
    # enabled only once the field had committed its value needed a click to leave the field).
    with st.form("delete_form", border=False):
        typed = st.text_input("Type the endpoint's URL to confirm", key="delete_confirm_url")
        go = st.form_submit_button("Delete endpoint", key="delete_confirm", type="primary")
    if go and typed.strip() != endpoint.url:
        st.error("That is not this endpoint's URL: type it exactly as shown above to delete it.")
    elif go:
        try:
            actions.delete_endpoint(ctx, me, endpoint)
        except (EnvoyError, NotAllowed) as exc:
            errors.show(exc, "the endpoint")
            return
        _close_dialog()
        st.session_state.pop("delete_confirm_url", None)
        # The selection moves to an endpoint that still exists (or none), and so does the link.
        rest = [e.id for e in endpoints if e.id != endpoint.id]
        if rest:
            st.query_params["endpoint_id"] = rest[0]
        else:
            del st.query_params["endpoint_id"]
        st.toast(f"Deleted {md(endpoint.url)}", icon=":material/delete:")
        st.rerun()


def _form_values(ep: WebhookEndpoint, reveal: bool) -> dict[str, Any]:
    """The edit form's fields (by widget key) as the endpoint is now."""
    headers_key = f"e_headers_{ep.id}_{'shown' if reveal else 'masked'}"
    return {
        f"e_url_{ep.id}": ep.url,
        f"e_types_{ep.id}": list(ep.event_types),
        f"e_desc_{ep.id}": ep.description or "",
        headers_key: forms.format_headers(ep.headers, masked=not reveal),
    }


def _follow_changes(ep: WebhookEndpoint, values: dict[str, Any]) -> None:
    """A form's fields keep what they first showed; when the endpoint changed since (another
    agent, another replica), they start again from what it is now, and the agent is told."""
    seen_key = f"e_seen_{ep.id}"
    # A digest: header values are often credentials and stay out of the session.
    fields = ep.model_dump_json(include={"url", "event_types", "description", "headers"})
    now = hashlib.sha256(fields.encode()).hexdigest()
    seen = st.session_state.get(seen_key)
    st.session_state[seen_key] = now
    changed = seen is not None and seen != now
    for key, value in values.items():
        if changed or key not in st.session_state:
            st.session_state[key] = value
    if changed:
        st.info("This endpoint was changed since you opened it: the form shows it as it is now.",
                icon=":material/sync:")  # fmt: skip


def edit_form(ep: WebhookEndpoint) -> None:
    """Edit for admins. Custom header values are often the receiver's credentials: they are
    masked unless the admin asks to see them, and never reach anyone else's screen or session."""
    reveal = st.toggle("Show custom header values", key=f"reveal_{ep.id}") if ep.headers else False
    values = _form_values(ep, reveal)
    _follow_changes(ep, values)
    url_key, types_key, desc_key, headers_key = values
    with st.form(f"edit_{ep.id}"):
        st.markdown("**Edit**")
        e_url = st.text_input("URL", key=url_key)
        e_types = st.multiselect(
            "Event types", sorted(set(type_names) | set(ep.event_types)), key=types_key
        )
        e_desc = st.text_input("Description", key=desc_key)
        e_headers = st.text_area(
            "Custom headers (one 'Name: value' per line; a masked value is kept as it is)",
            height=80,
            key=headers_key,
        )
        saved = st.form_submit_button("Save changes")
    if not saved:
        return
    try:
        fields = forms.endpoint_fields(e_url, e_types, e_desc, e_headers, kept=ep.headers)
        actions.update_endpoint(ctx, me, ep.id, **fields)
    except (ValueError, EnvoyError, NotAllowed) as exc:
        errors.show(exc, "the endpoint")
    else:
        st.session_state.pop(f"e_seen_{ep.id}", None)  # this agent's own change: no notice
        st.toast("Saved", icon=":material/check_circle:")
        st.rerun()


# ---- the page ----

st.title("Webhook endpoints")
st.caption("Where Envoy sends each organization's events, and how those deliveries are going.")
endpoints, catalogue = load_endpoints()  # the delete dialog reads `endpoints` too
type_names = [t.name for t in catalogue]  # the edit form's choices
render_health(endpoints)
render_register_form(catalogue, expanded=not endpoints)
if not endpoints:
    st.stop()  # nothing to manage until one is registered
ep = render_endpoint_picker(endpoints)
render_endpoint_manager(ep)
