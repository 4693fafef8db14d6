"""Change stamps: one number per organization, raised by every change made through the console.

Every replica reads the stamp on each script run (one primary-key lookup) and keys its cached
reads by it, so a replay, an endpoint edit or a job's progress made through any replica makes
the cached reads of that organization stale on all of them. The frame's watcher polls it every
two seconds and reruns a screen whose data it made stale.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .db import read, write
from .schema import changes as changes_t


def org_key(organization_id: str | None) -> str:
    """How the store names an organization: '' for the API key's own."""
    return organization_id or ""


def stamp(organization_id: str | None) -> int:
    """The organization's current stamp (0 before its first change)."""
    query = sa.select(changes_t.c.stamp).where(changes_t.c.organization == org_key(organization_id))
    with read("read the change stamp") as conn:
        found = conn.execute(query).scalar()
    return int(found or 0)


def bump(organization_id: str | None) -> int:
    """Raise the organization's stamp now; the new value."""
    with write("record a change") as conn:
        return raise_stamp(conn, organization_id)


def raise_stamp(conn: Connection, organization_id: str | None) -> int:
    """Raise the organization's stamp inside the caller's transaction (an audit row, a job's
    outcome), so the change and its stamp commit together; the new value."""
    key = org_key(organization_id)
    raised = _raise(conn, key)
    if raised is not None:
        return raised
    try:
        with conn.begin_nested():
            conn.execute(changes_t.insert(), {"organization": key, "stamp": 1})
        return 1
    except sa.exc.IntegrityError:  # another replica made the row first
        return _raise(conn, key) or 1


def _raise(conn: Connection, key: str) -> int | None:
    raised = conn.execute(
        sa.update(changes_t)
        .where(changes_t.c.organization == key)
        .values(stamp=changes_t.c.stamp + 1)
        .returning(changes_t.c.stamp)
    ).scalar()
    return None if raised is None else int(raised)
