"""A load's whole story, joined from what the console reads: one timeline of its calls, failed
verifications, escalations, webhook messages and console actions, and for each receiver what it
was last told about the load against what it should know.

Pure: no Streamlit and no API calls. The load page fetches; these functions join and explain.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from components.domain.deliveries import MessageState, message_states
from components.domain.formats import duration, when, words
from components.domain.rules import REPLAYABLE
from envoy_api import (
    Call,
    CarrierVerification,
    DeliveryAttempt,
    Escalation,
    EventPayload,
    Load,
    WebhookEndpoint,
)

# The timeline's kinds, in the order of the chart's swimlanes.
KINDS = ("Status", "Call", "Verification", "Escalation", "Webhook", "Console")
STATUS_EVENT = "load.status_changed"
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Message:
    """One webhook message about the load: its state, its event and every attempt, oldest first."""

    state: MessageState
    payload: EventPayload | None
    attempts: tuple[DeliveryAttempt, ...]

    @property
    def id(self) -> str:
        return self.state.message_id

    @property
    def endpoint_id(self) -> str:
        return self.state.endpoint_id or ""

    @property
    def event_type(self) -> str:
        return self.state.event_type or "unknown event"

    @property
    def at(self) -> datetime | None:
        """When the event happened (its timestamp), else when the message was first tried."""
        return (self.payload.timestamp if self.payload else None) or self.state.created_at

    @property
    def to_status(self) -> str | None:
        if self.event_type != STATUS_EVENT or self.payload is None:
            return None
        value = self.payload.data.get("to_status")
        return str(value) if value is not None else None

    @property
    def title(self) -> str:
        """``load.status_changed → In Transit``, or the event type."""
        return f"{self.event_type} → {words(self.to_status)}" if self.to_status else self.event_type

    @property
    def delivered(self) -> bool:
        return self.state.status == "SUCCEEDED"

    @property
    def missed(self) -> bool:
        return self.state.status in REPLAYABLE


def messages(attempts: Iterable[DeliveryAttempt]) -> list[Message]:
    """Attempts (any order, any endpoint) as messages, oldest event first."""
    by_id: dict[str, list[DeliveryAttempt]] = {}
    for a in attempts:
        by_id.setdefault(a.message_id, []).append(a)
    result = []
    for state in message_states(attempts for rows in by_id.values() for attempts in rows):
        rows = sorted(by_id[state.message_id], key=lambda a: a.attempt)
        payload = next((a.payload for a in reversed(rows) if a.payload), None)
        result.append(Message(state, payload, tuple(rows)))
    result.sort(key=lambda m: (m.at or _NEVER, m.id))
    return result


# ---- the timeline ----


@dataclass(frozen=True)
class Entry:
    """One thing that happened to the load."""

    at: datetime | None
    kind: str  # one of KINDS
    what: str
    who: str  # who or what did it
    outcome: str  # a status word, "" when the kind has none
    ref: str  # the id of the thing (call, verification, escalation, message, audit row)
    endpoint_id: str = ""  # for webhook entries: where the message went


def _call(c: Call) -> Entry:
    length = duration(c.duration_seconds)
    what = f"{words(c.call_direction)} {words(c.call_type, capital=False) or 'call'}".strip()
    what += f" · {length}" if length else ""
    return Entry(c.call_time or c.created_at, "Call", what, "AI voice agent", words(c.status), c.id)


def _verification(v: CarrierVerification) -> Entry:
    carrier = v.carrier.name if v.carrier else v.carrier_id or "a carrier"
    reasons = "; ".join(v.reasons or []) or (v.error_message or "")
    who = f"Vetting ({words(v.source, capital=False) or 'unknown source'})"
    what = f"{carrier} failed: {reasons}"
    return Entry(v.created_at, "Verification", what, who, words(v.status), v.id)


def _escalation(e: Escalation) -> Entry:
    what = f"{words(e.escalation_type) or 'Escalation'}: {e.message or ''}"
    who = f"{words(e.agent_type)} agent" if e.agent_type else "Agent"
    return Entry(e.created_at, "Escalation", what, who, words(e.status), e.id)


def _webhook(m: Message, names: dict[str, str]) -> Entry:
    where = names.get(m.endpoint_id, m.endpoint_id or "an endpoint")
    tries = f" · {m.state.attempts} attempts" if m.state.attempts > 1 else ""
    what = f"{m.title} to {where}{tries}"
    return Entry(m.at, "Webhook", what, "Envoy", m.state.label, m.id, m.endpoint_id)


def _status(m: Message) -> Entry:
    data = m.payload.data if m.payload else {}
    before = data.get("from_status")
    what = f"{words(before)} → {words(m.to_status)}" if before else f"→ {words(m.to_status)}"
    return Entry(
        m.at, "Status", what, "Envoy", "", m.payload.id if m.payload and m.payload.id else m.id
    )


def _console(row: dict[str, Any]) -> Entry:
    target = row.get("target") or "{}"
    try:
        subject = json.loads(target) if isinstance(target, str) else dict(target)
    except ValueError:
        subject = {}
    what = words(row["action"])
    if subject.get("message_id"):
        what += f" {subject['message_id']}"
    if row.get("reason"):
        what += f" · “{row['reason']}”"
    outcome = words(row["outcome"])
    return Entry(row["at"], "Console", what, row["actor"], outcome, f"audit:{row['id']}")


def message_entries(msgs: Sequence[Message], names: dict[str, str]) -> list[Entry]:
    """The timeline's entries made from webhook messages, oldest first: one per message, plus
    one per status change (an event sent to several endpoints is one change)."""
    entries = [_webhook(m, names) for m in msgs]
    seen: set[str] = set()
    for m in msgs:
        key = (m.payload.id if m.payload else None) or m.id
        if m.to_status and key not in seen:
            seen.add(key)
            entries.append(_status(m))
    entries.sort(key=_order)
    return entries


def _order(e: Entry) -> tuple[datetime, int, str]:
    return (e.at or _NEVER, KINDS.index(e.kind), e.ref)


def timeline(
    calls: Sequence[Call],
    verifications: Sequence[CarrierVerification],
    escalations: Sequence[Escalation],
    from_messages: Sequence[Entry],
    audit_rows: Sequence[dict[str, Any]],
) -> list[Entry]:
    """Everything about the load, oldest first: one entry per call, verification, escalation,
    webhook message (``message_entries``, sorted) and console action."""
    others = [_call(c) for c in calls]
    others += [_verification(v) for v in verifications]
    others += [_escalation(e) for e in escalations]
    others += [_console(r) for r in audit_rows]
    return list(heapq.merge(from_messages, sorted(others, key=_order), key=_order))


def record_of(
    entry: Entry | None,
    calls: Sequence[Call],
    verifications: Sequence[CarrierVerification],
    escalations: Sequence[Escalation],
    msgs: Sequence[Message],
    audit_rows: Sequence[dict[str, Any]],
) -> Any:
    """The full record behind a timeline entry, as JSON-ready data (None when it has none)."""
    if entry is None:
        return None
    if entry.kind == "Console":
        row = next((r for r in audit_rows if f"audit:{r['id']}" == entry.ref), None)
        return (
            {k: str(v) if isinstance(v, datetime) else v for k, v in row.items()} if row else None
        )
    if entry.kind in ("Webhook", "Status"):
        m = next(
            (m for m in msgs if entry.ref in (m.id, m.payload.id if m.payload else None)), None
        )
        return m.payload.model_dump(mode="json") if m and m.payload else None
    items: Sequence[Any] = {
        "Call": calls,
        "Verification": verifications,
        "Escalation": escalations,
    }.get(entry.kind, [])
    item = next((i for i in items if i.id == entry.ref), None)
    return item.model_dump(mode="json") if item is not None else None


# ---- what each receiver last heard ----


# The tone of a receiver's sentence, the colour it is shown in, by what it means: it has the
# latest (GOOD, green); what it lacks is queued or on the wire (WAITING, blue); a delivery
# failed and Envoy retries it, or a change was never sent to it (WARNING, amber); a delivery was
# given up (BAD, red); nothing about the load was sent to it (NEUTRAL, grey: not a success, and
# nothing wrong either).
GOOD, WAITING, WARNING, BAD, NEUTRAL = "good", "waiting", "warning", "bad", "neutral"


def tone_of(m: Message) -> str:
    """The tone of one message: green delivered, red given up (DEAD), amber while Envoy retries
    it, blue while it is queued or on the wire."""
    status = m.state.status
    if status == "SUCCEEDED":
        return GOOD
    if status == "DEAD":
        return BAD
    if status == "FAILED" or m.state.had_failure:
        return WARNING
    return WAITING if status in ("PENDING", "SENDING") else NEUTRAL


@dataclass(frozen=True)
class Heard:
    """What one endpoint was told about the load, and what it missed."""

    endpoint: WebhookEndpoint
    name: str
    sent: Message | None  # the newest message sent to it
    told: Message | None  # the newest status change it received
    missed: list[Message] = field(default_factory=list)  # FAILED/DEAD, oldest first
    superseded: list[Message] = field(default_factory=list)  # a later status change arrived
    sentence: str = ""
    up_to_date: bool = False  # nothing to do for it (sorted after those that need attention)
    tone: str = NEUTRAL  # GOOD, WAITING, WARNING, BAD or NEUTRAL: the sentence's colour

    def to_replay(self, *, include_superseded: bool) -> list[Message]:
        """What "replay what it missed" sends, oldest first."""
        if include_superseded:
            return list(self.missed)
        return _without(self.missed, self.superseded)


def safe_url(url: str) -> str:
    """The URL without user info, query or fragment: the parts that carry receivers' tokens."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def name_of(endpoint: WebhookEndpoint) -> str:
    """How the story names an endpoint: its description, else its URL without secrets."""
    return endpoint.description or safe_url(endpoint.url)


