"""Bulk recovery's loop on its own: counting outcomes, backing off on 429, resuming."""

from __future__ import annotations

from components import bulk
from envoy_api import InternalServerError, MessageSummary, RateLimitError


def summary(count: int) -> MessageSummary:
    return MessageSummary(id="msg_x", attempt_count=count)


def make_run() -> bulk.BulkRun:
    return bulk.BulkRun(
        key="k", candidates=[("m1", "e", 5), ("m2", "e", 2), ("m3", "e", 5), ("m4", "e", 1)],
        looked_at=4, complete=True,
    )  # fmt: skip


def test_outcomes_and_backoff_on_429() -> None:
    calls: list[str] = []
    slept: list[float] = []
    limited = {"m3": 2}  # m3 is rate-limited twice before it goes through

    def replay(message_id: str, endpoint_id: str) -> MessageSummary:
        calls.append(message_id)
        if limited.get(message_id):
            limited[message_id] -= 1
            raise RateLimitError("slow down", retry_after=3, status_code=429,
                                 code="rate_limit_exceeded")  # fmt: skip
        if message_id == "m4":
            raise InternalServerError("boom", status_code=500, code="internal_error")
        return summary(6 if message_id != "m2" else 2)  # m2 was already pending

    run = make_run()
    seen: list[int] = []
    bulk.run(run, replay, lambda r: seen.append(r.done), sleep=slept.append)
    assert calls == ["m1", "m2", "m3", "m3", "m3", "m4"]
    assert slept == [3, 3] and run.rate_limited == 2
    assert (run.queued, run.already_pending, [m for m, _ in run.failed]) == (2, 1, ["m4"])
    assert seen == [1, 2, 3, 4] and run.state == "finished"
    assert run.summary()["failed"] == 1


def test_a_huge_retry_after_is_capped() -> None:
    slept: list[float] = []
    state = {"first": True}

    def replay(message_id: str, endpoint_id: str) -> MessageSummary:
        if state.pop("first", False):
            raise RateLimitError("wait", retry_after=86400, status_code=429,
                                 code="rate_limit_exceeded")  # fmt: skip
        return summary(9)

    bulk.run(make_run(), replay, lambda r: None, sleep=slept.append)
    assert slept == [bulk.MAX_WAIT]


def test_a_stopped_run_resumes_where_it_stopped() -> None:
    run = make_run()
    run.done, run.queued, run.state = 2, 2, "stopped"
    calls: list[str] = []

    def replay(message_id: str, endpoint_id: str) -> MessageSummary:
        calls.append(message_id)
        return summary(9)

    bulk.run(run, replay, lambda r: None)
    assert calls == ["m3", "m4"] and run.queued == 4
