"""The one language's rules, without a page: enumerations as words, the one time format (and its
strftime, d3 and moment.js spellings agreeing), durations and ages, and the colour of each "last
heard" sentence by what it means."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from components.domain import deliveries, doctor, formats, rules, story
from components.domain.formats import (
    TIME_FORMAT,
    TIME_TEXT,
    attempt_words,
    duration,
    interval,
    span,
    when,
    words,
)
from envoy_api import (
    AttemptStatus,
    CallStatus,
    DeliveryAttempt,
    EquipmentType,
    EscalationStatus,
    EventPayload,
    Load,
    WebhookEndpoint,
)

T0 = datetime(2026, 12, 4, 13, 54, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("CUSTOMER_REQUEST", "Customer request"),
        ("CARRIER_SALES", "Carrier sales"),
        ("APPOINTMENT_SCHEDULING", "Appointment scheduling"),
        ("REEFER", "Reefer"),
        ("STEP_DECK", "Step deck"),
        ("POWER_ONLY", "Power only"),
        ("NO_ANSWER", "No answer"),
        ("TIMED_OUT", "Timed out"),
        ("in_transit", "In transit"),
        ("email_outreach", "Email outreach"),
        ("IN PROGRESS", "In progress"),
        # Abbreviations said as letters stay in capitals, alone or within a value.
        ("FTL", "FTL"),
        ("LTL", "LTL"),
        ("ltl", "LTL"),
        ("api", "API"),
        ("ok", "OK"),
        ("LOAD_ID", "Load ID"),
        ("EDI_BRIDGE", "EDI bridge"),
        # Already words: kept, the first letter capitalized.
        ("In Transit", "In Transit"),
        ("Check Call", "Check Call"),
        ("bulk replay", "Bulk replay"),
        ("failed: EnvoyError: endpoint_id unknown", "Failed: EnvoyError: endpoint_id unknown"),
        # Nothing to say.
        (None, ""),
        ("", ""),
        ("   ", ""),
    ],
)
def test_words(raw: str | None, shown: str) -> None:
    assert words(raw) == shown


def test_words_inside_a_sentence_keeps_its_first_letter_small_but_acronyms_big() -> None:
    assert words("PAUSED", capital=False) == "paused"
    assert words("failed_verifications", capital=False) == "failed verifications"
    assert words("FTL", capital=False) == "FTL"
    assert words("In Transit", capital=False) == "In Transit"


def test_every_known_enumeration_reads_as_words() -> None:
    for enum in (AttemptStatus, CallStatus, EquipmentType, EscalationStatus):
        for value in enum:
            said = words(value)
            assert not re.search(r"[A-Z]{2,}|_", said), (value, said)


def test_attempt_statuses_say_what_happened_to_the_message() -> None:
    assert [attempt_words(s) for s in ("SUCCEEDED", "FAILED", "DEAD", "PENDING", "SENDING")] == [
        "Delivered", "Failed, will retry", "Dead", "Queued", "Sending"]  # fmt: skip
    assert attempt_words("PENDING", had_failure=True) == "Failed, will retry"
    assert attempt_words("ON_HOLD") == "On hold"  # one the console does not know
    assert attempt_words(None) == ""


def test_attempt_words_keep_their_colours_by_meaning() -> None:
    for status, colour in formats.STATUS_COLORS.items():
        assert formats.status_color(status) == colour
        assert formats.status_color(attempt_words(status)) == colour
    assert formats.status_color("Sideways") == formats.NEUTRAL


def test_the_message_tables_show_statuses_as_words() -> None:
    attempts = [
        DeliveryAttempt(id=f"a{k}", message_id="msg_1", attempt=k, status=s, created_at=T0)
        for k, s in enumerate(("FAILED", "PENDING"), start=1)
    ]
    (state,) = deliveries.message_states(attempts)
    assert state.label == "Failed, will retry"
    assert list(deliveries.attempts_frame(attempts)["Status"]) == ["Failed, will retry", "Queued"]
    assert list(deliveries.messages_frame([state], {})["Status"]) == ["Failed, will retry"]


def test_one_time_format_with_no_leading_zero() -> None:
    assert when(T0) == "Dec 4, 13:54"
    assert when(T0, seconds=True) == "Dec 4, 13:54:07"
    assert when(T0.replace(day=14, hour=9, minute=5)) == "Dec 14, 09:05"
    assert when(None) == formats.UNKNOWN_TIME and when(None, "—") == "—"


def test_the_strftime_d3_and_moment_spellings_write_the_same_text() -> None:
    """d3 reads ``TIME_TEXT`` as strftime does (``%-d``: the day unpadded); moment.js's
    ``TIME_FORMAT`` writes month, unpadded day, padded 24-hour time, the same way."""
    assert TIME_TEXT == "%b %-d, %H:%M" and TIME_FORMAT == "MMM D, HH:mm"
    moment = {"MMM": "%b", "D": "%-d", "HH": "%H", "mm": "%M"}
    assert re.sub(r"MMM|D|HH|mm", lambda m: moment[m.group()], TIME_FORMAT) == TIME_TEXT
    assert formats.TIME_SECONDS == TIME_TEXT + ":%S"
    assert TIME_TEXT.startswith(formats.DAY_TEXT)


def test_a_range_says_its_day_once() -> None:
    start = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
    assert span(start, start + timedelta(hours=2)) == "Dec 5, 11:00 – 13:00"
    assert span(start, start + timedelta(hours=14)) == "Dec 5, 11:00 – Dec 6, 01:00"
    assert span(start, None) == "Dec 5, 11:00"
    assert span(None, None, "—") == "—"


def test_durations_ages_and_intervals() -> None:
    assert duration(59.6) == "1:00" and duration(125) == "2:05" and duration(None) == ""
    assert formats.age(T0 - timedelta(hours=3, minutes=12), T0) == "3 h 12 min"
    assert formats.age(T0 - timedelta(days=2, hours=4), T0) == "2 d 4 h"
    assert formats.age(None) == ""
    assert interval(45) == "45 s" and interval(10_800) == "3 h 0 min"
    assert interval(3 * 86_400) == "3 d 0 h"


def test_no_module_formats_times_or_durations_its_own_way() -> None:
    """The doctor's clock skew and a retry's time read as everywhere else."""
    assert doctor._span(3 * 86_400 + 60) == interval(3 * 86_400 + 60)
    failed = DeliveryAttempt(id="a1", message_id="msg_1", attempt=1, status="FAILED",
                             response_status_code=503, next_attempt_at=T0)  # fmt: skip
    ending = rules.ending(failed)
    assert ending is not None and ending.words.endswith("Envoy retries at Dec 4, 13:54:07")


# ---- the colour of what each receiver last heard ----

EP = WebhookEndpoint(id="ep_portal", url="https://portal.example/hook", description="Portal")
LOAD = Load(id="load_1", load_number="LD1", load_status="In Transit", organization_id="org_a",
            created_at=T0, updated_at=T0)  # fmt: skip


def change(n: int, to: str, *statuses: str) -> list[DeliveryAttempt]:
    at = T0 + timedelta(hours=n)
    payload = EventPayload(id=f"evt_{n}", type="load.status_changed", timestamp=at,
                           data={"load_id": "load_1", "to_status": to})  # fmt: skip
    return [DeliveryAttempt(id=f"a_{n}_{k}", message_id=f"msg_{n}", endpoint_id=EP.id,
                            attempt=k, status=s, created_at=at, payload=payload)
            for k, s in enumerate(statuses, start=1)]  # fmt: skip


def heard(*attempts: list[DeliveryAttempt]) -> story.Heard:
    (result,) = story.last_heard(LOAD, story.messages(a for rows in attempts for a in rows), [EP])
    return result


def test_nothing_sent_is_neutral_not_a_success() -> None:
    h = heard()
    assert h.sentence == "Portal has been sent nothing about this load."
    assert h.tone == story.NEUTRAL


def test_each_sentence_is_coloured_by_what_it_means() -> None:
    told = change(1, "Covered", "SUCCEEDED")
    assert heard(told, change(2, "In Transit", "SUCCEEDED")).tone == story.GOOD
    assert heard(told, change(2, "In Transit", "PENDING")).tone == story.WAITING
    assert heard(told, change(2, "In Transit", "SENDING")).tone == story.WAITING
    assert heard(told, change(2, "In Transit", "FAILED")).tone == story.WARNING
    assert heard(told, change(2, "In Transit", "FAILED", "PENDING")).tone == story.WARNING
    assert heard(told, change(2, "In Transit", "FAILED", "DEAD")).tone == story.BAD
    # Told an old status, and the newer one was never sent to it: amber, not green.
    assert heard(told).tone == story.WARNING


def test_the_sentences_say_statuses_in_words() -> None:
    h = heard(change(1, "Covered", "SUCCEEDED"), change(2, "In Transit", "FAILED", "DEAD"))
    assert h.sentence.endswith("the newer load.status_changed → In Transit at Dec 4, 15:54 has "
                               "not arrived (dead).")  # fmt: skip
    assert not re.search(r"\b[A-Z]{3,}\b", h.sentence)
