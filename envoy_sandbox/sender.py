"""The webhook sender: fans events out to endpoints and delivers attempts over real HTTP.

Attempts move PENDING → SENDING (claimed by compare-and-set, so no two workers send one row) →
SUCCEEDED, FAILED (a retry row is queued at ``next_attempt_at``) or DEAD. PAUSED endpoints keep
their attempts PENDING until resumed. On start, rows a crash left in SENDING go back to PENDING.

An attempt is claimed only when a worker is free to send it at once, and at most
``sender_per_endpoint`` per endpoint are in flight: an endpoint whose receiver is slow holds
only its own few workers, never a queue that other endpoints' deliveries would wait in.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx

from envoy_api.ids import header_problem, is_reserved_header
from envoy_api.signing import sign

from .config import SandboxSettings
from .contract import AttemptStatus, EmittedEvent, EmittedMessage, EndpointStatus, EventEmitted
from .db import Database, dumps, iso, now, now_iso
from .deadline import DeadlineTransport, deadline
from .store import active_secrets, new_id, queue_attempt, sql_values

log = logging.getLogger("envoy_sandbox.sender")

EXCERPT_CHARS = 500
EXCERPT_BYTES = EXCERPT_CHARS * 4  # enough for 500 characters in any UTF-8
USER_AGENT = "Envoy-Webhooks/1.0 (sandbox)"
# Endpoints that get new messages: PAUSED ones hold theirs until resumed.
_RECEIVING = sql_values((EndpointStatus.ACTIVE, EndpointStatus.PAUSED))
PENDING, SENDING = AttemptStatus.PENDING, AttemptStatus.SENDING


class Sender:
    """A dispatcher thread that claims due attempts and a pool that POSTs them."""

    def __init__(self, db: Database, settings: SandboxSettings) -> None:
        self.db = db
        self.settings = settings
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._inflight: dict[str, str] = {}  # attempt id → its endpoint's id
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(settings.sender_workers, thread_name_prefix="sender")
        # trust_env off: proxies from the environment would be mounted on transports of httpx's
        # own, outside the attempt deadline that DeadlineTransport keeps.
        self._http = httpx.Client(
            timeout=settings.attempt_timeout,
            follow_redirects=False,
            # A connection for every worker: none waits for another endpoint's to be freed.
            transport=DeadlineTransport(max_connections=max(100, settings.sender_workers)),
            trust_env=False,
        )
        self._thread = threading.Thread(target=self._run, name="sandbox-sender", daemon=True)

    def start(self) -> None:
        self.recover()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()

    def emit(self, org_id: str, event_type: str, data: dict[str, Any]) -> EventEmitted:
        """Create one event and a message (with a first PENDING attempt) per subscribed endpoint.

        ACTIVE and PAUSED endpoints get the message (PAUSED ones hold it until resumed); DISABLED
        and deleted ones do not.
        """
        at = now_iso()
        event: EmittedEvent = {
            "id": new_id("evt"),
            "type": event_type,
            "timestamp": at,
            "data": data,
        }
        payload = dumps(event)
        load_id = data.get("load_id") if isinstance(data.get("load_id"), str) else None
        messages: list[EmittedMessage] = []
        with self.db.write() as w:
            rows = w.execute(
                "SELECT id, event_types, status FROM endpoints WHERE org_id = ? AND deleted = 0"
                f" AND status IN ({_RECEIVING})",
                (org_id,),
            ).fetchall()
            for row in rows:
                if event_type not in json.loads(row["event_types"]):
                    continue
                msg_id = new_id("msg")
                w.execute(
                    "INSERT INTO messages VALUES (?,?,?,?,?,?,?)",
                    (msg_id, org_id, row["id"], event_type, load_id, payload, at),
                )
                queue_attempt(
                    w,
                    msg_id,
                    row["id"],
                    org_id,
                    1,
                    self.settings.max_attempts,
                    at,
                    at,
                    event_type,
                    load_id,
                )
                messages.append({"id": msg_id, "endpoint_id": row["id"]})
        if messages:
            self.wake.set()
        return {"event": event, "messages": messages}

    def recover(self) -> int:
        """Put attempts a crash left in SENDING back in the queue: no delivery is lost."""
        with self.db.write() as w:
            cur = w.execute(
                f"UPDATE attempts SET status = '{PENDING}', due_at = ?, claimed_at = NULL"
                f" WHERE status = '{SENDING}'",
                (now_iso(),),
            )
            return cur.rowcount

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before the pass: a wake-up (an emit, a worker freed) during it is not lost.
            self.wake.clear()
            try:
                claimed = self._claim()
            except Exception:  # keep the sender alive whatever one pass hits
                log.exception("sender pass failed")
                claimed = 0
            if not claimed:
                self.wake.wait(self.settings.sender_poll_interval)

    def _claim(self) -> int:
        """Claim due attempts for the free workers, oldest first, skipping endpoints that have
        ``sender_per_endpoint`` in flight; return how many were claimed.

        Never more than the free workers: a claimed attempt waiting in the pool's queue would
        wait behind whichever slow receivers hold the workers.
        """
        cap = max(1, self.settings.sender_per_endpoint)  # 0 would never send anything
        with self._lock:
            room = self.settings.sender_workers - len(self._inflight)
            busy = Counter(self._inflight.values())
        if room <= 0:
            return 0
        full = [endpoint for endpoint, n in busy.items() if n >= cap]
        # Enough rows to fill the room unless a few endpoints' backlogs come first; the next
        # pass, with those endpoints full and left out, goes on past them.
        rows = self._due(full, room * cap)
        conn = self.db.connect()
        claimed = 0
        for row in rows:
            if claimed == room:
                break
            endpoint = row["endpoint_id"]
            if busy[endpoint] >= cap:  # claimed up to its cap earlier in this pass
                continue
            cur = conn.execute(
                f"UPDATE attempts SET status = '{SENDING}', claimed_at = ? WHERE id = ?"
                f" AND status = '{PENDING}'",
                (now_iso(), row["id"]),
            )
            if cur.rowcount == 1:
                claimed += 1
                busy[endpoint] += 1
                with self._lock:
                    self._inflight[row["id"]] = endpoint
                self._pool.submit(self._deliver_safely, row["id"])
        return claimed

    def _due(self, skip: list[str], limit: int) -> list[Any]:
        """Due PENDING attempts of ACTIVE endpoints not in ``skip``, oldest first."""
        not_in = f" AND a.endpoint_id NOT IN ({', '.join('?' * len(skip))})" if skip else ""
        return (
            self.db.connect()
            .execute(
                "SELECT a.id, a.endpoint_id FROM attempts a JOIN endpoints e"
                f" ON e.id = a.endpoint_id WHERE a.status = '{PENDING}' AND a.due_at <= ?"
                f" AND e.status = '{EndpointStatus.ACTIVE}' AND e.deleted = 0{not_in}"
                " ORDER BY a.due_at LIMIT ?",
                (now_iso(), *skip, limit),
            )
            .fetchall()
        )

    def _deliver_safely(self, attempt_id: str) -> None:
        try:
            self.deliver(attempt_id)
        except Exception as exc:
            log.exception("delivery of %s failed unexpectedly", attempt_id)
            self._fail_unexpectedly(attempt_id, exc)
        finally:
            with self._lock:
                self._inflight.pop(attempt_id, None)
            self.wake.set()  # a worker is free, and its endpoint may have more due: claim now

    def _fail_unexpectedly(self, attempt_id: str, exc: Exception) -> None:
        """End the attempt FAILED (or DEAD) like any failed try.

        Putting it back in the queue instead would retry a fault of ours at once, for ever.
        """
        try:
            row = self._row(attempt_id)
            if row is not None and row["status"] == SENDING:
                self._finish(row, AttemptStatus.FAILED, error=_own_error(exc))
        except Exception:  # the database itself failed: start-up recovery re-queues the row
            log.exception("could not record the failure of %s", attempt_id)

    def _row(self, attempt_id: str) -> Any:
        """The attempt with its message's payload and its endpoint's columns."""
        return (
            self.db.connect()
            .execute(
                "SELECT a.*, m.payload, e.url, e.headers, e.status AS ep_status, e.deleted,"
                " e.secret, e.old_secret, e.old_secret_expires_at"
                " FROM attempts a JOIN messages m ON m.id = a.message_id"
                " JOIN endpoints e ON e.id = a.endpoint_id WHERE a.id = ?",
                (attempt_id,),
            )
            .fetchone()
        )

    def deliver(self, attempt_id: str) -> str:
        """Send one claimed attempt and record its outcome; return the new status."""
        row = self._row(attempt_id)
        if row is None or row["status"] != SENDING:
            return row["status"] if row else "MISSING"
        if row["deleted"]:
            return self._finish(
                row, AttemptStatus.DEAD, error="Endpoint deleted; delivery cancelled"
            )
        if row["ep_status"] != EndpointStatus.ACTIVE:  # paused or disabled after the claim: hold
            with self.db.write() as w:
                w.execute(
                    f"UPDATE attempts SET status = '{PENDING}', claimed_at = NULL WHERE id = ?"
                    f" AND status = '{SENDING}'",
                    (attempt_id,),
                )
            return PENDING
        try:
            request = self._request(row)
        except Exception as exc:  # what the row holds cannot be sent: a failed try of ours
            return self._finish(row, AttemptStatus.FAILED, error=_own_error(exc))
        return self._send(row, request)

    def _request(self, row: Any) -> httpx.Request:
        """The signed POST; the sender's own headers win over custom ones, whatever their case."""
        body = row["payload"].encode()
        ts = int(time.time())
        signatures = " ".join(sign(s, row["message_id"], ts, body) for s in active_secrets(row))
        headers = httpx.Headers(sendable_headers(row["headers"]))
        own = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": row["message_id"],
            "webhook-timestamp": str(ts),
            "webhook-signature": signatures,
        }
        for name, value in own.items():
            headers[name] = value  # replaces every same-named custom header
        return self._http.build_request("POST", row["url"], content=body, headers=headers)

    def _send(self, row: Any, request: httpx.Request) -> str:
        """POST and read the whole answer, all within one ``attempt_timeout``."""
        limit = self.settings.attempt_timeout
        started = time.perf_counter()
        try:
            with deadline(limit):
                response = self._http.send(request, stream=True)
                try:
                    excerpt = _excerpt(response)
                finally:
                    response.close()
        except httpx.TimeoutException:
            error = f"Timed out: no complete answer within {limit:g} s"
            return self._finish(row, AttemptStatus.FAILED, error=error, duration=_ms(started))
        except httpx.HTTPError as exc:
            error = _transport_error(exc)
            return self._finish(row, AttemptStatus.FAILED, error=error, duration=_ms(started))
        outcome = AttemptStatus.SUCCEEDED if response.is_success else AttemptStatus.FAILED
        return self._finish(
            row, outcome, code=response.status_code, excerpt=excerpt, duration=_ms(started)
        )

    def _finish(
        self,
        row: Any,
        outcome: str,
        *,
        code: int | None = None,
        excerpt: str | None = None,
        error: str | None = None,
        duration: float | None = None,
    ) -> str:
        at = now()
        status = outcome
        next_at: str | None = None
        if outcome == AttemptStatus.FAILED and row["attempt"] >= row["max_attempts"]:
            status = AttemptStatus.DEAD
        if status == AttemptStatus.FAILED:
            next_at = iso(at + timedelta(seconds=self.settings.retry_delay(row["attempt"])))
        dur = round(duration, 1) if duration is not None else None
        with self.db.write() as w:
            cur = w.execute(
                "UPDATE attempts SET status = ?, next_attempt_at = ?, response_status_code = ?,"
                " response_body_excerpt = ?, error_message = ?, duration_ms = ?,"
                f" delivered_at = ? WHERE id = ? AND status = '{SENDING}'",
                (
                    status,
                    next_at,
                    code,
                    excerpt,
                    error,
                    dur,
                    iso(at) if status == AttemptStatus.SUCCEEDED else None,
                    row["id"],
                ),
            )
            if cur.rowcount != 1:
                return status
            if status == AttemptStatus.FAILED:
                queue_attempt(
                    w,
                    row["message_id"],
                    row["endpoint_id"],
                    row["org_id"],
                    row["attempt"] + 1,
                    row["max_attempts"],
                    iso(at),
                    next_at,
                    row["event_type"],
                    row["load_id"],
                )
            elif status == AttemptStatus.SUCCEEDED:
                w.execute(
                    "UPDATE endpoints SET dead_streak = 0 WHERE id = ?", (row["endpoint_id"],)
                )
            elif status == AttemptStatus.DEAD and not row["deleted"]:
                self._count_dead(w, row["endpoint_id"], code, error)
        return status

    def _count_dead(self, w: Any, endpoint_id: str, code: int | None, error: str | None) -> None:
        w.execute("UPDATE endpoints SET dead_streak = dead_streak + 1 WHERE id = ?", (endpoint_id,))
        ep = w.execute(
            "SELECT dead_streak, status FROM endpoints WHERE id = ?", (endpoint_id,)
        ).fetchone()
        limit = self.settings.disable_after_dead
        if ep and ep["status"] == EndpointStatus.ACTIVE and limit and ep["dead_streak"] >= limit:
            last = f"HTTP {code}" if code else (error or "no response")
            reason = (
                f"Disabled automatically: {ep['dead_streak']} messages in a row failed "
                f"every attempt (last: {last})."
            )
            w.execute(
                f"UPDATE endpoints SET status = '{EndpointStatus.DISABLED}', disabled_reason = ?,"
                " updated_at = ?"
                " WHERE id = ?",
                (reason, now_iso(), endpoint_id),
            )


