"""Recent: each agent's last searches and last opened loads, per organization.

Kept in the console database, not the session, so they follow the agent to another replica,
another tab and tomorrow. Using a value again moves it to the top instead of adding a row, and
only the newest ``KEEP`` of each kind stay: the table stays small however long the console runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .changes import org_key
from .db import read, write
from .schema import RECENT_KINDS
from .schema import recent as recent_t

KEEP = 10


@dataclass(frozen=True)
class Recent:
    kind: str  # "search" or "load"
    value: str  # the search's term, or the load's id
    label: str  # what the agent reads: the term, or the load's number
    at: datetime


def remember(
    user_key: str,
    organization_id: str | None,
    kind: str,
    value: str,
    label: str | None = None,
    at: datetime | None = None,
) -> None:
    """Put ``value`` at the top of the user's recent ``kind`` and keep the newest ``KEEP``."""
    if kind not in RECENT_KINDS:
        raise ValueError(f"recent kind must be one of {RECENT_KINDS}")
    row = {"user_key": user_key, "organization": org_key(organization_id), "kind": kind,
           "value": value, "label": label or value, "at": at or datetime.now(UTC)}  # fmt: skip
    with write("remember a recent search or load") as conn:
        if not _touch(conn, row):
            try:
                with conn.begin_nested():
                    conn.execute(recent_t.insert(), row)
            except sa.exc.IntegrityError:  # the same value, at once, from another tab
                _touch(conn, row)
        _prune(conn, row)


def _mine(row: dict[str, object]) -> sa.ColumnElement[bool]:
    c = recent_t.c
    return sa.and_(
        c.user_key == row["user_key"], c.organization == row["organization"], c.kind == row["kind"]
    )


def _touch(conn: Connection, row: dict[str, object]) -> bool:
    done = conn.execute(
        sa.update(recent_t)
        .where(_mine(row), recent_t.c.value == row["value"])
        .values(at=row["at"], label=row["label"])
    )
    return bool(done.rowcount)


def _prune(conn: Connection, row: dict[str, object]) -> None:
    keep = (
        sa.select(recent_t.c.value)
        .where(_mine(row))
        .order_by(recent_t.c.at.desc(), recent_t.c.value)
        .limit(KEEP)
    )
    kept = [r[0] for r in conn.execute(keep)]
    conn.execute(sa.delete(recent_t).where(_mine(row), recent_t.c.value.not_in(kept)))


def recent(user_key: str, organization_id: str | None) -> list[Recent]:
    """The user's recent searches and loads in the organization, newest first (both kinds)."""
    c = recent_t.c
    query = (
        sa.select(c.kind, c.value, c.label, c.at)
        .where(c.user_key == user_key, c.organization == org_key(organization_id))
        .order_by(c.at.desc(), c.value)
        .limit(KEEP * len(RECENT_KINDS))
    )
    with read("read recent searches and loads") as conn:
        rows = conn.execute(query).all()
    return [Recent(r.kind, r.value, r.label or r.value, r.at) for r in rows]
