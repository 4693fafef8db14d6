"""Failure alerts: the endpoints watched, the alerts raised, their sends, and the evaluator's
lease.

Exactly one alert per transition, whatever the replicas do: a look at an endpoint moves its
watch row from the state it was read in to the new one with a compare-and-set in the same
transaction that inserts the alert, so two evaluators that looked at once (a lease handed over
mid-round) raise it once. A job's alert carries a unique ``dedup`` key for the same reason.
The evaluator itself runs where it holds the ``leases`` row, like a recovery job's worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .audit_trail import add_audit
from .changes import org_key, raise_stamp
from .db import read, write
from .schema import alert_sends as sends_t
from .schema import alert_watch as watch_t
from .schema import alerts as alerts_t
from .schema import leases as leases_t

TEXT_LIMIT = 4000


def _now() -> datetime:
    return datetime.now(UTC)


def hold_lease(name: str, owner: str, seconds: float, now: datetime | None = None) -> bool:
    """Take or keep the lease ``name`` for ``owner``; False while another owner holds it."""
    now = now or _now()
    until = now + timedelta(seconds=seconds)
    with write("hold a lease") as conn:
        query = sa.select(leases_t.c.owner, leases_t.c.lease_until).where(leases_t.c.name == name)
        held = conn.execute(query.with_for_update()).first()
        if held is None:
            try:
                with conn.begin_nested():
                    conn.execute(
                        leases_t.insert(), {"name": name, "owner": owner, "lease_until": until}
                    )
                return True
            except sa.exc.IntegrityError:  # another replica made it first
                return False
        if held.owner != owner and held.lease_until > now:
            return False
        taken = conn.execute(
            sa.update(leases_t)
            .where(leases_t.c.name == name, leases_t.c.owner == held.owner)
            .where(leases_t.c.lease_until == held.lease_until)
            .values(owner=owner, lease_until=until)
        )
        return taken.rowcount == 1


def watches(organization_id: str | None) -> dict[str, dict[str, Any]]:
    """Each watched endpoint of the organization by id: state, announced, last_problem_at,
    muted_until, muted_by, mute_reason."""
    query = sa.select(watch_t).where(watch_t.c.organization == org_key(organization_id))
    with read("read the watched endpoints") as conn:
        return {row.endpoint_id: dict(row._mapping) for row in conn.execute(query)}


def record_look(
    organization_id: str | None,
    endpoint_id: str,
    before: dict[str, Any] | None,
    state: str,
    announced: str,
    alert: dict[str, Any] | None = None,
    channels: tuple[str, ...] = (),
    now: datetime | None = None,
) -> int | None:
    """Move the endpoint's watch from ``before`` (the row as read; None: not watched yet) to
    ``state``/``announced`` and, when this look raised one, insert ``alert`` (title, body, kind,
    link) with a pending send per channel; all in one transaction, only if the row is still as
    read. The new alert's id, or None (no alert, or another evaluator got there first)."""
    now = now or _now()
    org = org_key(organization_id)
    values: dict[str, Any] = {"state": state, "announced": announced, "seen_at": now}
    if alert is not None and alert["kind"] != "recovered":
        values["last_problem_at"] = now
    with write("record an endpoint's health") as conn:
        if before is None:
            try:
                with conn.begin_nested():
                    conn.execute(
                        watch_t.insert(),
                        {"organization": org, "endpoint_id": endpoint_id, **values},
                    )
            except sa.exc.IntegrityError:
                return None
        else:
            moved = conn.execute(
                sa.update(watch_t)
                .where(watch_t.c.organization == org, watch_t.c.endpoint_id == endpoint_id)
                .where(watch_t.c.state == before["state"])
                .where(watch_t.c.announced == before["announced"])
                .values(values)
            )
            if moved.rowcount != 1:
                return None
        if alert is None:
            return None
        return _insert_alert(conn, organization_id, endpoint_id, alert, channels, now)


def raise_alert(
    organization_id: str | None,
    endpoint_id: str,
    alert: dict[str, Any],
    channels: tuple[str, ...],
    dedup: str,
    now: datetime | None = None,
) -> int | None:
    """Insert an alert raised once whatever asks again (``dedup``); its id, or None when it
    was raised before."""
    with write("raise an alert") as conn:
        found = conn.execute(sa.select(alerts_t.c.id).where(alerts_t.c.dedup == dedup)).first()
        if found is not None:
            return None
        try:
            with conn.begin_nested():
                return _insert_alert(
                    conn,
                    organization_id,
                    endpoint_id,
                    {**alert, "dedup": dedup},
                    channels,
                    now or _now(),
                )
        except sa.exc.IntegrityError:
            return None


