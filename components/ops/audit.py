"""The audit trail: every change made through the console, who made it, why and how it ended.

Records go to the console database (``components.store``: SQLite ``data/console.db`` by default,
or PostgreSQL), written and committed with the action they record: once the agent sees "done",
the record is stored (a process that dies a moment later loses nothing). A record that cannot be
written (the database locked past a generous wait, down, a full disk) is shown to the agent; the
action itself stands. The audit file of earlier versions (``ENVOY_AUDIT_DB``) is carried over
into the database on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from components import store

log = logging.getLogger("envoy_console.audit")
ACTIONS = [
    "register",
    "update",
    "pause",
    "resume",
    "delete",
    "rotate",
    "replay",
    "replay result",
    "bulk replay",
    "cancel job",
    "test event",
    "acknowledge alert",
    "mute alerts",
    "unmute alerts",
]


def path() -> str:
    """Where records are kept, for the Activity page (no credentials)."""
    return store.describe()


class AuditError(Exception):
    """A record could not be written; the message says why, never what the record held."""


# One record as the store keeps it, to write now (``write``) or with other changes.
row = store.audit_row


def record(
    actor: str,
    action: str,
    target: dict[str, Any],
    outcome: str,
    reason: str | None = None,
    organization_id: str | None = None,
) -> None:
    """Write one record now; raises ``AuditError`` when it cannot be written."""
    write(row(actor, action, target, outcome, reason, organization_id))


def failure(exc: BaseException) -> str:
    """The outcome of an action that raised ``exc``."""
    return f"failed: {type(exc).__name__}: {exc}"[:300]


def write(record: dict[str, Any]) -> None:
    """Write one record now; raises ``AuditError`` when it cannot be written."""
    try:
        store.insert_audit(record)
    except store.StoreError as exc:
        log.warning("could not write an audit record")  # the store logged the kind of failure
        raise AuditError(str(exc)) from exc


UNRECORDED = "_audit_unrecorded"  # what the frame shows at the top of the next run


def write_or_say(record: dict[str, Any]) -> None:
    """Write; if that fails, tell the agent (the action itself already happened): a toast now,
    and a message the frame shows on the next run, which survives the rerun most actions do."""
    try:
        write(record)
    except AuditError as exc:
        text = (
            f"Done, but the console could not record it in its audit trail ({exc}). "
            "Tell whoever runs the console, and note what you did in your ticket."
        )
        st.toast(text, icon=":material/report:")
        st.session_state.setdefault(UNRECORDED, []).append(text)


@contextmanager
def action(
    actor: str,
    name: str,
    target: dict[str, Any],
    *,
    reason: str | None = None,
    organization_id: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Record ``name`` with its outcome: "ok", or "failed: <error>" (the error is re-raised).

    The yielded dict may be filled with more target details (say, a new endpoint's id).
    """
    extra: dict[str, Any] = {}

    def record(outcome: str) -> None:
        write_or_say(row(actor, name, {**target, **extra}, outcome, reason, organization_id))

    try:
        yield extra
    except BaseException as exc:
        stopped = type(exc).__name__ in ("StopException", "RerunException")  # st.stop/st.rerun
        record("ok" if stopped else failure(exc))
        raise
    record("ok")


def entries(limit: int = 5000) -> list[dict[str, Any]]:
    """The newest records, newest first (``at`` is an aware UTC datetime); raises
    ``AuditError`` when they cannot be read."""
    try:
        return store.audit_entries(limit)
    except store.StoreError as exc:
        raise AuditError(str(exc)) from exc


def for_load(
    organization_id: str | None, load_id: str, message_ids: list[str], stamp: int
) -> list[dict[str, Any]]:
    """Records about one load (naming it or one of its messages), oldest first; raises
    ``AuditError`` when they cannot be read.

    They are read once per organization change stamp (``stamp``, the run's) and set of messages,
    and shared: every record raises the stamp as it is written, so a new one makes a new key. A
    busy load names a thousand messages, and reading them on each rerun of its page was ~7 ms of
    it. With the stamp unknown (-1: the database could not be read), they are read each time."""
    ids = tuple(sorted(set(message_ids)))
    try:
        if stamp < 0:
            return store.audit_for_load(organization_id, load_id, ids)
        return _for_load_at(organization_id, load_id, stamp, hash(ids), ids)
    except store.StoreError as exc:
        raise AuditError(str(exc)) from exc


# The lifetime only bounds what the minute's sweep keeps: a new stamp already makes a new key.
@st.cache_data(ttl=600, max_entries=500, show_spinner=False)
def _for_load_at(
    organization_id: str | None, load_id: str, stamp: int, ids_key: int, _ids: tuple[str, ...]
) -> list[dict[str, Any]]:
    """``store.audit_for_load``, keyed by the stamp and the messages' ids (by their hash:
    Streamlit's own hashing of a thousand ids would cost what the cache saves)."""
    return store.audit_for_load(organization_id, load_id, _ids)


def describe(action: str, target: str | dict[str, Any], names: dict[str, str]) -> str:
    """What a record was about, in words (``names``: endpoint id → how to call it)."""
    import json

    try:
        what = json.loads(target) if isinstance(target, str) else dict(target)
    except ValueError:
        return str(target)[:300]
    if not isinstance(what, dict):
        return str(what)[:300]
    endpoint = what.get("endpoint_id")
    where = names.get(endpoint, endpoint) if isinstance(endpoint, str) else None
    parts = []
    if action == "bulk replay":
        n = what.get("messages")
        parts.append(f"{n} message{'' if n == 1 else 's'}" if isinstance(n, int) else "messages")
    elif what.get("message_id"):
        parts.append(f"message {what['message_id']}")
    if action == "test event" and what.get("event_type"):
        parts.append(str(what["event_type"]))
    if where:
        parts.append(f"{'to' if 'replay' in action or action == 'test event' else 'endpoint'} "
                     f"{where}")  # fmt: skip
    elif what.get("url"):
        parts.append(f"endpoint {what['url']}")
    if what.get("load_id"):
        parts.append(f"about load {what['load_id']}")
    if what.get("job_id"):
        parts.append(f"({'in ' if action.startswith('replay') else ''}job {what['job_id']})")
    return " ".join(parts) or ", ".join(f"{k} {v}" for k, v in what.items())[:300]
