"""Webhook endpoints: health, register, edit, pause/resume, rotate the secret, delete."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import data
from components.domain import deliveries, forms, rights
from components.domain.formats import age, when, words
from components.domain.markup import md
from components.domain.rights import NotAllowed
from components.ops import actions
from components.shell import errors, frame, nav
from components.widgets import form_problems, health_table, ui
from components.widgets.secret_dialog import render_secret, show_secret
from envoy_api import (
    APIStatusError,
    EnvoyError,
    EventType,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)

SUBMITTED = "_wh_submitted"  # the form whose button was pressed: read before the form is drawn
# Taken first, for this run only: a run that stops early (an API error) leaves no press behind
# for a later run to act on by itself.
pressed: str | None = st.session_state.pop(SUBMITTED, None)
ctx = frame.ctx()
me = frame.user()
# The registration form's fields (widget keys) and what each holds when the form is empty.
REGISTER_EMPTY: dict[str, Any] = {
    "reg_url": "",
    "reg_types": [],
    "reg_description": "",
    "reg_headers": "",
}
DIALOG = "_webhooks_dialog"  # which dialog is open: (kind, endpoint id); never a secret
admin = rights.can(me, "change")


def admin_controls() -> bool:
    """Whether this user gets the controls that change endpoints; a reader sees none of them,
    only one line in their place saying what they may do and who may do the rest."""
    return ui.admins_only(
        admin,
        "register, edit, pause, rotate or delete endpoints",
        lead="You can read endpoints and replay a message.",
    )


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
        st.info("No webhook endpoints yet." + (" Register one below." if admin else ""),
                icon=":material/webhook:")  # fmt: skip
        return
    impact = data.impact(ctx)
    rows = health_table.assess(impact)
    to_deliveries = nav.linker(nav.DELIVERIES)
    cells = health_table.columns(rows, lambda e: to_deliveries(endpoint_id=e))
    cells["Event types"] = [", ".join(r.endpoint.event_types) for r in rows]
    st.caption(
        "Most impact first: loads in transit or escalated, then loads affected. Figures cover "
        "each row's window (the last 24 h unless it says less)."
    )
    health_table.draw(cells, "endpoints_table",
                      {"Event types": st.column_config.TextColumn(width="medium")})  # fmt: skip
    for r in rows:
        if r.endpoint.status == "DISABLED" and r.endpoint.disabled_reason:
            st.warning(f"{md(r.endpoint.description or r.endpoint.url)} is disabled: "
                       f"{md(r.endpoint.disabled_reason)}", icon=":material/block:")  # fmt: skip
    ui.csv_download(
        health_table.frame(cells).drop(columns=["Open", "Per hour"]),
        "Download endpoints (CSV)",
        "webhook-endpoints.csv",
        "endpoints_csv",
    )


# ---- register ----


@dataclass
class Outcome:
    """What a submitted form came to: every problem by field, or a refusal of the whole."""

    problems: forms.Problems = field(default_factory=dict)
    refusal: BaseException | None = None


def _pressed(form: str) -> None:
    st.session_state[SUBMITTED] = form


def submitted(form: str) -> bool:
    """Whether this run follows a press of ``form``'s button. Its callback ran first, so the
    form's values are in the session and the form is handled before it is drawn: on success
    its fields can still be emptied, and a problem is drawn next to its field."""
    return pressed == form


def refused(exc: BaseException) -> Outcome:
    """A failed save: under the field the API names, or for the whole form."""
    if isinstance(exc, forms.FormProblems):
        return Outcome(exc.problems)
    param = (getattr(exc, "param", None) or "").split(".")[0]
    if isinstance(exc, APIStatusError) and param in forms.ENDPOINT_FIELDS:
        return Outcome({param: [f"Envoy refused it: {exc.message}"]})
    return Outcome(refusal=exc)


def show_outcome(outcome: Outcome, what: str) -> None:
    """The top of a form after a failed save: what to fix, counted, or why it was refused."""
    form_problems.summary(outcome.problems)
    if outcome.refusal is not None:
        errors.show(outcome.refusal, what)


def render_register_form(catalogue: list[EventType], *, expanded: bool) -> None:
    """The registration form; a registration shows its secret once and stops the run."""
    type_help = {t.name: t.description or "" for t in catalogue}
    type_names = [t.name for t in catalogue]
    created, outcome = register() if submitted("register") else (None, Outcome())
    # A key of its own: an expander is otherwise known by its place on the page, and a warning
    # drawn above it (an endpoint disabled meanwhile) would redraw it closed, mid-typing.
    with (
        st.expander(
            "Register an endpoint",
            icon=":material/add:",
            expanded=expanded,
            key="register_expander",
        ),
        st.form("register_form", clear_on_submit=False),
    ):
        show_outcome(outcome, "the new endpoint")
        st.text_input("URL", placeholder="https://broker.example.com/hooks/envoy", key="reg_url")
        form_problems.under(outcome.problems, "url")
        st.multiselect(
            "Event types",
            type_names,
            key="reg_types",
            help="\n".join(f"- **{md(n)}**: {md(d)}" for n, d in type_help.items()),
        )
        form_problems.under(outcome.problems, "event_types")
        st.text_input("Description", key="reg_description")
        form_problems.under(outcome.problems, "description")
        st.text_area("Custom headers (one 'Name: value' per line)", key="reg_headers", height=80)
        form_problems.under(outcome.problems, "headers")
        st.form_submit_button(
            "Register",
            type="primary",
            on_click=_pressed,
            args=("register",),
        )
    if created is not None:
        st.query_params["endpoint_id"] = created.id  # selected once the dialog closes
        # The confirmation is in the dialog: a toast would show over its corner.
        show_secret(created.signing_secret.get_secret_value(), created.url,
                    done=f"Registered **{md(created.url)}**.")  # fmt: skip
        st.stop()  # the list on this run predates the new endpoint; the next run has it


def register() -> tuple[WebhookEndpointWithSecret | None, Outcome]:
    """Register what the submitted form holds (the form is not drawn yet on this run). On
    success the form's fields are emptied and the new endpoint returned; otherwise the form
    keeps what was typed and the outcome says every problem."""
    url, types, description, headers = (
        st.session_state.get(k, e) for k, e in REGISTER_EMPTY.items()
    )
    try:
        fields = forms.endpoint_fields(url, types, description, headers)
        created = actions.register_endpoint(ctx, me, **fields)
    except (ValueError, EnvoyError, NotAllowed) as exc:
        return None, refused(exc)
    for key, empty in REGISTER_EMPTY.items():  # allowed: the widgets are not drawn yet
        st.session_state[key] = empty
    return created, Outcome()


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
        format_func=lambda i: deliveries.endpoint_label(by_id[i]),
        on_change=_link_choice,
    )
    return by_id[endpoint_id]


def render_endpoint_manager(ep: WebhookEndpoint) -> None:
    """Links, the action buttons (and their dialogs) and the edit form for an admin, and the
    endpoint's ids."""
    nav.link(nav.DELIVERIES, "Open its deliveries", ":material/send:", endpoint_id=ep.id)
    if admin_controls():
        buttons = st.columns(3)
        render_status_toggle(ep, buttons[0])
        render_secret_and_delete(ep, buttons[1], buttons[2])
        edit_form(ep)
    else:
        names = ", ".join(md(n) for n in ep.headers or {}) or "none"
        st.caption(f"Custom headers: {names} (values are shown to admins only).")
    status = words(ep.status, capital=False)
    st.caption(f"Endpoint id `{ep.id}` · created {age(ep.created_at)} ago · status {md(status)}")


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
    if rotate_column.button("Rotate secret", key=f"rotate_{ep.id}", icon=":material/key:"):
        st.session_state[DIALOG] = ("rotate", ep.id)
    if delete_column.button("Delete", key=f"delete_{ep.id}", icon=":material/delete:"):
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
    left = age(datetime.now(UTC), now=until)  # from now until then
    # The same body as the registration's secret dialog, its confirmation inside (no toast).
    render_secret(
        rotated.signing_secret.get_secret_value(),
        endpoint.url,
        done=f"Rotated the signing secret of **{md(endpoint.url)}**.",
        note=f"The old secret stays valid until {when(until)} UTC (in {left}).",
    )
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
    form = f"edit_{ep.id}"
    outcome = save_edit(ep, values) if submitted(form) else Outcome()
    _follow_changes(ep, values)
    url_key, types_key, desc_key, headers_key = values
    with st.form(form):
        st.markdown("**Edit**")
        show_outcome(outcome, "the endpoint")
        st.text_input("URL", key=url_key)
        form_problems.under(outcome.problems, "url")
        st.multiselect("Event types", sorted(set(type_names) | set(ep.event_types)), key=types_key)
        form_problems.under(outcome.problems, "event_types")
        st.text_input("Description", key=desc_key)
        form_problems.under(outcome.problems, "description")
        st.text_area(
            "Custom headers (one 'Name: value' per line; a masked value is kept as it is)",
            height=80,
            key=headers_key,
        )
        form_problems.under(outcome.problems, "headers")
        st.form_submit_button("Save changes", on_click=_pressed, args=(form,))


