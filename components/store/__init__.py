"""The console's own database: the audit trail, bulk recovery jobs and change stamps.

SQLite (``data/console.db`` by default) or PostgreSQL, chosen by ``ENVOY_CONSOLE_DATABASE_URL``
or ``[console] database_url`` in secrets; see ``db`` for how it is opened and upgraded. Every
function takes and returns plain values and raises ``StoreError`` when the database fails.
"""

from __future__ import annotations

from .alerts import (
    acknowledge,
    alert_list,
    channel_status,
    due_sends,
    hold_lease,
    mute,
    raise_alert,
    record_look,
    record_send,
    watches,
)
from .audit_trail import audit_entries, audit_for_load, audit_row, insert_audit, record_audit
from .changes import bump, stamp
from .db import database_url, describe, engine, reset
from .errors import StoreError
from .recent import Recent, recent, remember
from .recovery import (
    claim_job,
    create_job,
    finish_job,
    heartbeat,
    job,
    job_messages,
    jobs,
    next_messages,
    note_rate_limited,
    record_outcome,
    record_result,
    request_cancel,
    unsettled,
)

__all__ = [
    "Recent",
    "StoreError",
    "acknowledge",
    "alert_list",
    "audit_entries",
    "audit_for_load",
    "audit_row",
    "bump",
    "channel_status",
    "claim_job",
    "create_job",
    "database_url",
    "describe",
    "due_sends",
    "engine",
    "finish_job",
    "heartbeat",
    "hold_lease",
    "insert_audit",
    "job",
    "job_messages",
    "jobs",
    "mute",
    "next_messages",
    "note_rate_limited",
    "raise_alert",
    "recent",
    "record_audit",
    "record_look",
    "record_outcome",
    "record_result",
    "record_send",
    "remember",
    "request_cancel",
    "reset",
    "stamp",
    "unsettled",
    "watches",
]