def last_heard(
    load: Load | None, msgs: Sequence[Message], endpoints: Sequence[WebhookEndpoint]
) -> list[Heard]:
    """One ``Heard`` per endpoint that was sent something about the load or subscribes to its
    status changes; those that need attention first."""
    by_endpoint: dict[str, list[Message]] = {}
    for m in msgs:  # already oldest first
        by_endpoint.setdefault(m.endpoint_id, []).append(m)
    result = []
    for ep in endpoints:
        mine = by_endpoint.get(ep.id, [])
        if mine or not ep.event_types or STATUS_EVENT in ep.event_types:
            result.append(_heard(ep, mine, load.load_status if load else None))
    result.sort(key=lambda h: (h.up_to_date, h.name))
    return result


def _without(msgs: list[Message], left_out: list[Message]) -> list[Message]:
    """``msgs`` but those in ``left_out``, by id: a load can have a thousand messages, and
    comparing them whole, each against every other, grows with the square of their number."""
    ids = {m.id for m in left_out}
    return [m for m in msgs if m.id not in ids]


def _after(m: Message, other: Message | None) -> bool:
    return other is None or (m.at or _NEVER) > (other.at or _NEVER)


def _heard(ep: WebhookEndpoint, mine: list[Message], current: str | None) -> Heard:
    name = name_of(ep)
    told = next((m for m in reversed(mine) if m.to_status and m.delivered), None)
    missed = [m for m in mine if m.missed]
    superseded = [m for m in missed if m.to_status and told is not None and not _after(m, told)]
    replay = _without(missed, superseded)
    sent = mine[-1] if mine else None
    newer = [m for m in mine if m.to_status and not m.delivered and _after(m, told)]
    if sent is None:
        sentence, ok, tone = f"{name} has been sent nothing about this load.", True, NEUTRAL
    elif newer:
        said = (
            f"{name} last heard {told.title} at {when(told.at)}"
            if told
            else f"{name} was never told this load's status"
        )
        latest = newer[-1]
        sentence, ok, tone = (
            f"{said}; the newer {latest.title} at {when(latest.at)} has not arrived "
            f"({latest.state.label.lower()}).",
            False,
            tone_of(latest),
        )
    elif told is not None and current and told.to_status != current:
        sentence, ok, tone = (
            (
                f"{name} last heard {told.title} at {when(told.at)}; the load is now "
                f"{words(current)} and no newer status change was sent to it."
            ),
            False,
            WARNING,
        )
    elif replay:
        first = replay[0]
        count = f"{len(replay)} message" + ("s" if len(replay) != 1 else "")
        sentence, ok, tone = (
            (
                f"{name} missed {count} about this load, the first {first.title} at "
                f"{when(first.at)} ({first.state.label.lower()})."
            ),
            False,
            BAD if any(tone_of(m) == BAD for m in replay) else WARNING,
        )
    else:
        last = told or next((m for m in reversed(mine) if m.delivered), sent)
        sentence = f"{name} is up to date: last heard {last.title} at {when(last.at)}."
        if last is not sent:
            sentence += f" The newer {sent.title} is {sent.state.label.lower()}."
        ok, tone = True, tone_of(last)
    return Heard(ep, name, sent, told, missed, superseded, sentence, ok, tone)
