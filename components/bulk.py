"""Bulk recovery: replay every FAILED/DEAD message of a filter, politely and stoppably.

The run's progress lives in session state (ids and counts only, never payloads or secrets), so a
Stop click, which reruns the page, ends the loop and leaves an honest summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from envoy_api import EnvoyError, MessageSummary, RateLimitError

MAX_WAIT = 30.0  # seconds we back off on one 429 at most


@dataclass
class BulkRun:
    key: str  # the filter this run belongs to
    candidates: list[tuple[str, str, int]]  # (message_id, endpoint_id, attempts before)
    looked_at: int  # messages in the filter
    complete: bool  # whether the filter was read to its end
    state: str = "counted"  # counted → running → finished | stopped
    done: int = 0
    queued: int = 0
    already_pending: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    rate_limited: int = 0
    reason: str = ""

    def summary(self) -> dict[str, object]:
        """What the audit trail keeps of a run: counts, never payloads."""
        return {
            "messages": len(self.candidates),
            "done": self.done,
            "queued": self.queued,
            "already_pending": self.already_pending,
            "failed": len(self.failed),
            "state": self.state,
        }


def run(
    bulk: BulkRun,
    replay: Callable[[str, str], MessageSummary],
    progress: Callable[[BulkRun], None],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Replay the remaining candidates in order; back off and retry on 429."""
    bulk.state = "running"
    while bulk.done < len(bulk.candidates):
        message_id, endpoint_id, before = bulk.candidates[bulk.done]
        try:
            summary = replay(message_id, endpoint_id)
        except RateLimitError as exc:
            bulk.rate_limited += 1
            sleep(min(exc.retry_after or 1.0, MAX_WAIT))
            continue  # the same message again
        except EnvoyError as exc:
            bulk.failed.append((message_id, str(exc)))
        else:
            if (summary.attempt_count or 0) > before:
                bulk.queued += 1
            else:
                bulk.already_pending += 1
        bulk.done += 1
        progress(bulk)
    bulk.state = "finished"
