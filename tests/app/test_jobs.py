"""Recovery jobs: bulk recovery that outlives the tab, each message replayed exactly once, every
replay audited, resumable by another worker, cancellable; and the screens that start and show
them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from components import data, store
from components.data.connection import resolve_connection
from components.ops import audit, jobs

from ..helpers import wait_for
from ..sandboxes import Sandbox, dead_messages
from .conftest import frame_with, open_page, run_app, texts

AGENT = "lead@broker.example"


@pytest.fixture
def dead(configured: Sandbox, audit_db: Path) -> Iterator[tuple[str, list[str]]]:
    """An endpoint whose receiver was down for four messages (all DEAD), and is up again."""
    endpoint_id, name, msgs = dead_messages(configured, 4)
    configured.set_receiver(name, "ok")
    yield endpoint_id, msgs
    configured.client.webhooks.delete_endpoint(endpoint_id)


def attempts(sb: Sandbox, message_id: str) -> int:
    return len(sb.client.webhooks.list_message_attempts(message_id))


def new_job(endpoint_id: str, msgs: list[str]) -> str:
    return store.create_job(
        organization_id=None, endpoint_id=endpoint_id, filter={"statuses": ["DEAD"]},
        reason="receiver was down", created_by=AGENT,
        messages=[(m, endpoint_id, 5) for m in msgs],
    )  # fmt: skip


def replays(job_id: str, action: str = "replay") -> list[str]:
    return [r["target"] for r in audit.entries() if job_id in r["target"] and r["action"] == action]


def results(job_id: str) -> list[str]:
    """How each replay of the job ended, as its audit trail says."""
    return sorted(r["outcome"] for r in audit.entries()
                  if job_id in r["target"] and r["action"] == "replay result")  # fmt: skip


def test_a_job_runs_to_the_end_with_no_page_open(
    configured: Sandbox, dead: tuple[str, list[str]]
) -> None:
    endpoint_id, msgs = dead
    job_id = new_job(endpoint_id, msgs)
    assert jobs.work_once() is True
    job = store.job(job_id)
    assert job is not None and (job["state"], job["done"], job["queued"]) == ("finished", 4, 4)
    assert [attempts(configured, m) for m in msgs] == [6, 6, 6, 6]  # exactly one replay each
    assert len(replays(job_id)) == 4  # and an audit row for each
    # Finished means every replay's attempt ended, and the job says how: in its counts, per
    # message, and in the audit trail.
    assert (job["delivered"], job["failed_again"], job["unresolved"]) == (4, 0, 0)
    assert [m["result"] for m in store.job_messages(job_id)] == ["delivered"] * 4
    assert results(job_id) == ["delivered (200)"] * 4
    assert jobs.work_once() is False  # nothing left to do


def test_a_job_taken_over_after_a_crash_replays_nothing_twice(
    configured: Sandbox, dead: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint_id, msgs = dead
    job_id = new_job(endpoint_id, msgs)
    # A first worker claims the job, records two messages, sends the third and dies before
    # recording it; its lease then runs out.
    monkeypatch.setenv("ENVOY_JOB_LEASE_SECONDS", "0.2")
    first = store.claim_job("replica-a", 0.2)
    assert first is not None
    ctx = data.register(resolve_connection(), None)
    for m in msgs[:2]:
        data.replay(ctx, m, endpoint_id)
        assert store.record_outcome(job_id, "replica-a", m, "queued")
    data.replay(ctx, msgs[2], endpoint_id)
    wait_for(lambda: jobs.work_once(), timeout=10, what="another worker to take the job")
    job = store.job(job_id)
    assert job is not None and (job["state"], job["done"]) == ("finished", 4)
    assert [attempts(configured, m) for m in msgs] == [6, 6, 6, 6]
    assert not store.record_outcome(job_id, "replica-a", msgs[3], "queued")  # the dead owner


def test_a_job_backs_off_on_429_and_counts_it(
    configured: Sandbox, dead: tuple[str, list[str]]
) -> None:
    endpoint_id, msgs = dead
    job_id = new_job(endpoint_id, msgs[:2])
    configured.fault(route="/webhooks/messages/*/replay", status=429, retry_after=0, remaining=2)
    assert jobs.work_once()
    job = store.job(job_id)
    assert job is not None and (job["state"], job["queued"], job["rate_limited"]) == (
        "finished", 2, 2)  # fmt: skip


def test_a_cancelled_job_stops(configured: Sandbox, dead: tuple[str, list[str]]) -> None:
    endpoint_id, msgs = dead
    job_id = new_job(endpoint_id, msgs)
    store.request_cancel(job_id)
    jobs.work_once()
    job = store.job(job_id)
    assert job is not None and job["state"] == "cancelled" and job["done"] == 0
    assert [attempts(configured, m) for m in msgs] == [5, 5, 5, 5]


def test_deliveries_starts_a_job_and_activity_shows_it(
    configured: Sandbox, dead: tuple[str, list[str]]
) -> None:
    endpoint_id, _ = dead
    at = open_page("views/delivery_log.py", endpoint_id=endpoint_id, window="all")
    at.button(key="bulk_count").click()
    run_app(at)
    assert "4 messages" in texts(at)
    at.text_input(key="bulk_reason").input("receiver was down, ticket 7")
    at.button(key="bulk_go").click()
    run_app(at)
    (job,) = [j for j in store.jobs() if j["endpoint_id"] == endpoint_id]
    assert job["state"] == "queued" and job["total"] == 4
    jobs.work_once()  # what a console process's worker does in the background
    at = open_page("views/activity_log.py")
    shown = frame_with(at, "Progress")
    assert list(shown["State"])[:1] == ["finished"] and list(shown["Done"])[:1] == ["4 of 4"]
    assert "receiver was down, ticket 7" in set(frame_with(at, "Action")["Reason"])


def test_a_job_against_a_receiver_still_down_finishes_with_failures_said(
    configured: Sandbox, dead: tuple[str, list[str]]
) -> None:
    endpoint_id, msgs = dead
    receiver = configured.client.webhooks.retrieve_endpoint(endpoint_id).url.rsplit("/", 1)[-1]
    configured.set_receiver(receiver, "down")
    job_id = new_job(endpoint_id, msgs)
    assert jobs.work_once()
    job = store.job(job_id)
    assert job is not None and job["state"] == "finished"
    assert (job["delivered"], job["failed_again"], job["unresolved"]) == (0, 4, 0)
    # Each replay's end is what the API says of its attempt, and the audit trail says it too.
    for m in msgs:
        newest = configured.client.webhooks.list_message_attempts(m)[-1]
        assert (newest.attempt, newest.status, newest.response_status_code) == (6, "DEAD", 503)
    words = "failed again: 503 from the receiver, no retries left"
    assert results(job_id) == [words] * 4
    assert [m["result_detail"] for m in store.job_messages(job_id)] == [words] * 4
    # On screen: not green, the failures counted, and each message's end.
    at = open_page("views/delivery_log.py", endpoint_id=endpoint_id, window="all")
    (title,) = [e.label for e in at.expander if "Job of" in e.label]
    assert ":orange[finished with failures]" in title
    assert "4 failed again (503 from the receiver)" in title.replace("\\", "")
    shown = frame_with(at, "What became of the replay")
    assert list(shown["What became of the replay"]) == [words] * 4
    assert list(frame_with(at, "Failed again")["State"]) == ["finished with failures"]


def test_a_replay_with_no_end_within_the_bound_is_unresolved(
    configured: Sandbox, dead: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint_id, msgs = dead
    api = configured.client.webhooks
    api.update_endpoint(endpoint_id, status="PAUSED")  # replays wait, PENDING, for ever
    monkeypatch.setenv("ENVOY_JOB_FOLLOW_SECONDS", "0.5")
    job_id = new_job(endpoint_id, msgs[:2])
    try:
        assert jobs.work_once()
    finally:
        api.update_endpoint(endpoint_id, status="ACTIVE")
    job = store.job(job_id)
    assert job is not None and (job["state"], job["unresolved"], job["delivered"]) == (
        "finished", 2, 0)  # fmt: skip
    assert results(job_id) == ["unresolved: no end within 0.5 s (still PENDING)"] * 2
