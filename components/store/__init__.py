"""The console's own database: the audit trail and bulk recovery jobs.

SQLite (``data/console.db`` by default) or PostgreSQL, chosen by ``ENVOY_CONSOLE_DATABASE_URL``
or ``[console] database_url`` in secrets; see ``db`` for how it is opened and upgraded. Every
function takes and returns plain values and raises ``StoreError`` when the database fails.
"""

from __future__ import annotations

from .audit_trail import audit_entries, audit_for_load, audit_row, insert_audit, record_audit
from .db import database_url, describe, engine, reset
from .errors import StoreError
from .recovery import (
    claim_job,
    create_job,
    finish_job,
    heartbeat,
    job,
    jobs,
    next_messages,
    note_rate_limited,
    record_outcome,
    request_cancel,
)

__all__ = [
    "StoreError",
    "audit_entries",
    "audit_for_load",
    "audit_row",
    "claim_job",
    "create_job",
    "database_url",
    "describe",
    "engine",
    "finish_job",
    "heartbeat",
    "insert_audit",
    "job",
    "jobs",
    "next_messages",
    "note_rate_limited",
    "record_audit",
    "record_outcome",
    "request_cancel",
    "reset",
]