class UnsendableHeader(ValueError):
    """A custom header stored on an endpoint that cannot go out; the message names it only."""


def sendable_headers(stored: str | None) -> dict[str, str]:
    """An endpoint's stored custom headers as they go out.

    Reserved names (the sender's and HTTP's own) are left out: they can never override ours.
    Anything else must pass the rule the API enforces; rows written before that rule existed,
    or straight to the database, may not, and then ``UnsendableHeader`` says which header.
    """
    headers = json.loads(stored) if stored else {}
    if not isinstance(headers, dict):
        raise UnsendableHeader("The endpoint's custom headers are not a map of names to values.")
    sendable: dict[str, str] = {}
    for name, value in headers.items():
        if is_reserved_header(name):
            continue
        problem = header_problem(name, value)
        if problem:
            raise UnsendableHeader(f"Custom header not sent: {problem}")
        sendable[name] = value
    return sendable


def _own_error(exc: Exception) -> str:
    """The error message of a try that failed on our side, before or while sending.

    Only the type of an unexpected exception: its text may quote header values or secrets.
    """
    if isinstance(exc, UnsendableHeader):
        return str(exc)[:300]
    return f"The sandbox could not send this delivery ({type(exc).__name__})."


def _excerpt(response: httpx.Response) -> str:
    """The start of the answer as text, having read all of it (the connection can be reused)."""
    kept = bytearray()
    for chunk in response.iter_bytes():
        kept += chunk[: EXCERPT_BYTES - len(kept)]
    return kept.decode(response.encoding or "utf-8", errors="replace")[:EXCERPT_CHARS]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _transport_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "Connection refused or host unreachable"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "The receiver closed the connection without a valid HTTP response"
    return f"{type(exc).__name__}: {exc}"[:300]