def _insert_alert(
    conn: Connection,
    organization_id: str | None,
    endpoint_id: str,
    alert: dict[str, Any],
    channels: tuple[str, ...],
    now: datetime,
) -> int:
    row = {
        "at": now,
        "organization": org_key(organization_id),
        "endpoint_id": endpoint_id,
        "kind": alert["kind"],
        "title": alert["title"][:300],
        "body": alert["body"][:TEXT_LIMIT],
        "link": alert["link"],
        "dedup": alert.get("dedup"),
    }
    alert_id = int(conn.execute(alerts_t.insert().returning(alerts_t.c.id), row).scalar_one())
    if channels:
        conn.execute(
            sends_t.insert(),
            [
                {
                    "alert_id": alert_id,
                    "channel": c,
                    "state": "pending",
                    "tries": 0,
                    "next_try_at": now,
                }
                for c in channels
            ],
        )
    raise_stamp(conn, organization_id)  # screens showing alerts redraw
    return alert_id


def due_sends(now: datetime | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Sends to try now (pending, or failed and due again), oldest alert first, with their
    alert's title, body and link."""
    now = now or _now()
    query = (
        sa.select(sends_t, alerts_t.c.title, alerts_t.c.body, alerts_t.c.link, alerts_t.c.kind)
        .join(alerts_t, alerts_t.c.id == sends_t.c.alert_id)
        .where(sends_t.c.state.in_(("pending", "failed")), sends_t.c.next_try_at <= now)
        .order_by(sends_t.c.alert_id, sends_t.c.channel)
        .limit(limit)
    )
    with read("read the alerts to send") as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def record_send(
    alert_id: int,
    channel: str,
    error: str | None,
    next_try_at: datetime | None,
    now: datetime | None = None,
) -> None:
    """One try of a send: delivered (``error`` None), or failed with the channel's answer and
    when to try again."""
    now = now or _now()
    values: dict[str, Any] = {"tries": sends_t.c.tries + 1, "done_at": now}
    if error is None:
        values.update(state="delivered", error=None, next_try_at=None)
    else:
        values.update(state="failed", error=error[:500], next_try_at=next_try_at)
    with write("record an alert's send") as conn:
        conn.execute(
            sa.update(sends_t)
            .where(sends_t.c.alert_id == alert_id, sends_t.c.channel == channel)
            .values(values)
        )


def alert_list(organization_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The newest alerts first (of one organization when given), each with ``sends``: its
    channel, state, tries, error, next_try_at and done_at."""
    query = sa.select(alerts_t).order_by(alerts_t.c.at.desc(), alerts_t.c.id.desc()).limit(limit)
    if organization_id is not None:
        query = query.where(alerts_t.c.organization == org_key(organization_id))
    with read("list alerts") as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
        ids = [row["id"] for row in rows]
        found = conn.execute(sa.select(sends_t).where(sends_t.c.alert_id.in_(ids))) if ids else None
        by_alert: dict[int, list[dict[str, Any]]] = {}
        for send in found or []:
            by_alert.setdefault(send.alert_id, []).append(dict(send._mapping))
    for row in rows:
        row["sends"] = sorted(by_alert.get(row["id"], []), key=lambda s: s["channel"])
    return rows


def acknowledge(
    alert_id: int, who: str, audit_record: dict[str, Any], now: datetime | None = None
) -> bool:
    """Mark the alert acknowledged by ``who``, with its audit row; False when it already was
    (or does not exist)."""
    with write("acknowledge an alert") as conn:
        done = conn.execute(
            sa.update(alerts_t)
            .where(alerts_t.c.id == alert_id, alerts_t.c.acknowledged_at.is_(None))
            .values(acknowledged_by=who, acknowledged_at=now or _now())
        )
        if done.rowcount != 1:
            return False
        add_audit(conn, audit_record)
        return True


def mute(
    organization_id: str | None,
    endpoint_id: str,
    until: datetime | None,
    who: str,
    reason: str | None,
    audit_record: dict[str, Any],
    now: datetime | None = None,
) -> None:
    """Mute the endpoint's alerts until ``until`` (None: unmute), with its audit row. An
    endpoint not watched yet is watched from now, as fine."""
    org = org_key(organization_id)
    values = {
        "muted_until": until,
        "muted_by": who if until else None,
        "mute_reason": reason if until else None,
    }
    with write("mute an endpoint's alerts") as conn:
        changed = conn.execute(
            sa.update(watch_t)
            .where(watch_t.c.organization == org, watch_t.c.endpoint_id == endpoint_id)
            .values(values)
        )
        if changed.rowcount == 0:
            conn.execute(
                watch_t.insert(),
                {
                    "organization": org,
                    "endpoint_id": endpoint_id,
                    "state": "Unknown",
                    "announced": "ok",
                    "seen_at": now or _now(),
                    **values,
                },
            )
        add_audit(conn, audit_record)


def channel_status() -> dict[str, dict[str, Any]]:
    """Each channel's latest try: state ("delivered" or "failed"), error, tries, next_try_at,
    done_at. A channel whose latest try failed is failing."""
    latest = (
        sa.select(sends_t.c.channel, sa.func.max(sends_t.c.done_at).label("done_at"))
        .where(sends_t.c.done_at.is_not(None))
        .group_by(sends_t.c.channel)
        .subquery()
    )
    query = sa.select(sends_t).join(
        latest,
        sa.and_(sends_t.c.channel == latest.c.channel, sends_t.c.done_at == latest.c.done_at),
    )
    with read("read the alert channels") as conn:
        return {row.channel: dict(row._mapping) for row in conn.execute(query)}
