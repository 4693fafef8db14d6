"""The sandbox's own tables: its info, and the demo receivers' modes and logs of what they got.

None of this is part of the Envoy API: it backs the ``/_sandbox`` routes, which tests and the
console's demo use to steer the receivers and to check what was delivered (and signed) to them.
"""

from __future__ import annotations

import json
import re
from typing import cast

from envoy_api.signing import verify

from ..contract import (
    EVENT_TYPE_NAMES,
    RECEIVER_MODES,
    Receipt,
    ReceiverLog,
    ReceiverMode,
    SandboxInfo,
)
from ..db import Database, dumps, now_iso
from .endpoints import active_secrets

# A receipt keeps at most this much of the body: enough to inspect, bounded under floods.
RECEIPT_BODY_CHARS = 20_000


def sandbox_info(db: Database) -> SandboxInfo:
    conn = db.connect()
    orgs = conn.execute("SELECT id, name FROM organizations ORDER BY id").fetchall()
    anchor = conn.execute("SELECT value FROM meta WHERE key = 'anchor'").fetchone()
    stories = conn.execute("SELECT key, value FROM meta WHERE key LIKE 'stories:%'").fetchall()
    return {
        "organizations": [{"id": r["id"], "name": r["name"]} for r in orgs],
        "event_types": EVENT_TYPE_NAMES,
        "anchor": anchor[0] if anchor else None,
        "stories": {r["key"].removeprefix("stories:"): json.loads(r["value"]) for r in stories},
    }


def receiver_mode(db: Database, name: str, default_rate: float) -> tuple[ReceiverMode, float]:
    """How the receiver ``name`` answers: (mode, failure rate when flaky)."""
    row = (
        db.connect().execute("SELECT mode, rate FROM receivers WHERE name = ?", (name,)).fetchone()
    )
    if row is not None:  # modes are checked before they are stored
        rate = row["rate"] if row["rate"] is not None else default_rate
        return cast(ReceiverMode, row["mode"]), rate
    # Never configured: the seeded receivers are named after their mode; others answer ok.
    return cast(ReceiverMode, name if name in RECEIVER_MODES else "ok"), default_rate


def configure_receiver(db: Database, name: str, mode: str, rate: float | None) -> None:
    with db.write() as w:
        w.execute("INSERT OR REPLACE INTO receivers VALUES (?, ?, ?)", (name, mode, rate))


def verify_delivery(db: Database, headers: dict[str, str], body: bytes) -> bool:
    """Whether the delivery is signed with a live secret of the endpoint it was sent to."""
    msg_id = headers.get("webhook-id")
    if not msg_id:
        return False
    row = (
        db.connect()
        .execute(
            "SELECT e.secret, e.old_secret, e.old_secret_expires_at FROM messages m"
            " JOIN endpoints e ON e.id = m.endpoint_id WHERE m.id = ?",
            (msg_id,),
        )
        .fetchone()
    )
    if row is None:
        return False
    try:
        verify(active_secrets(row), headers, body)
    except ValueError:
        return False
    return True


def record_receipt(
    db: Database, name: str, verified: bool, answered: int, headers: dict[str, str], raw: bytes
) -> None:
    """Log a delivery a demo receiver got: its webhook and custom headers, a bounded body."""
    keep = {k: v for k, v in headers.items() if k.startswith(("webhook-", "x-"))}
    with db.write() as w:
        w.execute(
            "INSERT INTO received (receiver, webhook_id, verified, answered, headers, body,"
            " received_at) VALUES (?,?,?,?,?,?,?)",
            (
                name,
                headers.get("webhook-id"),
                int(verified),
                answered,
                dumps(keep),
                raw.decode(errors="replace")[:RECEIPT_BODY_CHARS],
                now_iso(),
            ),
        )


def receiver_log(db: Database, name: str, limit: int, default_rate: float) -> ReceiverLog:
    """The receiver's mode and its last ``limit`` receipts, newest first, with totals."""
    mode, rate = receiver_mode(db, name, default_rate)
    conn = db.connect()
    rows = conn.execute(
        "SELECT webhook_id, verified, answered, headers, body, received_at FROM received"
        " WHERE receiver = ? ORDER BY id DESC LIMIT ?",
        (name, limit),
    ).fetchall()
    count, distinct = conn.execute(
        "SELECT count(*), count(DISTINCT webhook_id) FROM received WHERE receiver = ?", (name,)
    ).fetchone()
    received: list[Receipt] = [
        {
            "webhook_id": r["webhook_id"],
            "verified": bool(r["verified"]),
            "answered": r["answered"],
            "headers": json.loads(r["headers"]),
            "body": r["body"],
            "received_at": r["received_at"],
        }
        for r in rows
    ]
    return {
        "name": name,
        "mode": mode,
        "failure_rate": rate,
        "count": count,
        "distinct_webhook_ids": distinct,
        "received": received,
    }


def clear_receiver(db: Database, name: str) -> None:
    with db.write() as w:
        w.execute("DELETE FROM received WHERE receiver = ?", (name,))


_RECEIVER_BASE = re.compile(r"^https?://(127\.0\.0\.1|localhost):\d+(?=/_sandbox/receivers/)")


def rebase_receivers(db: Database, base: str) -> None:
    """Point demo endpoints at this run's receivers (the port changes from run to run)."""
    with db.write() as w:
        for row in w.execute("SELECT id, url FROM endpoints").fetchall():
            new = _RECEIVER_BASE.sub(base.rstrip("/"), row["url"])
            if new != row["url"]:
                w.execute("UPDATE endpoints SET url = ? WHERE id = ?", (new, row["id"]))
