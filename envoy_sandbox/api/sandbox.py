"""The sandbox's own routes (not Envoy's): what it holds, emitting events, injecting faults,
request statistics, and demo receivers that verify and log the webhooks sent to them."""

from __future__ import annotations

import asyncio
import random
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from .. import store
from ..contract import (
    EVENT_TYPE_NAMES,
    EventEmitted,
    Fault,
    FaultMutation,
    ReceiverLog,
    ReceiverMode,
    ReceiverSettings,
    SandboxInfo,
    SandboxStats,
)
from ..db import Database, dumps
from ..errors import APIError, error_responses
from ..limits import MAX_EVENT_DATA_BYTES, shown
from .deps import (
    BODY_ERRORS,
    CALLER_ERRORS,
    CallerDep,
    DbDep,
    FaultsDep,
    SenderDep,
    SettingsDep,
    StatsDep,
    get_caller,
)

# Every extra needs the sandbox's API key or a token, as /api/v1 does: they show what the
# receivers got (signed bodies), change what every caller is answered (faults) and reset state.
router = APIRouter(
    prefix="/_sandbox",
    tags=["sandbox"],
    dependencies=[Depends(get_caller)],
    responses=error_responses(*CALLER_ERRORS),
)
# Except a demo receiver's inbox: it plays a customer's server, which deliveries reach with a
# signature, not credentials.
open_router = APIRouter(prefix="/_sandbox", tags=["sandbox"])
WITH_BODY = error_responses(*BODY_ERRORS)


class SandboxEvent(BaseModel):
    type: str
    data: dict[str, Any] = Field(default_factory=dict)


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    route: str = "*"
    method: str = "*"
    latency_ms: float = Field(default=0, ge=0, le=60_000)
    status: int | None = Field(default=None, ge=100, le=599)
    malformed: bool = False
    retry_after: int | None = Field(default=None, ge=0)
    remaining: int | None = Field(default=None, ge=1)
    mutate: FaultMutation | None = None
    crash: bool = False


class ReceiverConfig(BaseModel):
    mode: ReceiverMode
    failure_rate: float | None = Field(default=None, ge=0, le=1)


@router.get("/info")
def sandbox_info(db: DbDep) -> SandboxInfo:
    return store.sandbox_info(db)


@router.post("/events", status_code=201, responses=WITH_BODY)  # 413 also for data over 256 KiB
def sandbox_emit_event(who: CallerDep, sender: SenderDep, body: SandboxEvent) -> EventEmitted:
    if body.type not in EVENT_TYPE_NAMES:
        raise APIError(422, f"Unknown event type '{body.type}'.", param="type")
    if len(dumps(body.data).encode()) > MAX_EVENT_DATA_BYTES:  # measured as it is delivered
        limit = shown(MAX_EVENT_DATA_BYTES)
        raise APIError(413, f"The event's data is larger than {limit}.", param="data")
    return sender.emit(who.org_id, body.type, body.data)


# ---- faults and statistics ----


# Documented, not re-validated: a fault keeps the numbers it was given (0 stays 0, not 0.0).


@router.get("/faults", response_model=list[Fault])
def list_faults(faults: FaultsDep) -> JSONResponse:
    return JSONResponse(faults.list())


@router.post("/faults", status_code=201, response_model=Fault, responses=WITH_BODY)
def add_fault(faults: FaultsDep, spec: FaultSpec) -> JSONResponse:
    return JSONResponse(faults.add(**spec.model_dump()).wire(), status_code=201)


@router.delete("/faults", status_code=204)
def clear_faults(faults: FaultsDep) -> Response:
    faults.clear()
    return Response(status_code=204)


@router.get("/stats")
def get_stats(stats: StatsDep) -> SandboxStats:
    return stats.snapshot()


@router.delete("/stats", status_code=204)
def reset_stats(stats: StatsDep) -> Response:
    stats.reset()
    return Response(status_code=204)


# ---- demo receivers ----

_ANSWERS = {  # status → (body, media type), as a real receiver might answer
    200: ('{"received":true}', "application/json"),
    401: ('{"error":"signature did not verify"}', "application/json"),
    500: ('{"error":"internal"}', "application/json"),
    503: ("Service Unavailable", "text/plain"),
}


def _receive(
    db: Database, name: str, mode: ReceiverMode, rate: float, headers: dict[str, str], raw: bytes
) -> Response:
    """Answer as the receiver's mode says (an unverified delivery never gets a 200) and log it."""
    verified = store.verify_delivery(db, headers, raw)
    status = 200
    if mode == "down":
        status = 503
    elif mode == "flaky" and random.random() < rate:
        status = 500
    if not verified and status == 200:
        status = 401
    store.record_receipt(db, name, verified, status, headers, raw)
    text, media_type = _ANSWERS[status]
    return Response(text, status_code=status, media_type=media_type)


@open_router.post(
    "/receivers/{name}",
    # Its own answers are a receiver's, not the envelope; only the size limit and a refused
    # parameter come from the sandbox around it.
    responses={
        **error_responses(413, 422),
        401: {"description": "The delivery's signature did not verify"},
        500: {"description": "A flaky receiver failing, at its failure rate"},
        503: {"description": "A receiver that is down"},
    },
)
async def receive_webhook(
    name: str, request: Request, db: DbDep, settings: SettingsDep
) -> Response:
    raw = await request.body()
    headers = dict(request.headers)
    # SQLite work off the event loop: a wait for the write lock must not stall the server.
    mode, rate = await run_in_threadpool(store.receiver_mode, db, name, settings.flaky_failure_rate)
    if mode == "slow":  # answer only after the sender has given up: a timed-out attempt
        await asyncio.sleep(settings.attempt_timeout + 1)
    return await run_in_threadpool(_receive, db, name, mode, rate, headers, raw)


@router.get("/endpoints/{endpoint_id}/secrets", responses=error_responses(404))
def get_endpoint_secrets(who: CallerDep, db: DbDep, endpoint_id: str) -> dict[str, list[str]]:
    """The secrets a delivery to one of the caller's endpoints is signed with now (the current
    one first, then the old one during a rotation's grace window): a demo convenience, so the
    console's signature doctor can check a real delivery. Envoy shows a secret only once."""
    row = store.endpoint_row(db, who.org_id, endpoint_id)
    if row is None:
        raise APIError(404, f"No webhook endpoint {endpoint_id}.", param="endpoint_id")
    return {"secrets": store.active_secrets(row)}


@router.get("/receivers/{name}")
def get_receiver(
    db: DbDep,
    settings: SettingsDep,
    name: str,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> ReceiverLog:
    return store.receiver_log(db, name, limit, settings.flaky_failure_rate)


@router.put("/receivers/{name}", responses=WITH_BODY)
def configure_receiver(db: DbDep, name: str, body: ReceiverConfig) -> ReceiverSettings:
    store.configure_receiver(db, name, body.mode, body.failure_rate)
    return {"name": name, "mode": body.mode, "failure_rate": body.failure_rate}


@router.delete("/receivers/{name}", status_code=204)
def clear_receiver(db: DbDep, name: str) -> Response:
    store.clear_receiver(db, name)
    return Response(status_code=204)
