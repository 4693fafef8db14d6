"""Bulk recovery of one endpoint's deliveries (on Deliveries): count the messages of the filter
that need a replay, confirm with a reason (after one trial replay when the receiver still fails),
then a recovery job runs them in the background; the endpoint's jobs are listed below."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import data
from components.domain import deliveries, rights, rules
from components.domain.markup import md
from components.domain.rights import NotAllowed, User
from components.ops import actions
from components.shell import errors
from components.widgets import jobs_panel, replay, ui
from envoy_api import EnvoyError

COUNTED = "bulk_counted"  # the messages a count found, until the agent starts or cancels
TRIAL = "bulk_trial_message"  # the message replayed alone before a job, while the job is asked


def render(ctx: data.Ctx, user: User, flt: data.AttemptFilter) -> None:
    """Bulk recovery as a job: count, confirm with a reason, then the job runs in the
    background (it outlives this tab) and every agent sees its progress here and on Activity."""
    key = repr(("bulk", flt))
    counted = st.session_state.get(COUNTED)
    if counted is not None and counted["key"] != key:
        counted = None
    what = ("that were not delivered" if flt.outcome == "undelivered" else
            "whose latest attempt failed")  # fmt: skip
    # Messages that were delivered have nothing to recover (a replay of one is on its page).
    # A reader may replay one message (on its page), not these in bulk: no controls at all.
    if flt.outcome in (None, "undelivered") and ui.admins_only(
        rights.can(user, "bulk replay"),
        "replay messages in bulk",
        lead="You can replay one message at a time, from its page.",
    ):
        with st.expander(
            f"Bulk recovery: replay the messages in this filter {what}",
            icon=":material/healing:",
            expanded=counted is not None,
            # A key of its own: without one, a panel opened again after a cancelled count was
            # closed by the next rerun (tests/e2e/test_forms.py).
            key="bulk_expander",
        ):
            if counted is None:
                _count(ctx, flt, key)
            else:
                _confirm(ctx, user, flt, counted)
    # Outside the expander: a running job stays in view whatever the expander does.
    st.markdown("**Recovery jobs of this endpoint**")
    st.caption(
        "A job replays each message, then follows each new attempt until it ends: it is "
        "finished only when every outcome is known, and says what became of each replay."
    )
    jobs_panel.render_jobs(user, ctx.organization_id, flt.endpoint_id)


def _count(ctx: data.Ctx, flt: data.AttemptFilter, key: str) -> None:
    st.caption("First counts the messages whose latest attempt failed, then asks.")
    if not st.button("Count messages to replay", key="bulk_count"):
        return
    with st.spinner("Reading the filter…"):
        try:  # fresh: the messages of the filter's window, each judged by its attempts
            found = data.messages(ctx, flt, fresh=True)
        except EnvoyError as exc:
            errors.show(exc, "the bulk count")
            return
    states = found.states
    if flt.outcome:  # exactly the messages the list shows
        states = [s for s in states if deliveries.has_outcome(s, flt.outcome)]
    wanted = set(flt.statuses)
    chosen = [
        s
        for s in states
        if s.needs_recovery and (not wanted or s.status in wanted or "FAILED" in wanted)
    ]
    st.session_state[COUNTED] = {
        "key": key,
        "messages": [(s.message_id, s.endpoint_id or flt.endpoint_id, s.attempts) for s in chosen],
        "looked_at": len(states),
        "complete": found.complete,
        # Not delivered yet, but on their way (queued or sending, no failure): nothing to replay.
        "on_the_way": sum(not s.needs_recovery and s.status != "SUCCEEDED" for s in states),
    }
    st.rerun()


def _confirm(ctx: data.Ctx, user: User, flt: data.AttemptFilter, counted: dict[str, Any]) -> None:
    _still_failing(ctx, user, flt, counted)
    n = len(counted["messages"])
    scope = "" if counted["complete"] else " (the filter was read up to 2,000 attempts)"
    st.write(
        f"**{n:,} {'message' if n == 1 else 'messages'}** of {counted['looked_at']:,} in this "
        f"filter{scope} will be replayed: each gets a new attempt with the same webhook-id."
    )
    if flt.outcome and counted.get("on_the_way"):
        st.caption(f"{ui.count(counted['on_the_way'], 'message')} queued or sending "
                   "now are on their way and are not replayed.")  # fmt: skip
    # A form: the reason is read when the button is pressed (one click), and a missing one is
    # said next to the field.
    with st.form("bulk_form", border=False):
        reason = st.text_input(
            "Reason (required)",
            key="bulk_reason",
            placeholder="e.g. receiver was down 09:00–09:40, ticket #1234",
        ).strip()
        label = f"Replay {n:,} {'message' if n == 1 else 'messages'}"
        go = st.form_submit_button(label, key="bulk_go", type="primary", disabled=n == 0)
    if go and not reason:
        st.error("Say why you replay these: the reason goes into the audit trail.")
    elif go:
        job_filter = {
            "statuses": list(flt.statuses),
            "event_type": flt.event_type,
            "load_id": flt.load_id,
            "since": flt.since.isoformat() if flt.since else None,
            "outcome": flt.outcome,
        }
        actions.start_recovery(ctx, user, endpoint_id=flt.endpoint_id, messages=counted["messages"],
                               reason=reason, job_filter=job_filter)  # fmt: skip
        st.session_state.pop(COUNTED, None)
        st.session_state.pop(TRIAL, None)
        st.toast("Recovery job started: it runs on even if you close this tab.")
        st.rerun()
    if st.button("Cancel", key="bulk_cancel"):
        st.session_state.pop(COUNTED, None)
        st.session_state.pop(TRIAL, None)
        st.rerun()


def _still_failing(
    ctx: data.Ctx, user: User, flt: data.AttemptFilter, counted: dict[str, Any]
) -> None:
    """Before a job: if the endpoint's latest attempts all failed, say so, and offer to replay
    one message alone first (it leaves the job's list, and its outcome is said in words)."""
    try:
        newest = data.attempts_page(ctx, data.AttemptFilter(flt.endpoint_id), 1, 10).items
    except EnvoyError:
        return  # the warning is advice; the count above already read the filter
    warning = rules.still_failing(newest)
    tried = st.session_state.get(TRIAL)
    if warning and counted["messages"]:
        st.warning(warning, icon=":material/warning:")
        if st.button("Try one replay first", key="bulk_trial", icon=":material/science:"):
            message_id, endpoint_id, before = counted["messages"].pop(0)
            try:
                sent = actions.replay(ctx, user, message_id, endpoint_id, load_id=flt.load_id)
            except (EnvoyError, NotAllowed) as exc:
                errors.show(exc, "the trial replay")
                return
            replay.follow(message_id, sent.attempt_count or before + 1)
            st.session_state[TRIAL] = tried = message_id
    if tried:
        st.caption(f"Trial replay of message {md(tried)}:")
        replay.watch(ctx, tried)
