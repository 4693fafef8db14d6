"""Domain rules, each defined once: the attempt-status vocabulary and when a message may be
replayed. Pages, the bulk recovery and the load view all ask here."""

from __future__ import annotations

from dataclasses import dataclass

from components.domain.formats import when
from envoy_api import AttemptStatus, DeliveryAttempt

STATUSES = [s.value for s in AttemptStatus]  # the contract's order: PENDING → … → DEAD
IN_FLIGHT = frozenset({"PENDING", "SENDING"})
REPLAYABLE = frozenset({"FAILED", "DEAD"})
TERMINAL = frozenset({"SUCCEEDED"}) | REPLAYABLE


def needs_recovery(status: str, had_failure: bool) -> bool:
    """The message did not arrive: its newest attempt failed, or it waits on a retry after a
    failure. Bulk recovery replays exactly these."""
    return status in REPLAYABLE or (status == "PENDING" and had_failure)


@dataclass(frozen=True)
class Replay:
    """Whether an agent may replay a message now, and what the console must say about it."""

    allowed: bool
    needs_reason: bool
    note: str
    warn: bool = False  # the note is a warning: replaying does something the receiver notices


def replay_rule(status: str, had_failure: bool) -> Replay:
    """The one replay rule. Envoy queues a new attempt for a finished message; for a message
    waiting on a retry it sends that retry now; for one in flight it does nothing."""
    if needs_recovery(status, had_failure):
        if status == "PENDING":
            return Replay(True, False, "A retry is scheduled; replaying sends it now.")
        return Replay(True, False, "")
    if status in IN_FLIGHT:
        return Replay(False, False, "A delivery is queued or in flight; replay when it ends.")
    if status == "SUCCEEDED":
        return Replay(
            True,
            True,
            "This message was delivered. Replaying sends it again: the receiver gets it twice, "
            "with the same webhook-id.",
            warn=True,
        )
    return Replay(True, True, f"Envoy reports a status this console does not know ({status}).")


@dataclass(frozen=True)
class Ending:
    """How one attempt ended, as a recovery job counts it and as an agent reads it."""

    result: str  # "delivered" or "failed_again" (the job's result vocabulary)
    status_code: int | None
    words: str  # "delivered (200)", "failed again: 503 from the receiver, no retries left"


def ending(attempt: DeliveryAttempt) -> Ending | None:
    """How ``attempt`` ended, or None while it is queued or on the wire."""
    code = attempt.response_status_code
    if attempt.status == "SUCCEEDED":
        return Ending("delivered", code, f"delivered ({code})" if code else "delivered")
    if attempt.status not in REPLAYABLE:
        return None
    cause = f"{code} from the receiver" if code else (attempt.error_message or "no answer")
    if attempt.status == "DEAD":
        then = "no retries left"
    elif attempt.next_attempt_at is not None:
        then = f"Envoy retries at {when(attempt.next_attempt_at, seconds=True)}"
    else:
        then = "Envoy retries later"
    return Ending("failed_again", code, f"failed again: {cause[:200]}, {then}")


def still_failing(newest_first: list[DeliveryAttempt], look_at: int = 5) -> str | None:
    """A warning before a bulk replay when the endpoint's latest finished attempts all failed
    ("the receiver answered 503 to its last 5 attempts; …"), else None."""
    finished = [a for a in newest_first if a.status in TERMINAL][:look_at]
    if len(finished) < 2 or any(a.status == "SUCCEEDED" for a in finished):
        return None
    codes = sorted({str(a.response_status_code or "no answer") for a in finished})
    answered = f"answered {' and '.join(codes)}" if codes != ["no answer"] else "did not answer"
    return (f"The receiver {answered} to its last {len(finished)} attempts: replays are likely "
            "to fail again. Try one replay first, or fix the receiver.")  # fmt: skip
