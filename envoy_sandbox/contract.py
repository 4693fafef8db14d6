"""The contract's vocabulary, defined once: the API prefix, the demo organizations and users,
tab keys, statuses, the webhook event catalogue and the wire shapes of the ``/_sandbox`` routes.

Where ``envoy_api.models`` already names a set of values (tabs, statuses), it is re-exported
here instead of copied, so the client and the sandbox cannot drift apart. The seeder, the
routes, the sender and the ticker take their words from this module.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

# TypedDict from typing_extensions: pydantic (FastAPI's response models) needs it before 3.12.
from typing_extensions import TypedDict

from envoy_api.models import AttemptStatus, EndpointStatus, EscalationStatus, LoadTab

__all__ = [
    "API_PREFIX",
    "ATTEMPT_STATUSES",
    "ENDPOINT_STATUSES",
    "ESCALATION_STATUSES",
    "EVENT_TYPES",
    "EVENT_TYPE_NAMES",
    "LOAD_STATUS_TABS",
    "OPEN_ATTEMPT_STATUSES",
    "ORG_A",
    "ORG_B",
    "ORG_NAMES",
    "PASSED_VERIFICATION_STATUSES",
    "RECEIVER_MODES",
    "SOLO_EMAIL",
    "SOLO_USER_ID",
    "TAB_KEYS",
    "USER_ID",
    "AttemptStatus",
    "EmittedEvent",
    "EmittedMessage",
    "EndpointStatus",
    "EscalationStatus",
    "EventEmitted",
    "Fault",
    "FaultMutation",
    "FaultRule",
    "LoadTab",
    "Organization",
    "Receipt",
    "ReceiverLog",
    "ReceiverMode",
    "ReceiverSettings",
    "SandboxInfo",
    "SandboxStats",
]

API_PREFIX = "/api/v1"

# ---- the demo organizations and users ----

ORG_A = "org_0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ORG_B = "org_5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
ORG_NAMES = {ORG_A: "Lakeshore Logistics", ORG_B: "Pinecrest Freight"}
USER_ID = "usr_1f2e3d4c-5b6a-4978-8877-665544332211"  # the demo agent, in both organizations
SOLO_USER_ID = "usr_2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"  # a user of the second one only
SOLO_EMAIL = "solo@envoy.example"

# ---- value sets ----

# The tab-counts keys, in display order (contract §2.1).
TAB_KEYS: tuple[str, ...] = tuple(t.value for t in LoadTab)
# The tabs that are a load's status (a column of the load), not a counter over its children.
LOAD_STATUS_TABS: tuple[str, ...] = (
    LoadTab.AVAILABLE,
    LoadTab.COVERED,
    LoadTab.IN_TRANSIT,
    LoadTab.DELIVERED,
)
ATTEMPT_STATUSES: tuple[str, ...] = tuple(s.value for s in AttemptStatus)
# An attempt in one of these is still queued or on the wire: a replay reuses it.
OPEN_ATTEMPT_STATUSES: tuple[str, ...] = (AttemptStatus.PENDING, AttemptStatus.SENDING)
ENDPOINT_STATUSES: tuple[str, ...] = tuple(s.value for s in EndpointStatus)
ESCALATION_STATUSES: tuple[str, ...] = tuple(s.value for s in EscalationStatus)
# Verification outcomes that are not failures; every other status is listed as failed.
PASSED_VERIFICATION_STATUSES: tuple[str, ...] = ("VERIFIED", "PASSED", "APPROVED")

# ---- the event catalogue (contract §2.5): names, descriptions, JSON Schemas of ``data`` ----


def _schema(required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "load_id": {"type": "string", "pattern": "^load_[0-9a-f-]{36}$"},
        "load_number": {"type": "string"},
    }
    base.update(props)
    return {
        "type": "object",
        "required": ["load_id", "load_number", *required],
        "properties": base,
        "additionalProperties": True,
    }


_STR = {"type": "string"}
_INT = {"type": "integer"}
_OFFER = {"offer_id": _STR, "carrier_id": _STR, "amount": _INT}

EVENT_TYPES: list[dict[str, Any]] = [
    {
        "name": "load.created",
        "description": "A load was created in Envoy (from the TMS or by hand).",
        "payload_schema": _schema([], customer_name=_STR, origin=_STR, destination=_STR),
    },
    {
        "name": "load.updated",
        "description": "A load's details changed (rate, stops, equipment, notes).",
        "payload_schema": _schema([], changed_fields={"type": "array", "items": _STR}),
    },
    {
        "name": "load.status_changed",
        "description": "A load moved to another status (for example Covered → In Transit).",
        "payload_schema": _schema(["from_status", "to_status"], from_status=_STR, to_status=_STR),
    },
    {
        "name": "load.covered",
        "description": "A carrier was booked on the load.",
        "payload_schema": _schema(["carrier_id"], carrier_id=_STR, carrier_name=_STR, rate=_INT),
    },
    {
        "name": "call.completed",
        "description": "An AI voice agent's call about the load ended.",
        "payload_schema": _schema(
            ["call_id"], call_id=_STR, call_direction=_STR, status=_STR, duration_seconds=_INT
        ),
    },
    {
        "name": "call.recording_available",
        "description": "The recording of a call on the load can be played.",
        "payload_schema": _schema(["call_id"], call_id=_STR, recording_status=_STR),
    },
    {
        "name": "carrier.verification_failed",
        "description": "A carrier offered on the load failed vetting (insurance, authority, W9).",
        "payload_schema": _schema(
            ["carrier_id"], carrier_id=_STR, reasons={"type": "array", "items": _STR}
        ),
    },
    {
        "name": "escalation.created",
        "description": "An AI agent escalated the load to a human rep.",
        "payload_schema": _schema(["escalation_id"], escalation_id=_STR, message=_STR),
    },
    {
        "name": "escalation.resolved",
        "description": "A human rep answered or closed an escalation on the load.",
        "payload_schema": _schema(["escalation_id"], escalation_id=_STR, status=_STR),
    },
    {
        "name": "offer.created",
        "description": "A carrier made an offer on the load.",
        "payload_schema": _schema(["offer_id"], **_OFFER),
    },
    {
        "name": "offer.accepted",
        "description": "An offer on the load was accepted.",
        "payload_schema": _schema(["offer_id"], **_OFFER),
    },
]

EVENT_TYPE_NAMES: list[str] = [e["name"] for e in EVENT_TYPES]

# ---- the ``/_sandbox`` routes' wire shapes (the server documents them, SandboxExtras reads) ----

ReceiverMode = Literal["ok", "flaky", "down", "slow"]
RECEIVER_MODES: tuple[str, ...] = get_args(ReceiverMode)
FaultMutation = Literal["unknown_enum", "extra_fields", "missing_optional"]


class Organization(TypedDict):
    id: str
    name: str


class SandboxInfo(TypedDict):
    organizations: list[Organization]
    event_types: list[str]
    anchor: str | None  # the seed's "now": seeded times lie around it
    # organization id → story → load id: the seeded loads whose webhooks tell a story
    stories: dict[str, dict[str, str]]


class EmittedEvent(TypedDict):
    id: str
    type: str
    timestamp: str
    data: dict[str, Any]


class EmittedMessage(TypedDict):
    id: str
    endpoint_id: str


class EventEmitted(TypedDict):
    event: EmittedEvent
    messages: list[EmittedMessage]  # one per subscribed endpoint


class FaultRule(TypedDict, total=False):
    """What a fault matches and does; keys left out take the server's defaults."""

    route: str  # fnmatch pattern on the path, with or without the /api/v1 prefix
    method: str
    latency_ms: float
    status: int | None
    malformed: bool
    retry_after: int | None
    remaining: int | None  # used up after this many matching requests
    mutate: FaultMutation | None
    crash: bool  # raise an exception inside the app (a 500 the way a bug makes one)


class Fault(TypedDict):
    id: int
    route: str
    method: str
    latency_ms: float
    status: int | None
    malformed: bool
    retry_after: int | None
    remaining: int | None
    mutate: str | None
    crash: bool


class SandboxStats(TypedDict):
    total: int
    routes: dict[str, int]  # "GET /api/v1/loads/{load_id}" → requests since start or reset


class ReceiverSettings(TypedDict):
    name: str
    mode: ReceiverMode
    failure_rate: float | None


class Receipt(TypedDict):
    webhook_id: str | None
    verified: bool
    answered: int  # the status code the receiver answered with
    headers: dict[str, str]
    body: str
    received_at: str


class ReceiverLog(TypedDict):
    name: str
    mode: ReceiverMode
    failure_rate: float
    count: int
    distinct_webhook_ids: int
    received: list[Receipt]  # newest first
