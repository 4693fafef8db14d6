"""SQL and the wire JSON: every query behind the routes, as functions over the database.

One module per resource: ``loads`` (with their calls, verifications, escalations and tab
counters), ``endpoints``, ``attempts`` (webhook messages and their delivery attempts) and
``receivers`` (the sandbox's own info and demo receivers), over the helpers in ``common``.
Callers use ``store.xxx`` or ``from .store import xxx``: every name is re-exported here.

Loads, calls, verifications and escalations are stored as their wire JSON and handed back as
text without parsing it (big pages stay cheap); endpoints, attempts and messages are built from
their columns. A function returns ``None`` for "no such row": HTTP errors are the routers' job.

Status words come from ``contract``. Where a query filters on one it is written into the SQL
text as a literal: they are our own constants, never input, and SQLite plans with them in view.
"""

from __future__ import annotations

from .attempts import (
    ATTEMPT_SQL,
    AttemptFilter,
    attempt_json,
    list_attempts,
    message_attempts,
    message_row,
    message_summary,
    queue_attempt,
    replay,
)
from .common import Row, json_array, new_id, page_json, sql_values
from .endpoints import (
    SECRET_GRACE,
    active_secrets,
    create_endpoint,
    delete_endpoint,
    endpoint_json,
    endpoint_row,
    list_endpoints,
    rotate_secret,
    update_endpoint,
)
from .loads import (
    active_escalations,
    failed_verifications,
    list_loads,
    load_body,
    load_calls,
    refresh_tab_counts,
    tab_counts,
)
from .receivers import (
    RECEIPT_BODY_CHARS,
    clear_receiver,
    configure_receiver,
    rebase_receivers,
    receiver_log,
    receiver_mode,
    record_receipt,
    sandbox_info,
    verify_delivery,
)

__all__ = [
    "ATTEMPT_SQL",
    "RECEIPT_BODY_CHARS",
    "SECRET_GRACE",
    "AttemptFilter",
    "Row",
    "active_escalations",
    "active_secrets",
    "attempt_json",
    "clear_receiver",
    "configure_receiver",
    "create_endpoint",
    "delete_endpoint",
    "endpoint_json",
    "endpoint_row",
    "failed_verifications",
    "json_array",
    "list_attempts",
    "list_endpoints",
    "list_loads",
    "load_body",
    "load_calls",
    "message_attempts",
    "message_row",
    "message_summary",
    "new_id",
    "page_json",
    "queue_attempt",
    "rebase_receivers",
    "receiver_log",
    "receiver_mode",
    "record_receipt",
    "refresh_tab_counts",
    "replay",
    "rotate_secret",
    "sandbox_info",
    "sql_values",
    "tab_counts",
    "update_endpoint",
    "verify_delivery",
]
