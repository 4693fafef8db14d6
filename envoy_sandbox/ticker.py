"""The optional activity ticker: new calls and escalations (and their webhooks) every few
seconds, so the demo looks alive. Off unless ``ticker_seconds`` is set."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from .contract import ORG_A, USER_ID, EscalationStatus, LoadTab
from .db import dumps, iso, now
from .sender import Sender
from .store import refresh_tab_counts


class Ticker:
    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.db, self.settings = sender.db, sender.settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-ticker", daemon=True)
        self._rng = random.Random()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        interval = self.settings.ticker_seconds or 5.0
        while not self._stop.wait(interval):
            try:
                self.tick()
            except Exception:  # the demo must not die with one bad tick
                continue

    def tick(self, org_id: str = ORG_A) -> None:
        """One piece of activity on a recently updated load."""
        conn = self.db.connect()
        row = conn.execute(
            f"SELECT id, load_number FROM loads WHERE org_id = ? AND tab != '{LoadTab.DELIVERED}'"
            " ORDER BY updated_at DESC LIMIT 1 OFFSET ?",
            (org_id, self._rng.randint(0, 40)),
        ).fetchone()
        if row is None:
            return
        at = now()
        load_id, number = row["id"], row["load_number"]
        dur = self._rng.randint(30, 420)
        call = _call(org_id, load_id, number, at - timedelta(seconds=dur), at)
        esc = _escalation(load_id, call["id"], at) if self._rng.random() < 0.25 else None
        with self.db.write() as w:
            w.execute(
                "INSERT INTO calls VALUES (?,?,?,?,?)",
                (call["id"], org_id, load_id, call["call_time"], dumps(call)),
            )
            if esc:
                w.execute(
                    "INSERT INTO escalations VALUES (?,?,?,?,?,?)",
                    (esc["id"], org_id, load_id, esc["status"], esc["created_at"], dumps(esc)),
                )
                w.execute(
                    "UPDATE loads SET active_escalations = active_escalations + 1 WHERE id = ?",
                    (load_id,),
                )
            w.execute(
                "UPDATE loads SET updated_at = ?, body = json_set(body, '$.updated_at', ?)"
                " WHERE id = ?",
                (iso(at), iso(at), load_id),
            )
        base = {"load_id": load_id, "load_number": number}
        self.sender.emit(
            org_id,
            "call.completed",
            base
            | {
                "call_id": call["id"],
                "call_direction": call["call_direction"],
                "status": call["status"],
                "duration_seconds": dur,
            },
        )
        if esc:
            self.sender.emit(
                org_id,
                "escalation.created",
                base | {"escalation_id": esc["id"], "message": esc["message"]},
            )
            refresh_tab_counts(self.db, org_id)


def _call(
    org_id: str, load_id: str, number: str, started: datetime, ended: datetime
) -> dict[str, Any]:
    """The wire JSON of a completed outbound check call."""
    start, end = iso(started), iso(ended)
    return {
        "id": f"call_{uuid.uuid4()}",
        "status": "COMPLETED",
        "call_time": start,
        "created_at": start,
        "updated_at": end,
        "call_direction": "OUTBOUND",
        "phone_number": "+13125550142",
        "to_number": "+13125550142",
        "from_number": "+14155550001",
        "call_start_time": start,
        "call_end_time": end,
        "call_type": "Check Call",
        "load_id": load_id,
        "organization_id": org_id,
        "created_by_id": USER_ID,
        "recording_status": "AVAILABLE",
        "load_number": number,
    }


def _escalation(load_id: str, call_id: str, at: datetime) -> dict[str, Any]:
    """An active tracking escalation raised by the call ``call_id``."""
    return {
        "id": f"esc_{uuid.uuid4()}",
        "load_id": load_id,
        "agent_type": "TRACKING",
        "status": EscalationStatus.ACTIVE,
        "created_at": iso(at),
        "message": "Driver reports a delay of 2 hours; receiver must be told.",
        "call_id": call_id,
        "escalation_type": "TRACKING",
        "response_message": None,
        "response_user_id": None,
        "responded_at": None,
        "resolved_at": None,
    }
