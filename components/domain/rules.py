"""Domain rules, each defined once: the attempt-status vocabulary and when a message may be
replayed. Pages, the bulk recovery and the load view all ask here."""

from __future__ import annotations

from dataclasses import dataclass

from envoy_api import AttemptStatus

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
