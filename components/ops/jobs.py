"""Recovery jobs: bulk recovery as background work that outlives the agent's tab.

An agent's bulk recovery becomes a job row in the console database (the filter, its messages,
the reason, who asked). A worker thread in every console process claims jobs through the
database with a lease it renews as it goes, replays message by message with the 429 back-off,
and records each message's outcome and an audit row. Then it follows each replay until its
attempt ends (delivered, or failed again with the receiver's answer) or a bound passes
(``ENVOY_JOB_FOLLOW_SECONDS``, then "unresolved"): a job is finished only when every outcome is
known. If the process dies, the lease lapses and another replica's worker takes the job over
where it stopped, following what the first worker had sent.

Exactly once: outcomes are recorded per message, so a resumed job skips what is done. The one
message that may have been in flight when a worker died is checked against Envoy first: if it
already has more attempts than when the job was made, its replay went out and is not repeated.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from components import data, store
from components.data.connection import resolve_connection
from components.domain import rules
from components.domain.rights import User
from components.ops import actions, background
from envoy_api import EnvoyError, RateLimitError

log = logging.getLogger("envoy_console.jobs")
OWNER = background.OWNER
MAX_WAIT = 30.0  # seconds we back off on one 429 at most
IDLE_POLL = 1.0  # seconds between looks for work when there is none
FOLLOW_POLL = 1.0  # seconds between looks at the attempts a job's replays queued (a request each)
BATCH = 20  # messages replayed before the job looks at how their attempts ended


def follow_seconds() -> float:
    """How long a job waits for a replayed attempt to end before it calls it unresolved."""
    return float(os.environ.get("ENVOY_JOB_FOLLOW_SECONDS", "120"))


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
            pending = store.next_messages(self.id, BATCH)
            for message_id, endpoint_id, before in pending:
                if not self._still_mine():
                    return
                if resumed:  # the first message may have been sent just before a crash
                    resumed = False
                    sent = self._already_replayed(message_id, before)
                    if sent is not None:
                        row = self._row(message_id, endpoint_id, "ok")
                        self._record(message_id, "queued", row, "sent before a restart", sent)
                        continue
                self._replay(message_id, endpoint_id, before)
            if not self._follow():
                return
            if not pending:
                store.finish_job(self.id, OWNER, "finished")
                return

    def _follow(self) -> bool:
        """Wait until every replayed message's attempt has ended (or its bound passed); False
        when the job stopped being this worker's (cancelled, or taken over)."""
        while True:
            open_ = store.unsettled(self.id)
            if not open_:
                return True
            if not self._still_mine():
                return False
            for sent in open_:
                self._settle(sent)
            if store.unsettled(self.id):
                self.sleep(FOLLOW_POLL)

    def _settle(self, sent: dict[str, Any]) -> None:
        """Record how the attempt a replay queued ended, once it has; "unresolved" once the
        bound passed without an end."""
        message_id = sent["message_id"]
        try:
            attempts = data.client(self.ctx).webhooks.list_message_attempts(message_id)
        except RateLimitError:
            store.note_rate_limited(self.id)
            return
        except EnvoyError as exc:  # Envoy away for a moment: look again, up to the bound
            attempts, seen = [], f"its attempts could not be read: {type(exc).__name__}"
        else:
            seen = "no attempt found"
        mine = [a for a in attempts if a.attempt >= (sent["attempt"] or 0)]
        end = rules.ending(mine[0]) if mine else None
        if end is not None:
            self._result(sent, end.result, end.status_code, end.words)
            return
        if (datetime.now(UTC) - sent["done_at"]).total_seconds() >= follow_seconds():
            seen = f"still {mine[0].status}" if mine else seen
            words = f"unresolved: no end within {follow_seconds():g} s ({seen})"
            self._result(sent, "unresolved", None, words)

    def _result(
        self, sent: dict[str, Any], result: str, status_code: int | None, words: str
    ) -> None:
        row = actions.replay_row(self.ctx, self.user, sent["message_id"], sent["endpoint_id"],
                                 words, action="replay result", reason=self.job["reason"],
                                 load_id=self.load_id, job_id=self.id)  # fmt: skip
        store.record_result(self.id, OWNER, sent["message_id"], result, status_code, words, row)

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

    def _already_replayed(self, message_id: str, before: int) -> int | None:
        """The attempt a replay sent before a crash queued, or None when it was not sent."""
        try:
            attempts = data.client(self.ctx).webhooks.list_message_attempts(message_id)
        except EnvoyError:
            return None
        newest = max((a.attempt for a in attempts), default=0)
        return before + 1 if newest > before else None

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
            count = summary.attempt_count or 0
            outcome = "queued" if count > before else "already_pending"
            # The attempt to follow: the new one, or the one already pending (the newest).
            self._record(message_id, outcome, kept[-1], attempt=count or before)
            return

    def _row(self, message_id: str, endpoint_id: str, outcome: str) -> actions.AuditRow:
        """The audit row of a replay that went out before a restart (as ``actions.replay``
        would have written it)."""
        return actions.replay_row(self.ctx, self.user, message_id, endpoint_id, outcome,
                                  reason=self.job["reason"], load_id=self.load_id,
                                  job_id=self.id)  # fmt: skip

    def _record(
        self,
        message_id: str,
        outcome: str,
        row: actions.AuditRow,
        detail: str = "",
        attempt: int | None = None,
    ) -> None:
        """The message's outcome and its audit row, written together (a crash keeps both or
        neither, so a resumed job neither repeats the replay nor leaves it unaudited)."""
        store.record_outcome(self.id, OWNER, message_id, outcome, detail or None, row, attempt)


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


def ensure_worker() -> None:
    """Start this process's worker thread once."""
    background.start_once("recovery-jobs", "ENVOY_JOB_WORKER", _loop)


def _loop() -> None:
    while True:
        try:
            if not work_once():
                time.sleep(IDLE_POLL)
        except Exception as exc:  # the database away for a moment: try again shortly
            log.warning("the recovery worker could not reach its database: %s", type(exc).__name__)
            time.sleep(IDLE_POLL * 5)
