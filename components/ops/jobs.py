"""Recovery jobs: bulk recovery as background work that outlives the agent's tab.

An agent's bulk recovery becomes a job row in the console database (the filter, its messages,
the reason, who asked). A worker thread in every console process claims jobs through the
database with a lease it renews as it goes, replays message by message with the 429 back-off,
and records each message's outcome and an audit row. If the process dies, the lease lapses and
another replica's worker takes the job over where it stopped.

Exactly once: outcomes are recorded per message, so a resumed job skips what is done. The one
message that may have been in flight when a worker died is checked against Envoy first: if it
already has more attempts than when the job was made, its replay went out and is not repeated.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from components import data, store
from components.data.connection import resolve_connection
from components.domain.rights import User
from components.ops import actions
from envoy_api import EnvoyError, RateLimitError

log = logging.getLogger("envoy_console.jobs")
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
MAX_WAIT = 30.0  # seconds we back off on one 429 at most
IDLE_POLL = 1.0  # seconds between looks for work when there is none


def lease_seconds() -> float:
    return float(os.environ.get("ENVOY_JOB_LEASE_SECONDS", "20"))


class Runner:
    """Runs one claimed job to its end, its cancellation, or the loss of its lease."""

    def __init__(self, job: dict[str, Any], sleep: Callable[[float], None] = time.sleep) -> None:
        self.job = job
        self.id: str = job["id"]
        self.sleep = sleep
        self.ctx = data.register(resolve_connection(), job["organization_id"])
        # The job replays as the agent who started it (every agent may replay a message; the
        # right to start a job was checked when it was made).
        who = job["created_by"]
        self.user = User(email=who, name=who, is_admin=False, signed_in=True)
        self.load_id: str | None = job["filter"].get("load_id")  # a job about one load says so
        self.renewed = time.monotonic()

    def run(self) -> None:
        resumed = bool(self.job.get("was_running"))  # another worker held it before us
        while True:
            pending = store.next_messages(self.id, 20)
            if not pending:
                store.finish_job(self.id, OWNER, "finished")
                return
            for message_id, endpoint_id, before in pending:
                if not self._still_mine():
                    return
                if resumed:  # the first message may have been sent just before a crash
                    resumed = False
                    if self._already_replayed(message_id, before):
                        row = self._row(message_id, endpoint_id, "ok")
                        self._record(message_id, "queued", row, "sent before a restart")
                        continue
                self._replay(message_id, endpoint_id, before)

    def _still_mine(self) -> bool:
        """Renew the lease now and then; stop on cancel or when another worker took over."""
        current = store.job(self.id)
        if current is None or current["cancel_requested"]:
            store.finish_job(self.id, OWNER, "cancelled")
            return False
        if time.monotonic() - self.renewed > lease_seconds() / 3:
            if not store.heartbeat(self.id, OWNER, lease_seconds()):
                return False
            self.renewed = time.monotonic()
        return True

    def _already_replayed(self, message_id: str, before: int) -> bool:
        try:
            attempts = data.client(self.ctx).webhooks.list_message_attempts(message_id)
        except EnvoyError:
            return False
        return max((a.attempt for a in attempts), default=0) > before

    def _replay(self, message_id: str, endpoint_id: str, before: int) -> None:
        while True:
            kept: list[actions.AuditRow] = []
            try:
                summary = actions.replay(self.ctx, self.user, message_id, endpoint_id,
                                         reason=self.job["reason"], load_id=self.load_id,
                                         job_id=self.id, keep=kept.append)  # fmt: skip
            except RateLimitError as exc:  # nothing was sent: wait as asked, then again
                store.note_rate_limited(self.id)
                self.sleep(min(exc.retry_after or 1.0, MAX_WAIT))
                continue
            except EnvoyError as exc:
                self._record(message_id, "failed", kept[-1], str(exc)[:300])
                return
            outcome = "queued" if (summary.attempt_count or 0) > before else "already_pending"
            self._record(message_id, outcome, kept[-1])
            return

    def _row(self, message_id: str, endpoint_id: str, outcome: str) -> actions.AuditRow:
        """The audit row of a replay that went out before a restart (as ``actions.replay``
        would have written it)."""
        return actions.replay_row(self.ctx, self.user, message_id, endpoint_id, outcome,
                                  reason=self.job["reason"], load_id=self.load_id,
                                  job_id=self.id)  # fmt: skip

    def _record(
        self, message_id: str, outcome: str, row: actions.AuditRow, detail: str = ""
    ) -> None:
        """The message's outcome and its audit row, written together (a crash keeps both or
        neither, so a resumed job neither repeats the replay nor leaves it unaudited)."""
        store.record_outcome(self.id, OWNER, message_id, outcome, detail or None, row)


def work_once(sleep: Callable[[float], None] = time.sleep) -> bool:
    """Claim and run one job; False when there was none."""
    job = store.claim_job(OWNER, lease_seconds())
    if job is None:
        return False
    try:
        Runner(job, sleep).run()
    except Exception as exc:  # the job fails visibly; the worker lives on
        log.warning("recovery job %s failed: %s", job["id"], type(exc).__name__)
        store.finish_job(job["id"], OWNER, "failed", f"{type(exc).__name__}: {exc}"[:300])
    return True


_started = threading.Event()
_lock = threading.Lock()


def ensure_worker() -> None:
    """Start this process's worker thread once."""
    with _lock:
        if _started.is_set() or os.environ.get("ENVOY_JOB_WORKER", "1") == "0":
            return
        _started.set()
    threading.Thread(target=_loop, name="recovery-jobs", daemon=True).start()


def _loop() -> None:
    while True:
        try:
            if not work_once():
                time.sleep(IDLE_POLL)
        except Exception as exc:  # the database away for a moment: try again shortly
            log.warning("the recovery worker could not reach its database: %s", type(exc).__name__)
            time.sleep(IDLE_POLL * 5)