def save_edit(ep: WebhookEndpoint, values: dict[str, Any]) -> Outcome:
    """Save what the submitted edit form holds (not drawn yet on this run): on success, rerun
    with the endpoint as saved; otherwise the form keeps what was typed, and the outcome says
    every problem."""
    url, types, description, headers = (st.session_state.get(k, v) for k, v in values.items())
    try:
        fields = forms.endpoint_fields(url, types, description, headers, kept=ep.headers)
        actions.update_endpoint(ctx, me, ep.id, **fields)
    except (ValueError, EnvoyError, NotAllowed) as exc:
        return refused(exc)
    st.session_state.pop(f"e_seen_{ep.id}", None)  # this agent's own change: no notice
    st.toast("Saved", icon=":material/check_circle:")
    st.rerun()


# ---- the page ----

st.title("Webhook endpoints")
st.caption("Where Envoy sends each organization's events, and how those deliveries are going.")
endpoints, catalogue = load_endpoints()  # the delete dialog reads `endpoints` too
type_names = [t.name for t in catalogue]  # the edit form's choices
render_health(endpoints)
if admin:
    render_register_form(catalogue, expanded=not endpoints)
if not endpoints:
    admin_controls()  # a reader: why there is no form to register one
    st.stop()  # nothing to manage until one is registered
ep = render_endpoint_picker(endpoints)
render_endpoint_manager(ep)
