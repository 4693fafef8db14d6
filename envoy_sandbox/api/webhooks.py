"""Webhooks: endpoints (register, read, change, delete, rotate), the event catalogue, and the
delivery history (attempts per endpoint and per message) with replay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from envoy_api import models as m
from envoy_api.ids import MAX_HEADER_VALUE, MAX_HEADERS, check_headers, check_url

from .. import store
from ..auth import Caller
from ..contract import ATTEMPT_STATUSES, EVENT_TYPE_NAMES, EVENT_TYPES, EndpointStatus
from ..db import Database, iso
from ..errors import APIError, error_responses, not_found
from .deps import (
    BODY_ERRORS,
    CALLER_ERRORS,
    ID_ERRORS,
    CallerDep,
    DbDep,
    PageNumber,
    PageSize,
    SenderDep,
    json_text,
    parse_id,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=error_responses(*CALLER_ERRORS))
WITH_ID = error_responses(*ID_ERRORS, *BODY_ERRORS)  # ids in the path; a body, if any
WITH_BODY = error_responses(*BODY_ERRORS)

# ---- bodies ----


def _check_types(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("must hold at least one event type")
    unknown = [t for t in value if t not in EVENT_TYPE_NAMES]
    if unknown:
        raise ValueError(f"unknown event type(s): {', '.join(unknown[:5])}")
    return list(dict.fromkeys(value))


# check_url's ValueError becomes a 422 naming "url".
Url = Annotated[str, Field(min_length=1, max_length=2083), AfterValidator(check_url)]
EventTypes = Annotated[list[str], AfterValidator(_check_types)]
Description = Annotated[str | None, Field(max_length=1000)]
# Values are typed Any so that a non-string value fails check_headers too: every refusal then
# names "headers" itself, not "headers.<name>". The schema still documents a string map.
Headers = Annotated[
    dict[str, Any] | None,
    AfterValidator(check_headers),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "object",
                    "additionalProperties": {"type": "string", "maxLength": MAX_HEADER_VALUE},
                    "maxProperties": MAX_HEADERS,
                },
                {"type": "null"},
            ],
            "description": "Custom headers added to every delivery; see the contract's limits.",
        }
    ),
]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url
    event_types: EventTypes
    description: Description = None
    headers: Headers = None


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description = None
    headers: Headers = None
    # DISABLED is the platform's to set (after repeated failures), never the caller's.
    status: Literal["ACTIVE", "PAUSED"] | None = None


class ReplayBody(BaseModel):
    endpoint_id: str = Field(min_length=1, max_length=100)


# ---- responses the client's models do not describe exactly ----


class CreatedWebhookEndpoint(m.WebhookEndpoint):
    """The register and rotate responses: the endpoint and its new signing secret."""

    signing_secret: str = Field(description="Shown in this response only: store it now.")


class RotatedWebhookEndpoint(CreatedWebhookEndpoint):
    previous_secret_expires_at: m.Timestamp = Field(
        description="Until then deliveries are signed with both the old and the new secret."
    )


# ---- lookups ----


def _endpoint(db: Database, who: Caller, endpoint_id: str) -> store.Row:
    eid = parse_id(endpoint_id, "ep", "endpoint_id")
    row = store.endpoint_row(db, who.org_id, eid)
    if row is None:
        raise not_found("webhook endpoint", "endpoint_id")
    return row


def _message(db: Database, who: Caller, message_id: str) -> store.Row:
    row = store.message_row(db, who.org_id, parse_id(message_id, "msg", "message_id"))
    if row is None:
        raise not_found("message", "message_id")
    return row


def _patch(body: dict[str, Any]) -> dict[str, Any]:
    """The fields a PATCH sets, checked; 422 names the first bad one."""
    if body.get("status") == EndpointStatus.DISABLED:
        raise APIError(
            422, "DISABLED is set only by the platform; use ACTIVE or PAUSED.", param="status"
        )
    try:
        patch = EndpointUpdate.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise APIError(422, f"{param}: {first['msg']}", param=param) from None
    given = patch.model_fields_set
    for field in ("url", "event_types", "status"):
        if field in given and getattr(patch, field) is None:
            raise APIError(422, f"{field} cannot be null.", param=field)
    return {field: getattr(patch, field) for field in given}


def _attempt_filter(
    status: list[str] | None,
    event_type: str | None,
    load_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> store.AttemptFilter:
    statuses = tuple(s.upper() for s in status or [] if s)
    bad = [s for s in statuses if s not in ATTEMPT_STATUSES]
    if bad:
        raise APIError(422, f"Unknown status '{bad[0]}'.", param="status")
    return store.AttemptFilter(
        statuses=statuses,
        event_type=event_type or None,
        load_id=parse_id(load_id, "load", "load_id") if load_id else None,
        since=_time_bound(since, "since"),
        until=_time_bound(until, "until"),
    )


# The years a since/until may name once in UTC: before 1970 nothing was sent, and past 9999
# (or before year 1) the value has no stored form at all.
TIME_BOUND_YEARS = (1970, 9999)


def _time_bound(value: datetime | None, param: str) -> str | None:
    """A since/until in stored form; 422 without a zone or outside ``TIME_BOUND_YEARS``.

    Without a zone the moment is a guess (the client's local time or UTC?), so it is refused.
    """
    if value is None:
        return None
    if value.utcoffset() is None:
        raise APIError(422, f"{param}: give a time zone, e.g. 2024-04-20T14:45:00Z.", param=param)
    first, last = TIME_BOUND_YEARS
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is in year 0 in UTC
        utc = None
    if utc is None or not first <= utc.year <= last:
        raise APIError(
            422, f"{param}: must lie within the years {first}–{last} in UTC.", param=param
        )
    return iso(utc)


# ---- endpoints ----


@router.get("/endpoints", response_model=m.Page[m.WebhookEndpoint])
def list_webhook_endpoints(
    who: CallerDep, db: DbDep, page: PageNumber = 1, page_size: PageSize = 20
) -> Response:
    return json_text(store.list_endpoints(db, who.org_id, page, page_size))


@router.post(
    "/endpoints", status_code=201, response_model=CreatedWebhookEndpoint, responses=WITH_BODY
)
def create_webhook_endpoint(who: CallerDep, db: DbDep, body: EndpointCreate) -> JSONResponse:
    created = store.create_endpoint(
        db, who.org_id, body.url, body.event_types, body.description, body.headers
    )
    return JSONResponse(created, status_code=201)


@router.get("/endpoints/{endpoint_id}", response_model=m.WebhookEndpoint, responses=WITH_ID)
def get_webhook_endpoint(who: CallerDep, db: DbDep, endpoint_id: str) -> JSONResponse:
    return JSONResponse(store.endpoint_json(_endpoint(db, who, endpoint_id)))


@router.patch("/endpoints/{endpoint_id}", response_model=m.WebhookEndpoint, responses=WITH_ID)
def update_webhook_endpoint(
    who: CallerDep,
    db: DbDep,
    sender: SenderDep,
    endpoint_id: str,
    # A plain object, checked by _patch: DISABLED gets its own message before the model's
    # checks, and an explicit null is told apart from an omitted field.
    body: Annotated[dict[str, Any], Body()],
) -> JSONResponse:
    row = _endpoint(db, who, endpoint_id)
    changes = _patch(body)
    updated = store.update_endpoint(db, row["id"], changes)
    if changes.get("status") == EndpointStatus.ACTIVE:
        sender.wake.set()  # resumed: send what was held without waiting for the next poll
    return JSONResponse(updated)


@router.delete("/endpoints/{endpoint_id}", status_code=204, responses=WITH_ID)
def delete_webhook_endpoint(who: CallerDep, db: DbDep, endpoint_id: str) -> Response:
    store.delete_endpoint(db, _endpoint(db, who, endpoint_id)["id"])
    return Response(status_code=204)


@router.post(
    "/endpoints/{endpoint_id}/rotate-secret",
    response_model=RotatedWebhookEndpoint,
    responses=WITH_ID,
)
def rotate_webhook_endpoint_secret(
    who: CallerDep,
    db: DbDep,
    endpoint_id: str,
    body: Annotated[dict[str, Any] | None, Body()] = None,  # accepted and ignored
) -> JSONResponse:
    return JSONResponse(store.rotate_secret(db, _endpoint(db, who, endpoint_id)["id"]))


@router.get("/event-types", response_model=list[m.EventType])
def list_webhook_event_types(who: CallerDep) -> JSONResponse:
    return JSONResponse(EVENT_TYPES)


# ---- deliveries ----


@router.get(
    "/endpoints/{endpoint_id}/messages",
    response_model=m.Page[m.DeliveryAttempt],
    responses=WITH_ID,  # a load_id filter that is not a load id is a 400 too
)
def list_webhook_endpoint_messages(
    who: CallerDep,
    db: DbDep,
    endpoint_id: str,
    status: Annotated[list[str] | None, Query()] = None,
    event_type: Annotated[str | None, Query(max_length=100)] = None,
    load_id: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response:
    row = _endpoint(db, who, endpoint_id)
    where = _attempt_filter(status, event_type, load_id, since, until)
    return json_text(store.list_attempts(db, row["id"], where, page, page_size))


@router.get(
    "/messages/{message_id}/attempts", response_model=list[m.DeliveryAttempt], responses=WITH_ID
)
def list_webhook_message_attempts(who: CallerDep, db: DbDep, message_id: str) -> Response:
    return json_text(store.message_attempts(db, _message(db, who, message_id)["id"]))


@router.post(
    "/messages/{message_id}/replay",
    status_code=202,
    response_model=m.MessageSummary,
    responses=WITH_ID,
)
def replay_webhook_message(
    who: CallerDep, db: DbDep, sender: SenderDep, message_id: str, body: ReplayBody
) -> Response:
    msg = _message(db, who, message_id)
    if parse_id(body.endpoint_id, "ep", "endpoint_id") != msg["endpoint_id"]:
        raise APIError(404, "That message was not sent to that endpoint.", param="endpoint_id")
    summary = store.replay(db, msg)
    sender.wake.set()
    return json_text(summary, status=202)
