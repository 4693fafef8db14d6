"""The sandbox's event catalogue (contract §2.5): names, descriptions, JSON Schemas of ``data``."""

from __future__ import annotations

from typing import Any


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
        "payload_schema": _schema(["offer_id"], offer_id=_STR, carrier_id=_STR, amount=_INT),
    },
    {
        "name": "offer.accepted",
        "description": "An offer on the load was accepted.",
        "payload_schema": _schema(["offer_id"], offer_id=_STR, carrier_id=_STR, amount=_INT),
    },
]

EVENT_TYPE_NAMES: list[str] = [e["name"] for e in EVENT_TYPES]
