"""Bulk recovery jobs: a job, its messages in order, and who is working on it (a lease).

A worker claims a job for ``lease_seconds`` and keeps it with ``heartbeat``; a worker that dies
stops heartbeating, its lease lapses and another worker claims the job, picking up at the first
message without an outcome. Every write that depends on holding the job checks the lease owner
in the same transaction, so a worker that lost its job cannot record over the new owner.

Times come from this host's clock; console hosts are expected to keep theirs in sync (leases are
tens of seconds, skew should be well under that).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from .changes import raise_stamp
from .db import read, write
from .schema import OUTCOMES, RESULTS, UTCDateTime
from .schema import audit as audit_t
from .schema import recovery_job_messages as messages_t
from .schema import recovery_jobs as jobs_t

FINAL_STATES = ("finished", "cancelled", "failed")
TEXT_LIMIT = 2000  # an outcome's detail or a job's error; API error text can be megabytes


def _now() -> datetime:
    return datetime.now(UTC)


def _as_dict(row: Row[Any]) -> dict[str, Any]:
    job = dict(row._mapping)
    job["filter"] = json.loads(job["filter"])  # given as a dict, given back as one
    return job


def _load(conn: Connection, job_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(jobs_t).where(jobs_t.c.id == job_id)).first()
    return _as_dict(row) if row is not None else None


def create_job(
    *,
    organization_id: str | None,
    endpoint_id: str,
    filter: dict[str, Any],
    reason: str | None,
    created_by: str,
    messages: list[tuple[str, str, int]],
) -> str:
    """A queued job over ``messages`` (message_id, endpoint_id, attempts before), in order."""
    if len({message_id for message_id, _, _ in messages}) != len(messages):
        raise ValueError("a recovery job lists each message once")
    job_id = f"job_{uuid.uuid4().hex}"
    counters = dict.fromkeys(("done", *OUTCOMES, *RESULTS, "rate_limited"), 0)
    job = {
        "id": job_id,
        "organization_id": organization_id,
        "endpoint_id": endpoint_id,
        "filter": json.dumps(filter, sort_keys=True),
        "reason": reason or None,
        "created_by": created_by,
        "created_at": _now(),
        "state": "queued",
        "total": len(messages),
        "cancel_requested": False,
        **counters,
    }
    rows = [
        {"job_id": job_id, "position": position, "message_id": message_id,
         "endpoint_id": message_endpoint, "attempts_before": before}
        for position, (message_id, message_endpoint, before) in enumerate(messages)
    ]  # fmt: skip
    with write("create a recovery job") as conn:
        conn.execute(jobs_t.insert(), job)
        if rows:
            conn.execute(messages_t.insert(), rows)
    return job_id


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    """Waiting, or running for an owner whose lease ran out (it died or hung)."""
    lapsed = sa.and_(jobs_t.c.state == "running", jobs_t.c.lease_until < now)
    return sa.or_(jobs_t.c.state == "queued", lapsed)


def claim_job(owner: str, lease_seconds: float) -> dict[str, Any] | None:
    """Take the oldest claimable job for ``owner``; None when there is none. Two claimers never
    get the same job: on PostgreSQL the candidate row is locked (others skip it), on SQLite the
    transaction holds the write lock, and the update re-checks the job is still claimable."""
    now = _now()
    with write("claim a recovery job") as conn:
        query = sa.select(jobs_t.c.id, jobs_t.c.state).where(_claimable(now))
        query = query.order_by(jobs_t.c.created_at, jobs_t.c.id).limit(1)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        found = conn.execute(query).first()
        if found is None:
            return None
        job_id, before = found
        claimed = conn.execute(
            sa.update(jobs_t)
            .where(jobs_t.c.id == job_id, _claimable(now))
            .values(
                state="running",
                lease_owner=owner,
                lease_until=now + timedelta(seconds=lease_seconds),
                heartbeat_at=now,
                started_at=sa.func.coalesce(jobs_t.c.started_at, sa.literal(now, UTCDateTime())),
            )
        )
        if claimed.rowcount != 1:
            return None
        job = _load(conn, job_id)
        # A job someone else was running (their lease lapsed) may have a message in flight.
        return None if job is None else {**job, "was_running": before == "running"}


def heartbeat(job_id: str, owner: str, lease_seconds: float) -> bool:
    """Extend ``owner``'s lease; False means the job is no longer its to work on."""
    now = _now()
    with write("extend a recovery job's lease") as conn:
        extended = conn.execute(
            sa.update(jobs_t)
            .where(jobs_t.c.id == job_id, jobs_t.c.lease_owner == owner)
            .where(jobs_t.c.state == "running")
            .values(lease_until=now + timedelta(seconds=lease_seconds), heartbeat_at=now)
        )
        return extended.rowcount == 1


