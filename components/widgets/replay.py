"""The one replay control, on the message view and the load page alike.

It follows the one rule (``rules.replay_rule``: what may be replayed now, and when a reason is
needed), replays through ``actions.replay`` (the right checked, the audit row written) and then
follows the new attempt every second until it ends, to say what became of it in words:
"delivered (200)", or "failed again: 500 from the receiver, no retries left". It acts on the
first click: the reason is read when the button is pressed, and a missing one is answered with
an error beside the field, never with a button that waits for the field to lose focus.
"""

from __future__ import annotations

import streamlit as st

from components import data
from components.domain import rules
from components.domain.deliveries import MessageState
from components.domain.formats import attempt_words
from components.domain.rights import NotAllowed, User
from components.ops import actions
from components.shell import errors
from envoy_api import EnvoyError


def in_flight_key(message_id: str) -> str:
    """Session key of a replay being watched: the attempt number it queued."""
    return f"replay_inflight:{message_id}"


def _ended_key(message_id: str) -> str:
    """Session key of how the last watched replay ended: (result, words, attempt)."""
    return f"replay_ended:{message_id}"


def render_replay(
    ctx: data.Ctx, me: User, state: MessageState, *, load_id: str | None = None
) -> None:
    """Offer a replay of ``state``'s message (about ``load_id``, when the page knows it)."""
    message_id = state.message_id
    rule = state.replay
    watching = in_flight_key(message_id) in st.session_state
    if rule.note:
        (st.warning if rule.warn else st.caption)(rule.note)
    with st.form(f"replay_form:{message_id}", border=False):
        reason = ""
        if rule.needs_reason:
            reason = st.text_input(
                "Reason (required)",
                key=f"replay_reason:{message_id}",
                placeholder="e.g. broker lost it in their queue, ticket #1234",
            ).strip()
        go = st.form_submit_button(
            "Replay in flight…" if watching else "Replay now",
            key=f"replay:{message_id}",
            type="primary",
            icon=":material/replay:",
            disabled=watching or not rule.allowed,
        )
    watch(ctx, message_id)
    if not go:
        return
    if rule.needs_reason and not reason:
        st.error("Say why you replay a delivered message: the reason goes into the audit trail.")
        return
    try:
        summary = actions.replay(ctx, me, message_id, state.endpoint_id or "",
                                 reason=reason or None, load_id=load_id)  # fmt: skip
    except (EnvoyError, NotAllowed) as exc:
        errors.show(exc, "the replay")
        return
    attempt = follow(message_id, summary.attempt_count or state.attempts + 1)
    st.toast(f"Replay queued as attempt {attempt}", icon=":material/replay:")
    st.rerun()


def follow(message_id: str, attempt: int) -> int:
    """Watch the replay that queued ``attempt`` of ``message_id`` (``watch`` says its end)."""
    st.session_state[in_flight_key(message_id)] = attempt
    st.session_state.pop(_ended_key(message_id), None)
    return attempt


def watch(ctx: data.Ctx, message_id: str) -> None:
    """What became of this session's replay of ``message_id``: followed every second while its
    attempt is queued or on the wire, then said in words (and the page redrawn once, so its
    lists show the attempt's end)."""
    watching = in_flight_key(message_id) in st.session_state
    if not watching and _ended_key(message_id) not in st.session_state:
        return

    @st.fragment(run_every=1.0 if watching else None)
    def outcome() -> None:
        wanted = st.session_state.get(in_flight_key(message_id))
        if wanted is not None:
            attempts = data.message_attempts(ctx, message_id, fresh=True)
            mine = [a for a in attempts if a.attempt >= wanted]
            end = rules.ending(mine[0]) if mine else None
            if end is None:
                status = attempt_words(mine[0].status).lower() if mine else "queued"
                st.info(f"Replay queued as attempt {wanted} ({status}): waiting for the "
                        "receiver's answer…", icon=":material/autorenew:")  # fmt: skip
                return
            st.session_state.pop(in_flight_key(message_id), None)
            st.session_state[_ended_key(message_id)] = (end.result, end.words, wanted)
            st.rerun()  # the whole page: its lists show how the attempt ended
        result, words, attempt = st.session_state[_ended_key(message_id)]
        if result == "delivered":
            st.success(f"Replay (attempt {attempt}): {words}.", icon=":material/done_all:")
        else:
            st.error(f"Replay (attempt {attempt}): {words}.", icon=":material/error:")

    outcome()
