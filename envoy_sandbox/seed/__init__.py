"""Deterministic, realistic demo data: two organizations, loads, calls, verifications,
escalations, webhook endpoints and their delivery history.

The same seed and anchor time give the same rows. ``loads`` sizes the first organization; the
second gets a tenth of it. 100,000 loads seed well inside a minute.

``seed`` runs the generators in a fixed order over one random stream: ``loads`` (carriers,
loads, calls, verifications, escalations), then ``webhooks`` (endpoints, events, attempts,
stories), both drawing from the word lists in ``words`` with the helpers in ``common``.
"""

from __future__ import annotations

from datetime import datetime

from ..auth import api_key_hash, password_hash
from ..config import DEMO_EMAIL, DEMO_PASSWORD, SECOND_ORG_API_KEY, SandboxSettings
from ..contract import ORG_A, ORG_B, ORG_NAMES, SOLO_EMAIL, SOLO_USER_ID, USER_ID
from ..db import SCHEMA, Database, now
from ..store import refresh_tab_counts
from .common import Rng, iso
from .loads import Carriers, seed_loads
from .webhooks import seed_webhooks

__all__ = ["seed"]


def seed(db: Database, settings: SandboxSettings, *, anchor: datetime | None = None) -> None:
    """Fill an empty database; does nothing when it already holds data."""
    conn = db.connect()
    if conn.execute("SELECT 1 FROM organizations LIMIT 1").fetchone():
        return
    anchor = (anchor or now()).replace(microsecond=0)
    rng = Rng(settings.seed)
    with db.write() as w:
        w.execute(
            "INSERT INTO meta VALUES ('anchor', ?), ('seed', ?)", (iso(anchor), str(settings.seed))
        )
        for org, name in ORG_NAMES.items():
            w.execute("INSERT INTO organizations VALUES (?, ?)", (org, name))
        w.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            (USER_ID, DEMO_EMAIL, password_hash(DEMO_PASSWORD), "Avery Quinn"),
        )
        w.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            (SOLO_USER_ID, SOLO_EMAIL, password_hash(DEMO_PASSWORD), "Sam Solo"),
        )
        w.executemany(
            "INSERT INTO memberships VALUES (?, ?, ?)",
            [(USER_ID, ORG_A, 0), (USER_ID, ORG_B, 1), (SOLO_USER_ID, ORG_B, 0)],
        )
        w.executemany(
            "INSERT INTO api_keys VALUES (?, ?, ?)",
            [
                (api_key_hash(settings.api_key), ORG_A, "demo"),
                (api_key_hash(SECOND_ORG_API_KEY), ORG_B, "demo second org"),
            ],
        )
    # Bulk inserts are much faster with the secondary indexes built once, afterwards.
    conn = db.connect()
    deferred = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('loads', 'calls', 'verifications', 'escalations', 'messages',"
            " 'attempts')"
        )
    ]
    for name in deferred:
        conn.execute(f"DROP INDEX {name}")
    carriers = Carriers(rng, 80, anchor)
    for org, count, prefix in (
        (ORG_A, settings.loads, "LD"),
        (ORG_B, max(10, settings.loads // 10), "PF"),
    ):
        loads = seed_loads(db, rng, org, count, prefix, carriers, anchor)
        if settings.seed_history:
            seed_webhooks(db, rng, org, loads, anchor, settings)
    conn.executescript(SCHEMA)  # recreates the deferred indexes
    refresh_tab_counts(db)
