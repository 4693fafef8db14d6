"""Example payloads from the wire contract (docs/wire-contract.md) and Envoy's calls reference."""

from __future__ import annotations

from typing import Any

ORG = "org_1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
LOAD_ID = "load_9a8b7c6d-5e4f-3a2b-1c0d-9e8f7a6b5c4d"
EP_ID = "ep_2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
MSG_ID = "msg_3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"

# The seed reference page's example, verbatim.
CALL: dict[str, Any] = {
    "id": "call_3f8a1c2e-7b4d-4f9a-9d2e-1a2b3c4d5e6f",
    "status": "COMPLETED",
    "call_time": "2024-04-20T14:45:00Z",
    "created_at": "2024-04-20T14:45:00Z",
    "updated_at": "2024-04-20T14:51:00Z",
    "call_direction": "INBOUND",
    "phone_number": "+14155552671",
    "to_number": "+14155550001",
    "from_number": "+14155552671",
    "call_start_time": "2024-04-20T14:45:05Z",
    "call_end_time": "2024-04-20T14:50:30Z",
    "call_type": "Customer Support",
    "load_id": LOAD_ID,
    "organization_id": ORG,
    "created_by_id": "usr_0f1e2d3c-4b5a-6978-8c9d-0e1f2a3b4c5d",
    "recording_status": "AVAILABLE",
    "load_number": "LD123456789",
}

TAB_COUNTS_FLAT = {
    "all": 1240,
    "available": 310,
    "covered": 402,
    "in_transit": 288,
    "delivered": 240,
    "active_escalations": 12,
    "failed_verifications": 7,
}

TAB_COUNTS_LIST = {
    "tabs": [
        {"key": "all", "label": "All", "count": 1240},
        {"key": "active_escalations", "label": "Active Escalations", "count": 12},
        {"key": "on_hold", "label": None, "count": 3},
    ]
}

LOAD: dict[str, Any] = {
    "id": LOAD_ID,
    "load_number": "LD123456789",
    "organization_id": ORG,
    "equipment_type": "REEFER",
    "mode": "FTL",
    "load_status": "Dispatched",
    "weight": 42000,
    "posted_rate": 2450,
    "max_buy_rate": 2700,
    "is_posted": True,
    "carrier_name": "Blue Ridge Transport",
    "customer_name": "Acme Foods",
    "carrier_rep": {"type": "CarrierSalesRep", "first_name": "Dana", "last_name": "Lee"},
    "stops": [
        {"location": {"city": "Chicago", "state": "IL"}},
        {"location": {"city": "Dallas", "state": "TX"}, "type": "dropoff", "sequence": 2},
    ],
    "created_at": "2024-04-19T10:00:00Z",
    "updated_at": "2024-04-20T14:51:00Z",
}

MINIMAL_LOAD = {
    "id": LOAD_ID,
    "load_number": "LD1",
    "organization_id": ORG,
    "created_at": "2024-04-19T10:00:00Z",
    "updated_at": "2024-04-20T14:51:00Z",
}

VERIFICATION: dict[str, Any] = {
    "id": "5b1f0c3e-2a4d-4e6f-8a9b-0c1d2e3f4a5b",
    "source": "email_outreach",
    "created_at": "2024-04-20T13:00:00Z",
    "carrier_id": "car_6c2a1d4e-3b5f-4a7c-9d8e-1f2a3b4c5d6e",
    "status": "BLOCKED",
    "reasons": ["Insurance expired", "Missing W9 form"],
    "error_stage": "Verification",
    "error_message": "Carrier failed compliance checks",
    "carrier": {
        "id": "car_6c2a1d4e-3b5f-4a7c-9d8e-1f2a3b4c5d6e",
        "name": "Blue Ridge Transport",
        "mc_number": "MC123456",
        "dot_number": "1234567",
        "w9_on_file": False,
        "insurance_expiration": "2024-03-31",
    },
}

ESCALATION: dict[str, Any] = {
    "id": "esc_7d3b2e5f-4c6a-4b8d-8e9f-2a3b4c5d6e7f",
    "load_id": LOAD_ID,
    "agent_type": "CARRIER_SALES",
    "message": "Carrier asks for a higher rate than max buy",
    "status": "ACTIVE",
    "created_at": "2024-04-20T14:55:00Z",
    "call_id": "call_3f8a1c2e-7b4d-4f9a-9d2e-1a2b3c4d5e6f",
    "escalation_type": "RATE_NEGOTIATION",
    "response_message": None,
    "response_user_id": None,
    "responded_at": None,
    "resolved_at": None,
}

ENDPOINT: dict[str, Any] = {
    "id": EP_ID,
    "organization_id": ORG,
    "url": "https://broker.example.com/hooks/envoy",
    "description": "TMS sync",
    "event_types": ["load.created", "call.completed"],
    "headers": {"X-Source": "envoy"},
    "status": "ACTIVE",
    "disabled_reason": "",
    "created_at": "2024-04-01T00:00:00Z",
    "updated_at": "2024-04-01T00:00:00Z",
}

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

PAYLOAD = {
    "id": "evt_4e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7a8b",
    "type": "call.completed",
    "timestamp": "2024-04-20T14:51:00Z",
    "data": {"load_id": LOAD_ID, "load_number": "LD123456789", "call_id": CALL["id"]},
}

ATTEMPT: dict[str, Any] = {
    "id": "atmp_5f6a7b8c-9d0e-4f1a-8b2c-4d5e6f7a8b9c",
    "message_id": MSG_ID,
    "endpoint_id": EP_ID,
    "attempt": 2,
    "max_attempts": 5,
    "status": "FAILED",
    "next_attempt_at": "2024-04-20T15:00:00Z",
    "response_status_code": 503,
    "response_body_excerpt": "Service Unavailable",
    "error_message": None,
    "duration_ms": 412,
    "delivered_at": None,
    "created_at": "2024-04-20T14:52:00Z",
    "payload": PAYLOAD,
}

SUMMARY = {
    "id": MSG_ID,
    "endpoint_id": EP_ID,
    "latest_status": "PENDING",
    "attempt_count": 3,
    "last_response_status_code": 503,
    "created_at": "2024-04-20T14:51:00Z",
    "payload": PAYLOAD,
}

EVENT_TYPE = {
    "name": "call.completed",
    "description": "A call on a load ended.",
    "payload_schema": {"type": "object", "required": ["load_id"]},
}


def page(
    items: list[Any], *, page: int = 1, page_size: int = 20, total: int | None = None
) -> dict[str, Any]:
    total = len(items) if total is None else total
    pages = max(1, -(-total // page_size))
    return {
        "data": items,
        "pagination": {
            "page": page,
            "page_size": page_size,
            "total_count": total,
            "total_pages": pages,
            "has_next": page < pages,
            "has_prev": page > 1,
        },
    }
