"""Typed models for every object in the Envoy wire contract.

They tolerate the real world: extra fields are kept, optional fields may be missing, and enum-like
fields are typed ``str`` so a value Envoy never documented still parses. The known values live in
the ``StrEnum`` classes below for the UI to use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
)

__all__ = [
    "AttemptStatus",
    "Call",
    "CallDirection",
    "CallStatus",
    "Carrier",
    "CarrierVerification",
    "Contact",
    "DeliveryAttempt",
    "EndpointStatus",
    "EnvoyModel",
    "EquipmentType",
    "Escalation",
    "EscalationStatus",
    "EventPayload",
    "EventType",
    "Load",
    "LoadTab",
    "Location",
    "MessageSummary",
    "Page",
    "Pagination",
    "Stop",
    "Tab",
    "TabCounts",
    "Timestamp",
    "WebhookEndpoint",
    "WebhookEndpointWithSecret",
]


def _aware(value: datetime) -> datetime:
    """Treat a naive timestamp as UTC, as the contract says every time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Timestamp = Annotated[datetime, AfterValidator(_aware)]


class EnvoyModel(BaseModel):
    """Shared base: keeps unknown fields and allows construction by field name."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# ---- known enum values (fields stay ``str`` so unknown values still parse) ----


class LoadTab(StrEnum):
    ALL = "all"
    AVAILABLE = "available"
    COVERED = "covered"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    ACTIVE_ESCALATIONS = "active_escalations"
    FAILED_VERIFICATIONS = "failed_verifications"


TAB_LABELS: dict[str, str] = {
    "all": "All",
    "available": "Available",
    "covered": "Covered",
    "in_transit": "In transit",
    "delivered": "Delivered",
    "active_escalations": "Active escalations",
    "failed_verifications": "Failed verifications",
}


def tab_label(key: str) -> str:
    """Display label for a tab key; unknown keys are title-cased."""
    return TAB_LABELS.get(key) or key.replace("_", " ").replace("-", " ").strip().capitalize()


class EquipmentType(StrEnum):
    VAN = "VAN"
    REEFER = "REEFER"
    FLATBED = "FLATBED"
    STEP_DECK = "STEP_DECK"
    POWER_ONLY = "POWER_ONLY"


class CallStatus(StrEnum):
    COMPLETED = "COMPLETED"
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    FAILED = "FAILED"
    NO_ANSWER = "NO_ANSWER"
    VOICEMAIL = "VOICEMAIL"
    TRANSFERRED = "TRANSFERRED"


class CallDirection(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class EscalationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RESPONDED = "RESPONDED"
    TIMED_OUT = "TIMED_OUT"
    CANCELLED = "CANCELLED"


class EndpointStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    DISABLED = "DISABLED"


class AttemptStatus(StrEnum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    DEAD = "DEAD"


# ---- paging ----


class Pagination(EnvoyModel):
    page: int = 1
    page_size: int = 20
    total_count: int = 0
    total_pages: int = 0
    has_next: bool = False
    has_prev: bool = False


T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    """One page of a paginated list; ``iter_all()`` walks this page and every later one."""

    model_config = ConfigDict(extra="allow")

    data: list[T]
    pagination: Pagination = Field(default_factory=Pagination)
    _fetch_page: Callable[[int], Page[T]] | None = PrivateAttr(default=None)

    def iter_all(self) -> Iterator[T]:
        """Yield every item from this page on, fetching the following pages as needed."""
        page: Page[T] = self
        while True:
            yield from page.data
            if not page.pagination.has_next or page._fetch_page is None or not page.data:
                return
            fetch = page._fetch_page
            page = fetch(page.pagination.page + 1)
            page._fetch_page = fetch


# ---- loads ----


class Location(EnvoyModel):
    city: str | None = None
    state: str | None = None


class Stop(EnvoyModel):
    location: Location = Field(default_factory=Location)
    type: str | None = None
    sequence: int | None = None
    appointment_start: Timestamp | None = None
    appointment_end: Timestamp | None = None


class Contact(EnvoyModel):
    type: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Load(EnvoyModel):
    id: str
    load_number: str
    organization_id: str
    created_at: Timestamp
    updated_at: Timestamp
    equipment_type: str | None = None
    mode: str | None = None
    load_status: str | None = None
    tms_status: str | None = None
    tms_load_id: str | None = None
    external_id: str | None = None
    weight: float | None = None
    distance: float | None = None
    commodity: str | None = None
    po_numbers: list[str] | None = None
    posted_rate: int | None = None
    max_buy_rate: int | None = None
    suggested_market_rate: int | None = None
    length_feet: float | None = None
    special_instructions: list[str] | None = None
    is_posted: bool = False
    temperature_setting_minimum: float | None = None
    temperature_setting_maximum: float | None = None
    temperature_run_type: str | None = None
    last_reported_city: str | None = None
    last_reported_state: str | None = None
    last_reported_lat: float | None = None
    last_reported_long: float | None = None
    tms_carrier_id: str | None = None
    carrier_name: str | None = None
    customer_name: str | None = None
    carrier_rep: Contact | None = None
    driver: Contact | None = None
    stops: list[Stop] | None = None
    offer_count: int | None = None
    max_offer_amount: float | None = None

    @property
    def origin(self) -> Stop | None:
        return self.stops[0] if self.stops else None

    @property
    def destination(self) -> Stop | None:
        return self.stops[-1] if self.stops else None


class Tab(EnvoyModel):
    key: str
    label: str
    count: int


class TabCounts(EnvoyModel):
    """Tab counts in the API's display order, each with a display label.

    Accepts both wire shapes: ``{"all": 12, ...}`` and ``{"tabs": [{key, label, count}]}``.
    """

    tabs: list[Tab] = Field(default_factory=list)

    @classmethod
    def from_wire(cls, body: Any) -> TabCounts:
        if isinstance(body, dict) and isinstance(body.get("tabs"), list):
            tabs = []
            for item in body["tabs"]:
                key = str(item.get("key"))
                label = item.get("label") or tab_label(key)
                tabs.append(Tab(key=key, label=str(label), count=int(item.get("count") or 0)))
            return cls(tabs=tabs)
        if isinstance(body, dict):
            # Numbers only: a field a newer API adds beside the counts is not a tab.
            return cls(
                tabs=[
                    Tab(key=str(k), label=tab_label(str(k)), count=int(v))
                    for k, v in body.items()
                    if isinstance(v, int | float) and not isinstance(v, bool)
                ]
            )
        raise ValueError("tab counts must be a JSON object")

    def __getitem__(self, key: str) -> int:
        for tab in self.tabs:
            if tab.key == key:
                return tab.count
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return any(tab.key == key for tab in self.tabs)

    def __len__(self) -> int:
        return len(self.tabs)

    def keys(self) -> list[str]:
        return [tab.key for tab in self.tabs]

    def items(self) -> list[tuple[str, int]]:
        return [(tab.key, tab.count) for tab in self.tabs]

    def label(self, key: str) -> str:
        for tab in self.tabs:
            if tab.key == key:
                return tab.label
        return tab_label(key)

    def as_dict(self) -> dict[str, int]:
        return dict(self.items())


# ---- calls, verifications, escalations ----


class Call(EnvoyModel):
    id: str
    status: str
    call_time: Timestamp | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    call_direction: str | None = None
    phone_number: str | None = None
    to_number: str | None = None
    from_number: str | None = None
    call_start_time: Timestamp | None = None
    call_end_time: Timestamp | None = None
    call_type: str | None = None
    load_id: str | None = None
    organization_id: str | None = None
    created_by_id: str | None = None
    recording_status: str | None = None
    load_number: str | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.call_start_time and self.call_end_time:
            return (self.call_end_time - self.call_start_time).total_seconds()
        return None


class Carrier(EnvoyModel):
    id: str | None = None
    name: str | None = None
    mc_number: str | None = None
    dot_number: str | None = None
    email: str | None = None
    phone: str | None = None
    dispatcher_name: str | None = None
    dispatcher_phone: str | None = None
    dispatcher_email: str | None = None
    is_active: bool | None = None
    provider: str | None = None
    ingestion_method: str | None = None
    equipment_types: list[str] | None = None
    insurance_expiration: str | None = None
    w9_on_file: bool | None = None
    authorized_for_hire: bool | None = None
    on_time_pickup_pct: float | None = None
    on_time_delivery_pct: float | None = None
    tracking_compliance_pct: float | None = None
    avg_response_time_min: float | None = None
    total_loads_hauled: int | None = None
    is_onboarded: bool | None = None
    carrier_rep_user_id: str | None = None
    carrier_rep_name: str | None = None
    carrier_rep_email: str | None = None
    is_verified: bool | None = None
    verified_date: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class CarrierVerification(EnvoyModel):
    id: str  # a bare uuid: verification rows carry no prefix
    status: str
    created_at: Timestamp | None = None
    source: str | None = None
    carrier_id: str | None = None
    reasons: list[str] = Field(default_factory=list)
    error_stage: str | None = None
    error_message: str | None = None
    carrier: Carrier | None = None

    @field_validator("reasons", mode="before")
    @classmethod
    def _reasons(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value


class Escalation(EnvoyModel):
    id: str
    status: str
    load_id: str | None = None
    agent_type: str | None = None
    message: str | None = None
    created_at: Timestamp | None = None
    call_id: str | None = None
    escalation_type: str | None = None
    response_message: str | None = None
    response_user_id: str | None = None
    responded_at: Timestamp | None = None
    resolved_at: Timestamp | None = None


# ---- webhooks ----


class WebhookEndpoint(EnvoyModel):
    id: str
    url: str
    event_types: list[str] = Field(default_factory=list)
    status: str = EndpointStatus.ACTIVE
    organization_id: str | None = None
    description: str | None = None
    headers: dict[str, Any] | None = None
    disabled_reason: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    @field_validator("disabled_reason", mode="before")
    @classmethod
    def _empty_reason(cls, value: Any) -> Any:
        # Envoy sends "" or null for "not disabled"; keep one meaning.
        return value or None


class WebhookEndpointWithSecret(WebhookEndpoint):
    """The register and rotate responses: the endpoint plus its signing secret, shown once."""

    signing_secret: SecretStr


class EventType(EnvoyModel):
    name: str
    description: str | None = None
    payload_schema: dict[str, Any] | None = None


class EventPayload(EnvoyModel):
    id: str | None = None
    type: str | None = None
    timestamp: Timestamp | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def load_id(self) -> str | None:
        value = self.data.get("load_id")
        return str(value) if value is not None else None

    @property
    def load_number(self) -> str | None:
        value = self.data.get("load_number")
        return str(value) if value is not None else None


class DeliveryAttempt(EnvoyModel):
    id: str
    message_id: str
    endpoint_id: str | None = None
    attempt: int = 1
    max_attempts: int | None = None
    status: str
    next_attempt_at: Timestamp | None = None
    response_status_code: int | None = None
    response_body_excerpt: str | None = None
    error_message: str | None = None
    duration_ms: float | None = None
    delivered_at: Timestamp | None = None
    created_at: Timestamp | None = None
    payload: EventPayload | None = None


class MessageSummary(EnvoyModel):
    id: str
    endpoint_id: str | None = None
    latest_status: str | None = None
    attempt_count: int | None = None
    last_response_status_code: int | None = None
    created_at: Timestamp | None = None
    payload: EventPayload | None = None
