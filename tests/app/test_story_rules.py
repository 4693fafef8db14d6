"""The story's rules on crafted deliveries: which receiver is up to date, what it missed, what a
later delivered status change supersedes, and the one sentence that says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from components.domain import formats, story
from envoy_api import DeliveryAttempt, EventPayload, Load, WebhookEndpoint

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
EP = WebhookEndpoint(id="ep_portal", url="https://portal.example/hook?token=abc", description="")
LOAD = Load(id="load_1", load_number="LD1", load_status="In Transit", organization_id="org_a",
            created_at=T0, updated_at=T0)  # fmt: skip


def sent(n: int, kind: str, *statuses: str, **data: Any) -> list[DeliveryAttempt]:
    """The attempts of message ``n`` (an event ``n`` hours after T0), one per status."""
    at = T0 + timedelta(hours=n)
    payload = EventPayload(id=f"evt_{n}", type=kind, timestamp=at,
                           data={"load_id": "load_1", **data})  # fmt: skip
    return [
        DeliveryAttempt(id=f"atmp_{n}_{k}", message_id=f"msg_{n}", endpoint_id=EP.id, attempt=k,
                        status=s, created_at=at + timedelta(minutes=k), payload=payload)
        for k, s in enumerate(statuses, start=1)
    ]  # fmt: skip


def heard(*attempts: list[DeliveryAttempt], load: Load = LOAD) -> story.Heard:
    msgs = story.messages(a for rows in attempts for a in rows)
    (result,) = story.last_heard(load, msgs, [EP])
    return result


def change(n: int, to: str, *statuses: str) -> list[DeliveryAttempt]:
    return sent(n, "load.status_changed", *statuses, to_status=to)


def test_nothing_sent_is_said_and_counts_as_up_to_date() -> None:
    h = heard()
    assert h.sentence == "https://portal.example/hook has been sent nothing about this load."
    assert h.up_to_date  # the URL's token is not in the sentence


def test_a_newer_dead_status_is_named_against_the_last_one_heard() -> None:
    h = heard(change(1, "Covered", "SUCCEEDED"), change(2, "In Transit", "FAILED", "DEAD"))
    assert not h.up_to_date
    assert h.sentence == (
        "https://portal.example/hook last heard load.status_changed → Covered at Nov 29, 09:00; "
        "the newer load.status_changed → In Transit at Nov 29, 10:00 has not arrived (dead)."
    )
    assert [m.id for m in h.to_replay(include_superseded=False)] == ["msg_2"]


def test_a_failure_a_later_delivered_status_superseded_is_left_out_unless_asked() -> None:
    h = heard(change(1, "Covered", "DEAD"), change(2, "In Transit", "SUCCEEDED"))
    assert h.up_to_date
    assert h.sentence.startswith("https://portal.example/hook is up to date: last heard "
                                 "load.status_changed → In Transit")  # fmt: skip
    assert [m.id for m in h.superseded] == ["msg_1"]
    assert h.to_replay(include_superseded=False) == []
    assert [m.id for m in h.to_replay(include_superseded=True)] == ["msg_1"]


def test_a_receiver_told_an_old_status_with_nothing_newer_sent_is_not_up_to_date() -> None:
    h = heard(change(1, "Covered", "SUCCEEDED"))
    assert not h.up_to_date
    assert "the load is now In Transit and no newer status change was sent to it" in h.sentence


def test_other_missed_messages_are_counted_oldest_first() -> None:
    h = heard(
        change(1, "In Transit", "SUCCEEDED"),
        sent(2, "load.updated", "DEAD"),
        sent(3, "offer.created", "FAILED"),
        sent(4, "call.completed", "SUCCEEDED"),
    )
    assert not h.up_to_date
    assert "missed 2 messages about this load, the first load.updated at Nov 29, 10:00 (dead)" in (
        h.sentence
    )
    assert [m.id for m in h.to_replay(include_superseded=False)] == ["msg_2", "msg_3"]


def test_a_retry_in_flight_is_said_not_hidden() -> None:
    h = heard(change(1, "Covered", "SUCCEEDED"), change(2, "In Transit", "FAILED", "PENDING"))
    assert not h.up_to_date and h.missed == []
    assert h.sentence.endswith("has not arrived (failed, will retry).")


def test_the_timeline_has_one_status_entry_per_event_and_one_webhook_entry_per_message() -> None:
    other = WebhookEndpoint(id="ep_tms", url="https://tms.example/h", description="TMS")
    same_event = [
        a.model_copy(update={"id": a.id + "b", "message_id": "msg_1b", "endpoint_id": other.id})
        for a in change(1, "Covered", "SUCCEEDED")
    ]
    msgs = story.messages([*change(1, "Covered", "SUCCEEDED"), *same_event])
    entries = story.timeline([], [], [], story.message_entries(msgs, {"ep_tms": "TMS"}), [])
    assert [e.kind for e in entries] == ["Status", "Webhook", "Webhook"]
    assert entries[0].what == "→ Covered"
    assert formats.duration(125) == "2:05" and formats.duration(None) == ""


def test_the_swimlane_chart_is_built_once_for_the_same_entries_and_anew_when_they_change() -> None:
    from components.widgets import story_panel

    def entries(outcome: str) -> list[story.Entry]:
        return [story.Entry(T0 + timedelta(minutes=k), "Webhook", f"load.updated #{k}", "portal",
                            outcome, f"msg_{k}") for k in range(50)]  # fmt: skip

    first = story_panel.swimlanes(entries("Delivered"))
    assert story_panel.swimlanes(entries("Delivered")) is first  # a rerun draws the chart it has
    changed = story_panel.swimlanes(entries("Dead"))
    assert changed is not first
    assert set(changed.data["Colour"]) == {"Dead"} and set(first.data["Colour"]) == {"Delivered"}


def test_one_duration_format_in_the_story_the_calls_table_and_the_evidence_pack() -> None:
    """59.6 s read "1:00" in the story and "0:59" in the calls table before the one format."""
    from components.widgets import tables
    from envoy_api import Call

    call = Call.model_validate({
        "id": "call_1", "status": "COMPLETED", "call_start_time": T0.isoformat(),
        "call_end_time": (T0 + timedelta(seconds=59.6)).isoformat(),
    })  # fmt: skip
    assert formats.duration(call.duration_seconds) == "1:00"
    assert list(tables.calls_frame([call])["Duration"]) == ["1:00"]
    (entry,) = story.timeline([call], [], [], [], [])
    assert "1:00" in entry.what
