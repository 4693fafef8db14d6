"""Pure helpers over delivery attempts: message states and outcomes, endpoint health and names,
the Deliveries page's Status filter, table frames.

No Streamlit calls and no API calls: pages fetch, these functions summarise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from components.domain.formats import attempt_words
from components.domain.rules import (
    REPLAYABLE,
    STATUSES,
    TERMINAL,
    Replay,
    needs_recovery,
    replay_rule,
)
from envoy_api import DeliveryAttempt, WebhookEndpoint

_FAR_PAST = datetime.min.replace(tzinfo=UTC)


def endpoint_label(endpoint: WebhookEndpoint) -> str:
    """How a list names an endpoint: its description with its URL beside it ("Broker portal
    (flaky receiver) · https://…"), or its URL alone when it has no description."""
    description = " ".join((endpoint.description or "").split())
    return f"{description} · {endpoint.url}" if description else endpoint.url


@dataclass(frozen=True)
class MessageState:
    """One message as an agent thinks of it: its newest attempt and what came before."""

    message_id: str
    endpoint_id: str | None
    event_type: str | None
    load_id: str | None
    load_number: str | None
    status: str  # the newest attempt's status
    attempts: int
    last_code: int | None
    created_at: datetime | None
    had_failure: bool
    last_at: datetime | None = None  # when its newest attempt was made
    last_error: str = ""  # the newest attempt's error, or the receiver's answer to it

    @property
    def needs_recovery(self) -> bool:
        return needs_recovery(self.status, self.had_failure)

    @property
    def replay(self) -> Replay:
        return replay_rule(self.status, self.had_failure)

    @property
    def label(self) -> str:
        """Its status as an agent reads it: "Delivered", "Failed, will retry", "Dead"…"""
        return attempt_words(self.status, had_failure=self.had_failure)


def message_states(attempts: Iterable[DeliveryAttempt]) -> list[MessageState]:
    """Group attempts (any order) into messages, newest message first."""
    by_message: dict[str, list[DeliveryAttempt]] = {}
    for a in attempts:
        by_message.setdefault(a.message_id, []).append(a)
    states = []
    for message_id, rows in by_message.items():
        rows.sort(key=lambda a: a.attempt)
        newest, first = rows[-1], rows[0]
        codes = [a.response_status_code for a in rows if a.response_status_code is not None]
        payload = newest.payload or first.payload
        states.append(
            MessageState(
                message_id=message_id,
                endpoint_id=newest.endpoint_id,
                event_type=payload.type if payload else None,
                load_id=payload.load_id if payload else None,
                load_number=payload.load_number if payload else None,
                status=newest.status,
                attempts=newest.attempt,
                last_code=codes[-1] if codes else None,
                created_at=first.created_at,
                had_failure=any(a.status in REPLAYABLE for a in rows),
                last_at=newest.created_at,
                last_error=newest.error_message or newest.response_body_excerpt or "",
            )
        )
    states.sort(key=lambda s: s.created_at or _FAR_PAST, reverse=True)
    return states


def latest_first(states: Iterable[MessageState]) -> list[MessageState]:
    """Messages by their newest attempt, newest first (a message replayed today comes before
    one first sent an hour ago)."""
    return sorted(states, key=lambda s: s.last_at or s.created_at or _FAR_PAST, reverse=True)


# ---- the Deliveries page's Status filter: messages by outcome, or attempts by status ----

# What an agent asks of a message (did it arrive?), answered by its newest attempt. The API
# filters attempts, not messages: the console judges these itself (``has_outcome``).
OUTCOMES = {
    "undelivered": "Messages: not delivered",
    "retried": "Messages: delivered after retries",
    "delivered": "Messages: delivered",
}
ALL_ATTEMPTS = ""  # the filter's default: every attempt
STATUS_FILTERS = {
    **OUTCOMES,
    ALL_ATTEMPTS: "Attempts: all",
    "FAILED,DEAD": "Attempts: failed or dead",
    **{s: f"Attempts: {attempt_words(s).lower()}" for s in STATUSES},  # "Attempts: queued"
}


def outcome_words(state: MessageState) -> str:
    """What became of a message, in words: its status's ("Delivered", "Failed, will retry",
    "Dead", "Queued"), and "Delivered after retries" when a failure came first."""
    if state.status == "SUCCEEDED" and state.had_failure:
        return "Delivered after retries"
    return state.label


def has_outcome(state: MessageState, outcome: str) -> bool:
    """Whether a message is what ``outcome`` (a key of ``OUTCOMES``) asks for. Not delivered:
    its newest attempt did not succeed (dead, failed and retrying, queued or on the wire).
    Delivered after retries: delivered, with a failed attempt before (a retry or a replay)."""
    if outcome == "undelivered":
        return state.status != "SUCCEEDED"
    if outcome == "retried":
        return state.status == "SUCCEEDED" and state.had_failure
    if outcome == "delivered":
        return state.status == "SUCCEEDED"
    raise ValueError(f"unknown message outcome: {outcome!r}")


def parse_status_filter(text: str) -> str | None:
    """The Status filter the URL names: a message outcome, or attempt statuses joined by commas
    in the contract's order ("FAILED,DEAD"); None when it names neither."""
    text = text.strip()
    if text in OUTCOMES:
        return text
    wanted = {part.strip().upper() for part in text.split(",")}
    return ",".join(s for s in STATUSES if s in wanted) or None


def status_filter_options(current: str) -> list[str]:
    """The filter's choices; an attempt-status combination from a link is offered too."""
    options = list(STATUS_FILTERS)
    return options if current in STATUS_FILTERS else [*options, current]


def status_filter_label(value: str) -> str:
    """An option in words ("Messages: not delivered", "Attempts: queued or sending")."""
    if value in STATUS_FILTERS:
        return STATUS_FILTERS[value]
    said = [attempt_words(s).split(",")[0].lower() for s in value.split(",") if s]
    return "Attempts: " + " or ".join(said)


def attempt_statuses(value: str) -> tuple[str, ...]:
    """The attempt statuses a Status filter value asks the API for (none for a message
    outcome, or for every attempt)."""
    return () if value in OUTCOMES else tuple(s for s in value.split(",") if s)


@dataclass(frozen=True)
class Health:
    """An endpoint's delivery health over its newest attempts of the last 24 hours."""

    sample: int  # attempts looked at
    finished: int  # of which SUCCEEDED/FAILED/DEAD
    succeeded: int
    last_success: datetime | None
    failing_streak: int  # finished attempts in a row, newest first, that did not succeed
    next_retry: datetime | None
    window_complete: bool  # the sample covers all of the last 24 h
    since: datetime | None = None  # the oldest attempt looked at
    undelivered: int = 0  # messages whose newest attempt failed (or waits on a retry)
    oldest_undelivered: datetime | None = None
    affected_loads: frozenset[str] = frozenset()  # the loads those messages are about
    hourly: tuple[float | None, ...] = ()  # success % per hour, oldest first (None: no attempt)

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.finished if self.finished else None


# Endpoint health states, most urgent first: the board, the health table and the alerts all
# judge an endpoint by ``endpoint_state``.
STATES = ("Disabled", "Failing", "Paused", "Degraded", "Unknown", "Healthy")


def endpoint_state(status: str, h: Health | None) -> str:
    """An endpoint's health state: Disabled or Paused as Envoy says (someone or something chose
    it, said before how it fared), Failing when fewer than half its finished attempts of the
    last 24 hours succeeded, Unknown when its deliveries could not be read, Degraded with any
    undelivered message or under 95 % success, else Healthy."""
    if status == "DISABLED":
        return STATES[0]
    if status == "PAUSED":
        return STATES[2]
    if h is not None and h.finished and (h.success_rate or 0) < 0.5:
        return STATES[1]
    if h is None:
        return STATES[4]
    if h.undelivered or (h.success_rate is not None and h.success_rate < 0.95):
        return STATES[3]
    return STATES[5]


def health(
    attempts: Sequence[DeliveryAttempt], total_in_window: int, now: datetime | None = None
) -> Health:
    """Health over the newest attempts of the last 24 hours (``attempts`` newest first)."""
    now = now or datetime.now(UTC)
    finished = [a for a in attempts if a.status in TERMINAL]
    succeeded = [a for a in finished if a.status == "SUCCEEDED"]
    streak = 0
    for a in finished:
        if a.status == "SUCCEEDED":
            break
        streak += 1
    success_times = [t for a in succeeded if (t := a.delivered_at or a.created_at) is not None]
    retries = [a.next_attempt_at for a in attempts if a.status == "FAILED" and a.next_attempt_at]
    pending = [a.created_at for a in attempts if a.status == "PENDING" and a.created_at]
    upcoming = [t for t in retries if t >= now - timedelta(minutes=1)]
    stuck = [s for s in message_states(attempts) if s.needs_recovery]
    times = [a.created_at for a in attempts if a.created_at]
    return Health(
        sample=len(attempts),
        finished=len(finished),
        succeeded=len(succeeded),
        last_success=max(success_times, default=None),
        failing_streak=streak,
        next_retry=min(upcoming, default=None) or (min(pending) if pending else None),
        window_complete=len(attempts) >= total_in_window,
        since=min(times, default=None),
        undelivered=len(stuck),
        oldest_undelivered=min((s.created_at for s in stuck if s.created_at), default=None),
        affected_loads=frozenset(s.load_id for s in stuck if s.load_id),
        hourly=_hourly(finished, now),
    )


def _hourly(finished: Sequence[DeliveryAttempt], now: datetime) -> tuple[float | None, ...]:
    """Success % of the finished attempts in each of the last 24 hours, oldest hour first."""
    ok, total = [0] * 24, [0] * 24
    for a in finished:
        if a.created_at is None:
            continue
        hours_ago = int((now - a.created_at).total_seconds() // 3600)
        if 0 <= hours_ago < 24:
            total[23 - hours_ago] += 1
            ok[23 - hours_ago] += a.status == "SUCCEEDED"
    return tuple(round(100 * k / n) if n else None for k, n in zip(ok, total, strict=True))


def attempts_frame(attempts: Sequence[DeliveryAttempt], *, payloads: bool = False) -> pd.DataFrame:
    rows = []
    for a in attempts:
        p = a.payload
        row = {
            "Created": a.created_at,
            "Event type": p.type if p else "",
            "Load": p.load_number if p else "",
            "Attempt": f"{a.attempt}/{a.max_attempts or '?'}",
            "Status": attempt_words(a.status),
            "Code": a.response_status_code,
            "Duration (ms)": a.duration_ms,
            "Error or response": a.error_message or a.response_body_excerpt or "",
            "Next attempt": a.next_attempt_at,
            "Message id": a.message_id,
            "Attempt id": a.id,
        }
        if payloads:
            row["Payload"] = p.model_dump_json() if p else ""
        rows.append(row)
    columns = [
        "Created",
        "Event type",
        "Load",
        "Attempt",
        "Status",
        "Code",
        "Duration (ms)",
        "Error or response",
        "Next attempt",
        "Message id",
        "Attempt id",
    ]
    return pd.DataFrame(rows, columns=columns + (["Payload"] if payloads else []))


def outcomes_frame(
    states: Sequence[MessageState], payloads: dict[str, str] | None = None
) -> pd.DataFrame:
    """One row per message, its outcome in words (the Deliveries page's message filters and
    their CSV); ``payloads`` (message id → JSON) adds a Payload column."""
    rows = []
    for s in states:
        row = {
            "Latest attempt": s.last_at,
            "Created": s.created_at,
            "Event type": s.event_type or "",
            "Load": s.load_number or "",
            "Outcome": outcome_words(s),
            "Attempts": s.attempts,
            "Last code": s.last_code,
            "Error or response": s.last_error,
            "Message id": s.message_id,
        }
        if payloads is not None:
            row["Payload"] = payloads.get(s.message_id, "")
        rows.append(row)
    columns = ["Latest attempt", "Created", "Event type", "Load", "Outcome", "Attempts",
               "Last code", "Error or response", "Message id"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns + (["Payload"] if payloads is not None else []))


def payloads_of(attempts: Iterable[DeliveryAttempt]) -> dict[str, str]:
    """Each message's payload as JSON (the same on every attempt of a message)."""
    found: dict[str, str] = {}
    for a in attempts:
        if a.payload is not None and a.message_id not in found:
            found[a.message_id] = a.payload.model_dump_json()
    return found


def messages_frame(states: Sequence[MessageState], endpoint_names: dict[str, str]) -> pd.DataFrame:
    rows = [
        {
            "Created": s.created_at,
            "Endpoint": endpoint_names.get(s.endpoint_id or "", s.endpoint_id or ""),
            "Event type": s.event_type or "",
            "Status": s.label,
            "Attempts": s.attempts,
            "Last code": s.last_code,
            "Message id": s.message_id,
            "Endpoint id": s.endpoint_id or "",
        }
        for s in states
    ]
    columns = [
        "Created",
        "Endpoint",
        "Event type",
        "Status",
        "Attempts",
        "Last code",
        "Message id",
        "Endpoint id",
    ]
    return pd.DataFrame(rows, columns=columns)