def next_messages(job_id: str, limit: int) -> list[tuple[str, str, int]]:
    """The job's messages without an outcome yet, in order: (message_id, endpoint_id, before)."""
    query = (
        sa.select(messages_t.c.message_id, messages_t.c.endpoint_id, messages_t.c.attempts_before)
        .where(messages_t.c.job_id == job_id, messages_t.c.outcome.is_(None))
        .order_by(messages_t.c.position)
        .limit(limit)
    )
    with read("read a recovery job's messages") as conn:
        return [(row[0], row[1], row[2]) for row in conn.execute(query)]


def record_outcome(
    job_id: str,
    owner: str,
    message_id: str,
    outcome: str,
    detail: str | None = None,
    audit_record: dict[str, Any] | None = None,
    attempt: int | None = None,
) -> bool:
    """Set a message's outcome (what its replay did; ``attempt`` the attempt it queued or found
    pending) and count it, once, with its audit record (``audit_row``) in the same transaction:
    a worker killed in between leaves both or neither. False when ``owner`` no longer holds the
    job or the message already has an outcome (nothing counted twice)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    values = {"outcome": outcome, "detail": _cut(detail), "done_at": _now(), "attempt": attempt}
    counted = {jobs_t.c.done: jobs_t.c.done + 1, jobs_t.c[outcome]: jobs_t.c[outcome] + 1}
    return _mark(job_id, owner, message_id, messages_t.c.outcome, values, counted, audit_record)


def record_result(
    job_id: str,
    owner: str,
    message_id: str,
    result: str,
    status_code: int | None = None,
    detail: str | None = None,
    audit_record: dict[str, Any] | None = None,
) -> bool:
    """Set how a replayed message's attempt ended (delivered, failed again, or unresolved when
    the job stopped waiting) and count it, once, with its audit record, as ``record_outcome``."""
    if result not in RESULTS:
        raise ValueError(f"result must be one of {', '.join(RESULTS)}")
    values = {"result": result, "status_code": status_code, "result_detail": _cut(detail),
              "result_at": _now()}  # fmt: skip
    counted = {jobs_t.c[result]: jobs_t.c[result] + 1}
    return _mark(job_id, owner, message_id, messages_t.c.result, values, counted, audit_record)


def _mark(
    job_id: str,
    owner: str,
    message_id: str,
    unset: sa.Column[Any],
    values: dict[str, Any],
    counted: dict[Any, Any],
    audit_record: dict[str, Any] | None,
) -> bool:
    """Set ``values`` on a message whose ``unset`` column is still NULL, add ``counted`` to its
    job and write ``audit_record``, all in one transaction, while ``owner`` holds the job."""
    with write("record a recovery outcome") as conn:
        # Lock the job row first (PostgreSQL; SQLite's transaction holds the whole database):
        # a claim by another owner waits until this outcome is in, or this sees the new owner.
        holder = conn.execute(
            sa.select(jobs_t.c.lease_owner, jobs_t.c.state)
            .where(jobs_t.c.id == job_id)
            .with_for_update()
        ).first()
        if holder is None or holder.lease_owner != owner or holder.state != "running":
            return False
        marked = conn.execute(
            sa.update(messages_t)
            .where(messages_t.c.job_id == job_id, messages_t.c.message_id == message_id)
            .where(unset.is_(None))
            .values(values)
        )
        if marked.rowcount != 1:
            return False
        conn.execute(sa.update(jobs_t).where(jobs_t.c.id == job_id).values(counted))
        if audit_record is not None:
            conn.execute(audit_t.insert(), audit_record)
        raise_stamp(conn, _organization(conn, job_id))
        return True


def _organization(conn: Connection, job_id: str) -> str | None:
    found = conn.execute(sa.select(jobs_t.c.organization_id).where(jobs_t.c.id == job_id))
    return found.scalar()


def unsettled(job_id: str) -> list[dict[str, Any]]:
    """The job's replayed messages whose attempt has not ended yet (as far as the job knows):
    message_id, endpoint_id, attempt, done_at (when the replay went out)."""
    m = messages_t.c
    query = (
        sa.select(m.message_id, m.endpoint_id, m.attempt, m.done_at)
        .where(messages_t.c.job_id == job_id, messages_t.c.result.is_(None))
        .where(messages_t.c.outcome.in_(("queued", "already_pending")))
        .order_by(messages_t.c.position)
    )
    with read("read a recovery job's replays in flight") as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def job_messages(job_id: str) -> list[dict[str, Any]]:
    """Every message of the job in order, with what its replay did and how its attempt ended."""
    query = (
        sa.select(messages_t).where(messages_t.c.job_id == job_id).order_by(messages_t.c.position)
    )
    with read("read a recovery job's messages") as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _cut(text: str | None) -> str | None:
    return text[:TEXT_LIMIT] if text else None


def note_rate_limited(job_id: str) -> None:
    """Count one 429 the job backed off from."""
    with write("count a rate limit") as conn:
        conn.execute(
            sa.update(jobs_t)
            .where(jobs_t.c.id == job_id)
            .values(rate_limited=jobs_t.c.rate_limited + 1)
        )


def finish_job(job_id: str, owner: str, state: str, error: str | None = None) -> bool:
    """End ``owner``'s running job as finished, cancelled or failed; False when it was not
    ``owner``'s to end (another worker took it over, or it ended already)."""
    if state not in FINAL_STATES:
        raise ValueError(f"a job ends as one of {', '.join(FINAL_STATES)}")
    with write("finish a recovery job") as conn:
        ended = conn.execute(
            sa.update(jobs_t)
            .where(jobs_t.c.id == job_id, jobs_t.c.lease_owner == owner)
            .where(jobs_t.c.state == "running")
            .values(state=state, finished_at=_now(), error=_cut(error))
        )
        if ended.rowcount != 1:
            return False
        raise_stamp(conn, _organization(conn, job_id))
        return True


def request_cancel(job_id: str) -> None:
    """Cancel a job: a queued one at once, a running one when its worker next looks
    (``cancel_requested``); a job that has ended stays as it ended."""
    now = _now()
    with write("cancel a recovery job") as conn:
        conn.execute(
            sa.update(jobs_t)
            .where(jobs_t.c.id == job_id, jobs_t.c.state == "queued")
            .values(state="cancelled", cancel_requested=True, finished_at=now)
        )
        conn.execute(
            sa.update(jobs_t)
            .where(jobs_t.c.id == job_id, jobs_t.c.state == "running")
            .values(cancel_requested=True)
        )


def job(job_id: str) -> dict[str, Any] | None:
    with read("read a recovery job") as conn:
        return _load(conn, job_id)


def jobs(organization_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest jobs first, of one organization when given."""
    query = sa.select(jobs_t).order_by(jobs_t.c.created_at.desc(), jobs_t.c.id.desc())
    if organization_id is not None:
        query = query.where(jobs_t.c.organization_id == organization_id)
    with read("list recovery jobs") as conn:
        return [_as_dict(row) for row in conn.execute(query.limit(limit))]
