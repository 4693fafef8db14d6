"""The console database's tables as the code reads and writes them (SQLAlchemy Core).

The migrations in ``migrations/versions`` create them; a test checks both describe the same
columns. Timestamps go through ``UTCDateTime`` so Python always sees aware UTC datetimes, on
SQLite (which stores naive text) as on PostgreSQL (which answers in the session's time zone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

JOB_STATES = ("queued", "running", "finished", "cancelled", "failed")
# What a job's replay of a message did (each is also the job's counter column): queued a new
# attempt, found one already pending, or was refused.
OUTCOMES = ("queued", "already_pending", "failed")
# How that attempt ended (each also a counter): the job follows it until one of these.
RESULTS = ("delivered", "failed_again", "unresolved")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out; SQLite gets naive UTC text, which sorts and compares."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the console database takes aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


metadata = sa.MetaData()
# SQLite makes only INTEGER PRIMARY KEY an alias of its rowid (so it autoincrements).
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor", sa.Text(), nullable=False),
    sa.Column("action", sa.Text(), nullable=False),
    sa.Column("target", sa.Text(), nullable=False),  # JSON text
    sa.Column("reason", sa.Text()),
    sa.Column("outcome", sa.Text(), nullable=False),
    sa.Column("organization_id", sa.Text()),
    sa.Column("load_id", sa.Text()),  # what the action was about, when it says (indexed)
    sa.Column("message_id", sa.Text()),
)

recovery_jobs = sa.Table(
    "recovery_jobs",
    metadata,
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column("organization_id", sa.Text()),
    sa.Column("endpoint_id", sa.Text(), nullable=False),
    sa.Column("filter", sa.Text(), nullable=False),  # JSON text
    sa.Column("reason", sa.Text()),
    sa.Column("created_by", sa.Text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("state", sa.Text(), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("done", sa.Integer(), nullable=False),
    sa.Column("queued", sa.Integer(), nullable=False),
    sa.Column("already_pending", sa.Integer(), nullable=False),
    sa.Column("failed", sa.Integer(), nullable=False),
    sa.Column("rate_limited", sa.Integer(), nullable=False),
    sa.Column("lease_owner", sa.Text()),
    sa.Column("lease_until", UTCDateTime()),
    sa.Column("heartbeat_at", UTCDateTime()),
    sa.Column("started_at", UTCDateTime()),
    sa.Column("finished_at", UTCDateTime()),
    sa.Column("cancel_requested", sa.Boolean(), nullable=False),
    sa.Column("error", sa.Text()),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in RESULTS),
)

recovery_job_messages = sa.Table(
    "recovery_job_messages",
    metadata,
    sa.Column(
        "job_id", sa.Text(), sa.ForeignKey("recovery_jobs.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.Text(), nullable=False),
    sa.Column("endpoint_id", sa.Text(), nullable=False),
    sa.Column("attempts_before", sa.Integer(), nullable=False),
    sa.Column("outcome", sa.Text()),  # NULL until the message is done
    sa.Column("detail", sa.Text()),
    sa.Column("done_at", UTCDateTime()),
    sa.Column("attempt", sa.Integer()),  # the attempt the replay queued (or found pending)
    sa.Column("result", sa.Text()),  # NULL until that attempt ended
    sa.Column("status_code", sa.Integer()),  # the receiver's answer to it
    sa.Column("result_detail", sa.Text()),
    sa.Column("result_at", UTCDateTime()),
    sa.PrimaryKeyConstraint("job_id", "message_id"),
)

# One number per organization ('' for the API key's own), raised by every change made through
# the console: cached reads are keyed by it, so a change on one replica makes them stale on all.
changes = sa.Table(
    "changes",
    metadata,
    sa.Column("organization", sa.Text(), primary_key=True),
    sa.Column("stamp", sa.BigInteger(), nullable=False),
)

# Each agent's newest searches and opened loads ('search' or 'load'), per organization ('' for
# the API key's own): one row per value, its time moved when it is used again; ten of each kept.
RECENT_KINDS = ("search", "load")
recent = sa.Table(
    "recent",
    metadata,
    sa.Column("user_key", sa.Text(), nullable=False),
    sa.Column("organization", sa.Text(), nullable=False),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("label", sa.Text()),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("user_key", "organization", "kind", "value"),
)

# Failure alerts (``store.alerts``): what the console knows of each endpoint it watches, every
# alert it raised, each alert's send on each channel, and the lease of the one evaluator.
alert_watch = sa.Table(
    "alert_watch",
    metadata,
    sa.Column("organization", sa.Text(), nullable=False),  # '' for the API key's own
    sa.Column("endpoint_id", sa.Text(), nullable=False),
    sa.Column("state", sa.Text(), nullable=False),  # the health state last seen
    sa.Column("announced", sa.Text(), nullable=False),  # what the team was last told
    sa.Column("seen_at", UTCDateTime(), nullable=False),
    sa.Column("last_problem_at", UTCDateTime()),
    sa.Column("muted_until", UTCDateTime()),
    sa.Column("muted_by", sa.Text()),
    sa.Column("mute_reason", sa.Text()),
    sa.PrimaryKeyConstraint("organization", "endpoint_id"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("organization", sa.Text(), nullable=False),
    sa.Column("endpoint_id", sa.Text(), nullable=False),
    sa.Column("kind", sa.Text(), nullable=False),  # failing, disabled, recovered, job
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("link", sa.Text(), nullable=False),
    sa.Column("dedup", sa.Text(), unique=True),  # a job's alert: raised once
    sa.Column("acknowledged_by", sa.Text()),
    sa.Column("acknowledged_at", UTCDateTime()),
)

alert_sends = sa.Table(
    "alert_sends",
    metadata,
    sa.Column(
        "alert_id", sa.BigInteger(), sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("channel", sa.Text(), nullable=False),  # webhook, mail
    sa.Column("state", sa.Text(), nullable=False),  # pending, delivered, failed
    sa.Column("tries", sa.Integer(), nullable=False),
    sa.Column("error", sa.Text()),
    sa.Column("next_try_at", UTCDateTime()),
    sa.Column("done_at", UTCDateTime()),
    sa.PrimaryKeyConstraint("alert_id", "channel"),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.Text(), primary_key=True),
    sa.Column("owner", sa.Text(), nullable=False),
    sa.Column("lease_until", UTCDateTime(), nullable=False),
)
