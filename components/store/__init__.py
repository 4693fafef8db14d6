"""The console's own database: the audit trail, bulk recovery jobs and change stamps.

SQLite (``data/console.db`` by default) or PostgreSQL, chosen by ``ENVOY_CONSOLE_DATABASE_URL``
or ``[console] database_url`` in secrets; see ``db`` for how it is opened and upgraded. Every
function takes and returns plain values and raises ``StoreError`` when the database fails.
"""

from __future__ import annotations

from .audit_trail import audit_entries, audit_for_load, audit_row, insert_audit, record_audit
from .changes import bump, stamp
from .db import database_url, describe, engine, reset
from .errors import StoreError
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
    "StoreError",
    "audit_entries",
    "audit_for_load",
    "audit_row",
    "bump",
    "claim_job",
    "create_job",
    "database_url",
    "describe",
    "engine",
    "finish_job",
    "heartbeat",
    "insert_audit",
    "job",
    "job_messages",
    "jobs",
    "next_messages",
    "note_rate_limited",
    "record_audit",
    "record_outcome",
    "record_result",
    "request_cancel",
    "reset",
    "stamp",
    "unsettled",
]
