"""The sandbox's FastAPI app: Envoy's ``/api/v1`` routes plus the ``/_sandbox`` helpers.

Responses are the stored JSON wire form, written out directly; the routes declare
``envoy_api``'s models as their response models so ``/openapi.json`` documents the same schema
the client parses.
"""

import asyncio
import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from envoy_api import models as m
from envoy_api._ids import check_url
from envoy_api.signing import generate_secret, verify

from . import auth, seed
from .config import SandboxSettings
from .contract import ATTEMPT_STATUSES, EVENT_TYPE_NAMES, EVENT_TYPES, TAB_KEYS
from .db import Database, dumps, iso, now, now_iso
from .errors import APIError, install, not_found
from .faults import FaultMiddleware, Faults, Stats
from .sender import Sender, active_secrets, new_id, queue_attempt

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ID = re.compile(rf"^(?:([a-z]+)_)?({_UUID})$")


def parse_id(value: str, prefix: str, param: str) -> str:
    """``{prefix}_{uuid}`` or a bare uuid → the prefixed form; anything else → 400."""
    match = _ID.match(value.strip().lower())
    if match is None or (match.group(1) and match.group(1) != prefix):
        raise APIError(
            400,
            f"'{param}' must look like '{prefix}_<uuid>'.",
            code="invalid_id_format",
            param=param,
        )
    return f"{prefix}_{match.group(2)}"


def raw_json(text: str, status: int = 200) -> Response:
    return Response(content=text, status_code=status, media_type="application/json")


def page_json(bodies: list[str], page: int, page_size: int, total: int) -> Response:
    pages = -(-total // page_size) if total else 0
    pagination = {
        "page": page,
        "page_size": page_size,
        "total_count": total,
        "total_pages": pages,
        "has_next": page < pages,
        "has_prev": page > 1,
    }
    return raw_json('{"data":[' + ",".join(bodies) + '],"pagination":' + dumps(pagination) + "}")


# ---- request bodies ----


class LoginBody(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=200)


def _check_url(value: str) -> str:
    return check_url(value)  # its ValueError becomes a 422 naming "url"


def _check_types(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("must hold at least one event type")
    unknown = [t for t in value if t not in EVENT_TYPE_NAMES]
    if unknown:
        raise ValueError(f"unknown event type(s): {', '.join(unknown[:5])}")
    return list(dict.fromkeys(value))


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2083)
    event_types: list[str]
    description: str | None = Field(default=None, max_length=1000)
    headers: dict[str, str] | None = None

    _url = field_validator("url")(lambda cls, v: _check_url(v))
    _types = field_validator("event_types")(lambda cls, v: _check_types(v))


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(default=None, min_length=1, max_length=2083)
    event_types: list[str] | None = None
    description: str | None = Field(default=None, max_length=1000)
    headers: dict[str, str] | None = None
    status: Literal["ACTIVE", "PAUSED"] | None = None

    @field_validator("url")
    @classmethod
    def _u(cls, v: str | None) -> str | None:
        return _check_url(v) if v is not None else v

    @field_validator("event_types")
    @classmethod
    def _t(cls, v: list[str] | None) -> list[str] | None:
        return _check_types(v) if v is not None else v


class ReplayBody(BaseModel):
    endpoint_id: str = Field(min_length=1, max_length=100)


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
    mutate: Literal["unknown_enum", "extra_fields", "missing_optional"] | None = None


class ReceiverConfig(BaseModel):
    mode: Literal["ok", "flaky", "down", "slow"]
    failure_rate: float | None = Field(default=None, ge=0, le=1)


# ---- the app ----


def endpoint_json(row: Any, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row["id"],
        "organization_id": row["org_id"],
        "url": row["url"],
        "description": row["description"],
        "event_types": json.loads(row["event_types"]),
        "headers": json.loads(row["headers"]) if row["headers"] else None,
        "status": row["status"],
        "disabled_reason": row["disabled_reason"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    if secret is not None:
        body["signing_secret"] = secret
    return body


ATTEMPT_SQL = (
    "SELECT a.id, a.message_id, a.endpoint_id, a.attempt, a.max_attempts, a.status,"
    " a.next_attempt_at, a.response_status_code, a.response_body_excerpt, a.error_message,"
    " a.duration_ms, a.delivered_at, a.created_at, m.payload"
    " FROM attempts a JOIN messages m ON m.id = a.message_id"
)


def attempt_json(row: Any) -> str:
    fields = {k: row[k] for k in row.keys() if k != "payload"}
    text = dumps(fields)
    return text[:-1] + ',"payload":' + str(row["payload"]) + "}"


def create_app(
    settings: SandboxSettings | None = None,
    *,
    start_sender: bool = True,
    public_base: str | None = None,
) -> FastAPI:
    """Build the app over ``settings.db_path`` (schema made, seeded if empty)."""
    settings = settings or SandboxSettings()
    db = Database(settings.db_path)
    seed.seed(db, settings)
    if public_base:
        rebase_receivers(db, public_base)
    sender = Sender(db, settings)
    faults, stats = Faults(), Stats()
    limiter = auth.RateLimiter(settings.rate_limit_per_minute)
    app = FastAPI(
        title="Envoy API (sandbox)",
        version="1.0.0",
        description="A local stand-in for Envoy's REST API, with demo receivers and faults.",
    )
    app.state.db, app.state.sender, app.state.settings = db, sender, settings
    app.state.faults, app.state.stats = faults, stats
    install(app)
    app.add_middleware(FaultMiddleware, faults=faults, stats=stats)

    if start_sender and settings.send_webhooks:
        app.router.on_startup.append(sender.start)
        app.router.on_shutdown.append(sender.stop)

    def caller(
        x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None,
        authorization: Annotated[str | None, Header()] = None,
        x_organization_id: Annotated[str | None, Header(alias="X-Organization-ID")] = None,
    ) -> auth.Caller:
        who = auth.authenticate(
            db, settings.token_secret, x_api_key, authorization, x_organization_id
        )
        limiter.check(who.credential)
        return who

    Who = Annotated[auth.Caller, Depends(caller)]
    api = APIRouter(prefix="/api/v1")

    # -- auth --

    @api.post("/auth/login", tags=["auth"])
    def login(body: LoginBody) -> dict[str, str]:
        token = auth.login(db, settings.token_secret, body.email, body.password)
        return {"access_token": token, "token_type": "bearer"}

    # -- loads --

    def load_row(who: auth.Caller, load_id: str) -> tuple[str, str]:
        """(prefixed id, stored JSON) of a load of the caller's organization, or 404."""
        lid = parse_id(load_id, "load", "load_id")
        row = (
            db.connect()
            .execute("SELECT body FROM loads WHERE id = ? AND org_id = ?", (lid, who.org_id))
            .fetchone()
        )
        if row is None:
            raise not_found("load", "load_id")
        return lid, str(row[0])

    @api.get("/loads/tab-counts", tags=["loads"], response_model=dict[str, int])
    def get_tab_counts(who: Who) -> Response:
        rows = (
            db.connect()
            .execute("SELECT tab, count FROM tab_counts WHERE org_id = ?", (who.org_id,))
            .fetchall()
        )
        counts = {r["tab"]: r["count"] for r in rows}
        return raw_json(dumps({t: counts.get(t, 0) for t in TAB_KEYS}))

    @api.get("/loads", tags=["loads"], response_model=m.Page[m.Load])
    def list_loads(
        who: Who,
        tab: Annotated[str | None, Query(max_length=50)] = None,
        search: Annotated[str | None, Query(max_length=200)] = None,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Response:
        where, args = ["org_id = ?"], [who.org_id]
        if tab and tab != "all":
            if tab == "active_escalations":
                where.append("active_escalations > 0")
            elif tab == "failed_verifications":
                where.append("failed_verifications > 0")
            elif tab in TAB_KEYS:
                where.append("tab = ?")
                args.append(tab)
            else:
                raise APIError(422, f"Unknown tab '{tab}'.", code="validation_error", param="tab")
        term = (search or "").strip().lower()
        if term:
            where.append("search LIKE ? ESCAPE '\\'")
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(f"%{escaped}%")
        conn = db.connect()
        clause = " AND ".join(where)
        if not term:
            row = conn.execute(
                "SELECT count FROM tab_counts WHERE org_id = ? AND tab = ?",
                (who.org_id, tab or "all"),
            ).fetchone()
            total = row[0] if row else 0
        else:
            total = conn.execute(f"SELECT count(*) FROM loads WHERE {clause}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT body FROM loads WHERE {clause} ORDER BY updated_at DESC, id DESC"
            " LIMIT ? OFFSET ?",
            [*args, page_size, (page - 1) * page_size],
        ).fetchall()
        return page_json([r[0] for r in rows], page, page_size, total)

    @api.get("/loads/{load_id}", tags=["loads"], response_model=m.Load)
    def get_load(who: Who, load_id: str) -> Response:
        return raw_json(load_row(who, load_id)[1])

    def _bare_list(sql: str, args: tuple[Any, ...]) -> Response:
        rows = db.connect().execute(sql, args).fetchall()
        return raw_json("[" + ",".join(r[0] for r in rows) + "]")

    @api.get("/loads/{load_id}/calls", tags=["loads"], response_model=list[m.Call])
    def get_load_calls(who: Who, load_id: str) -> Response:
        lid, _ = load_row(who, load_id)
        return _bare_list(
            "SELECT body FROM calls WHERE load_id = ? ORDER BY call_time DESC, id", (lid,)
        )

    @api.get(
        "/loads/{load_id}/verifications", tags=["loads"], response_model=list[m.CarrierVerification]
    )
    def get_load_failed_verifications(who: Who, load_id: str) -> Response:
        lid, _ = load_row(who, load_id)
        return _bare_list(
            "SELECT body FROM verifications WHERE load_id = ? AND status NOT IN"
            " ('VERIFIED', 'PASSED', 'APPROVED') ORDER BY created_at DESC, id",
            (lid,),
        )

    @api.get("/loads/{load_id}/escalations", tags=["loads"], response_model=list[m.Escalation])
    def get_load_active_escalations(who: Who, load_id: str) -> Response:
        lid, _ = load_row(who, load_id)
        return _bare_list(
            "SELECT body FROM escalations WHERE load_id = ? AND status = 'ACTIVE'"
            " ORDER BY created_at DESC, id",
            (lid,),
        )

    # -- webhook endpoints --

    def endpoint_row(who: auth.Caller, endpoint_id: str) -> Any:
        eid = parse_id(endpoint_id, "ep", "endpoint_id")
        row = (
            db.connect()
            .execute(
                "SELECT * FROM endpoints WHERE id = ? AND org_id = ? AND deleted = 0",
                (eid, who.org_id),
            )
            .fetchone()
        )
        if row is None:
            raise not_found("webhook endpoint", "endpoint_id")
        return row

    @api.get("/webhooks/endpoints", tags=["webhooks"], response_model=m.Page[m.WebhookEndpoint])
    def list_webhook_endpoints(
        who: Who,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Response:
        conn = db.connect()
        total = conn.execute(
            "SELECT count(*) FROM endpoints WHERE org_id = ? AND deleted = 0", (who.org_id,)
        ).fetchone()[0]
        rows = conn.execute(
            "SELECT * FROM endpoints WHERE org_id = ? AND deleted = 0 ORDER BY created_at, id"
            " LIMIT ? OFFSET ?",
            (who.org_id, page_size, (page - 1) * page_size),
        ).fetchall()
        return page_json([dumps(endpoint_json(r)) for r in rows], page, page_size, total)

    @api.post(
        "/webhooks/endpoints", tags=["webhooks"], status_code=201, response_model=m.WebhookEndpoint
    )
    def create_webhook_endpoint(who: Who, body: EndpointCreate) -> JSONResponse:
        eid, secret, at = new_id("ep"), generate_secret(), now_iso()
        with db.write() as w:
            w.execute(
                "INSERT INTO endpoints (id, org_id, url, description, event_types, headers,"
                " status, disabled_reason, secret, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,'ACTIVE',NULL,?,?,?)",
                (
                    eid,
                    who.org_id,
                    body.url,
                    body.description,
                    dumps(body.event_types),
                    dumps(body.headers) if body.headers is not None else None,
                    secret,
                    at,
                    at,
                ),
            )
            row = w.execute("SELECT * FROM endpoints WHERE id = ?", (eid,)).fetchone()
        return JSONResponse(endpoint_json(row, secret), status_code=201)

    @api.get(
        "/webhooks/endpoints/{endpoint_id}", tags=["webhooks"], response_model=m.WebhookEndpoint
    )
    def get_webhook_endpoint(who: Who, endpoint_id: str) -> JSONResponse:
        return JSONResponse(endpoint_json(endpoint_row(who, endpoint_id)))

    @api.patch(
        "/webhooks/endpoints/{endpoint_id}", tags=["webhooks"], response_model=m.WebhookEndpoint
    )
    def update_webhook_endpoint(
        who: Who, endpoint_id: str, body: Annotated[dict[str, Any], Body()]
    ) -> JSONResponse:
        row = endpoint_row(who, endpoint_id)
        if body.get("status") == "DISABLED":
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
        sets, args = [], []
        if "url" in given:
            sets.append("url = ?")
            args.append(patch.url)
        if "event_types" in given:
            sets.append("event_types = ?")
            args.append(dumps(patch.event_types))
        if "description" in given:
            sets.append("description = ?")
            args.append(patch.description)
        if "headers" in given:
            sets.append("headers = ?")
            args.append(dumps(patch.headers) if patch.headers is not None else None)
        if "status" in given:
            sets += ["status = ?", "disabled_reason = NULL"]
            args.append(patch.status)
            if patch.status == "ACTIVE":
                sets.append("dead_streak = 0")
        sets.append("updated_at = ?")
        args.append(now_iso())
        with db.write() as w:
            w.execute(f"UPDATE endpoints SET {', '.join(sets)} WHERE id = ?", [*args, row["id"]])
            fresh = w.execute("SELECT * FROM endpoints WHERE id = ?", (row["id"],)).fetchone()
        if patch.status == "ACTIVE":
            sender.wake.set()
        return JSONResponse(endpoint_json(fresh))

    @api.delete("/webhooks/endpoints/{endpoint_id}", tags=["webhooks"], status_code=204)
    def delete_webhook_endpoint(who: Who, endpoint_id: str) -> Response:
        row = endpoint_row(who, endpoint_id)
        with db.write() as w:
            w.execute(
                "UPDATE endpoints SET deleted = 1, updated_at = ? WHERE id = ?",
                (now_iso(), row["id"]),
            )
            w.execute(
                "UPDATE attempts SET status = 'DEAD', due_at = NULL,"
                " error_message = 'Endpoint deleted; retry cancelled'"
                " WHERE endpoint_id = ? AND status = 'PENDING'",
                (row["id"],),
            )
        return Response(status_code=204)

    @api.post(
        "/webhooks/endpoints/{endpoint_id}/rotate-secret",
        tags=["webhooks"],
        response_model=m.WebhookEndpoint,
    )
    def rotate_webhook_endpoint_secret(
        who: Who,
        endpoint_id: str,
        body: Annotated[dict[str, Any] | None, Body()] = None,
    ) -> JSONResponse:
        row = endpoint_row(who, endpoint_id)
        secret, at = generate_secret(), now()
        expires = iso(at + timedelta(hours=24))
        with db.write() as w:
            w.execute(
                "UPDATE endpoints SET old_secret = secret, old_secret_expires_at = ?,"
                " secret = ?, updated_at = ? WHERE id = ?",
                (expires, secret, iso(at), row["id"]),
            )
            fresh = w.execute("SELECT * FROM endpoints WHERE id = ?", (row["id"],)).fetchone()
        out = endpoint_json(fresh, secret)
        out["previous_secret_expires_at"] = expires
        return JSONResponse(out)

    @api.get("/webhooks/event-types", tags=["webhooks"], response_model=list[m.EventType])
    def list_webhook_event_types(who: Who) -> JSONResponse:
        return JSONResponse(EVENT_TYPES)

    # -- deliveries --

    @api.get(
        "/webhooks/endpoints/{endpoint_id}/messages",
        tags=["webhooks"],
        response_model=m.Page[m.DeliveryAttempt],
    )
    def list_webhook_endpoint_messages(
        who: Who,
        endpoint_id: str,
        status: Annotated[list[str] | None, Query()] = None,
        event_type: Annotated[str | None, Query(max_length=100)] = None,
        load_id: Annotated[str | None, Query(max_length=100)] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Response:
        row = endpoint_row(who, endpoint_id)
        where, args = ["a.endpoint_id = ?"], [row["id"]]
        statuses = [s.upper() for s in status or [] if s]
        bad = [s for s in statuses if s not in ATTEMPT_STATUSES]
        if bad:
            raise APIError(422, f"Unknown status '{bad[0]}'.", param="status")
        if statuses:
            where.append(f"a.status IN ({','.join('?' * len(statuses))})")
            args += statuses
        if event_type:
            where.append("a.event_type = ?")
            args.append(event_type)
        if load_id:
            where.append("a.load_id = ?")
            args.append(parse_id(load_id, "load", "load_id"))
        if since:
            where.append("a.created_at >= ?")
            args.append(iso(_aware(since)))
        if until:
            where.append("a.created_at < ?")
            args.append(iso(_aware(until)))
        clause = " AND ".join(where)
        conn = db.connect()
        total = conn.execute(f"SELECT count(*) FROM attempts a WHERE {clause}", args).fetchone()[0]
        rows = conn.execute(
            f"{ATTEMPT_SQL} WHERE {clause} ORDER BY a.created_at DESC, a.attempt DESC, a.id"
            " LIMIT ? OFFSET ?",
            [*args, page_size, (page - 1) * page_size],
        ).fetchall()
        return page_json([attempt_json(r) for r in rows], page, page_size, total)

    def message_row(who: auth.Caller, message_id: str) -> Any:
        mid = parse_id(message_id, "msg", "message_id")
        row = (
            db.connect()
            .execute(
                "SELECT m.* FROM messages m JOIN endpoints e ON e.id = m.endpoint_id"
                " WHERE m.id = ? AND m.org_id = ? AND e.deleted = 0",
                (mid, who.org_id),
            )
            .fetchone()
        )
        if row is None:
            raise not_found("message", "message_id")
        return row

    @api.get(
        "/webhooks/messages/{message_id}/attempts",
        tags=["webhooks"],
        response_model=list[m.DeliveryAttempt],
    )
    def list_webhook_message_attempts(who: Who, message_id: str) -> Response:
        msg = message_row(who, message_id)
        rows = (
            db.connect()
            .execute(f"{ATTEMPT_SQL} WHERE a.message_id = ? ORDER BY a.attempt", (msg["id"],))
            .fetchall()
        )
        return raw_json("[" + ",".join(attempt_json(r) for r in rows) + "]")

    @api.post(
        "/webhooks/messages/{message_id}/replay",
        tags=["webhooks"],
        status_code=202,
        response_model=m.MessageSummary,
    )
    def replay_webhook_message(who: Who, message_id: str, body: ReplayBody) -> Response:
        msg = message_row(who, message_id)
        eid = parse_id(body.endpoint_id, "ep", "endpoint_id")
        if eid != msg["endpoint_id"]:
            raise APIError(404, "That message was not sent to that endpoint.", param="endpoint_id")
        at = now_iso()
        with db.write() as w:
            open_row = w.execute(
                "SELECT id, status, due_at FROM attempts WHERE message_id = ?"
                " AND status IN ('PENDING', 'SENDING') ORDER BY attempt DESC LIMIT 1",
                (msg["id"],),
            ).fetchone()
            if open_row is not None:
                if open_row["status"] == "PENDING" and (open_row["due_at"] or "") > at:
                    w.execute("UPDATE attempts SET due_at = ? WHERE id = ?", (at, open_row["id"]))
            else:
                last = (
                    w.execute(
                        "SELECT max(attempt) FROM attempts WHERE message_id = ?", (msg["id"],)
                    ).fetchone()[0]
                    or 0
                )
                n = last + 1
                # A replay is one more try of its own: attempt n of n.
                queue_attempt(
                    w,
                    msg["id"],
                    msg["endpoint_id"],
                    msg["org_id"],
                    n,
                    n,
                    at,
                    at,
                    msg["event_type"],
                    msg["load_id"],
                )
            summary = message_summary(w, msg)
        sender.wake.set()
        return raw_json(summary, status=202)

    app.include_router(api)

    # -- sandbox-only routes --

    sb = APIRouter(prefix="/_sandbox", tags=["sandbox"])

    @sb.get("/info")
    def sandbox_info() -> dict[str, Any]:
        conn = db.connect()
        orgs = [dict(r) for r in conn.execute("SELECT id, name FROM organizations ORDER BY id")]
        return {
            "organizations": orgs,
            "event_types": EVENT_TYPE_NAMES,
            "anchor": (
                conn.execute("SELECT value FROM meta WHERE key='anchor'").fetchone() or [None]
            )[0],
        }

    @sb.post("/events", status_code=201)
    def sandbox_emit_event(who: Who, body: SandboxEvent) -> dict[str, Any]:
        if body.type not in EVENT_TYPE_NAMES:
            raise APIError(422, f"Unknown event type '{body.type}'.", param="type")
        return sender.emit(who.org_id, body.type, body.data)

    @sb.get("/faults")
    def list_faults() -> list[dict[str, Any]]:
        return faults.list()

    @sb.post("/faults", status_code=201)
    def add_fault(spec: FaultSpec) -> dict[str, Any]:
        return faults.add(**spec.model_dump()).__dict__

    @sb.delete("/faults", status_code=204)
    def clear_faults() -> Response:
        faults.clear()
        return Response(status_code=204)

    @sb.get("/stats")
    def get_stats() -> dict[str, Any]:
        return stats.snapshot()

    @sb.delete("/stats", status_code=204)
    def reset_stats() -> Response:
        stats.reset()
        return Response(status_code=204)

    def receiver_mode(name: str) -> tuple[str, float]:
        row = (
            db.connect()
            .execute("SELECT mode, rate FROM receivers WHERE name = ?", (name,))
            .fetchone()
        )
        if row is not None:
            return row["mode"], row["rate"] if row[
                "rate"
            ] is not None else settings.flaky_failure_rate
        mode = name if name in ("ok", "flaky", "down", "slow") else "ok"
        return mode, settings.flaky_failure_rate

    @sb.post("/receivers/{name}")
    async def receive_webhook(name: str, request: Request) -> Response:
        raw = await request.body()
        headers = dict(request.headers)
        # SQLite work off the event loop: a wait for the write lock must not stall the server.
        mode, rate = await run_in_threadpool(receiver_mode, name)
        if mode == "slow":
            await asyncio.sleep(settings.attempt_timeout + 1)
        return await run_in_threadpool(record_receipt, name, mode, rate, headers, raw)

    def record_receipt(
        name: str, mode: str, rate: float, headers: dict[str, str], raw: bytes
    ) -> Response:
        verified = _verify_delivery(db, headers, raw)
        status = {"ok": 200, "down": 503, "slow": 200}.get(mode, 200)
        if mode == "flaky":
            status = 500 if random.random() < rate else 200
        if not verified and status == 200:
            status = 401
        keep = {k: v for k, v in headers.items() if k.startswith("webhook-") or k.startswith("x-")}
        with db.write() as w:
            w.execute(
                "INSERT INTO received (receiver, webhook_id, verified, answered, headers, body,"
                " received_at) VALUES (?,?,?,?,?,?,?)",
                (
                    name,
                    headers.get("webhook-id"),
                    int(verified),
                    status,
                    dumps(keep),
                    raw.decode(errors="replace")[:20_000],
                    now_iso(),
                ),
            )
        text = {
            200: '{"received":true}',
            401: '{"error":"signature did not verify"}',
            500: '{"error":"internal"}',
            503: "Service Unavailable",
        }[status]
        return Response(
            text,
            status_code=status,
            media_type="text/plain" if status == 503 else "application/json",
        )

    @sb.get("/receivers/{name}")
    def get_receiver(
        name: str, limit: Annotated[int, Query(ge=1, le=10_000)] = 500
    ) -> dict[str, Any]:
        mode, rate = receiver_mode(name)
        rows = (
            db.connect()
            .execute(
                "SELECT webhook_id, verified, answered, headers, body, received_at FROM received"
                " WHERE receiver = ? ORDER BY id DESC LIMIT ?",
                (name, limit),
            )
            .fetchall()
        )
        count, distinct = (
            db.connect()
            .execute(
                "SELECT count(*), count(DISTINCT webhook_id) FROM received WHERE receiver = ?",
                (name,),
            )
            .fetchone()
        )
        return {
            "name": name,
            "mode": mode,
            "failure_rate": rate,
            "count": count,
            "distinct_webhook_ids": distinct,
            "received": [
                {**dict(r), "verified": bool(r["verified"]), "headers": json.loads(r["headers"])}
                for r in rows
            ],
        }

    @sb.put("/receivers/{name}")
    def configure_receiver(name: str, body: ReceiverConfig) -> dict[str, Any]:
        with db.write() as w:
            w.execute(
                "INSERT OR REPLACE INTO receivers VALUES (?, ?, ?)",
                (name, body.mode, body.failure_rate),
            )
        return {"name": name, "mode": body.mode, "failure_rate": body.failure_rate}

    @sb.delete("/receivers/{name}", status_code=204)
    def clear_receiver(name: str) -> Response:
        with db.write() as w:
            w.execute("DELETE FROM received WHERE receiver = ?", (name,))
        return Response(status_code=204)

    app.include_router(sb)
    return app


def message_summary(conn: Any, msg: Any) -> str:
    rows = conn.execute(
        "SELECT status, response_status_code FROM attempts WHERE message_id = ? ORDER BY attempt",
        (msg["id"],),
    ).fetchall()
    codes = [r["response_status_code"] for r in rows if r["response_status_code"] is not None]
    summary = {
        "id": msg["id"],
        "endpoint_id": msg["endpoint_id"],
        "latest_status": rows[-1]["status"] if rows else None,
        "attempt_count": len(rows),
        "last_response_status_code": codes[-1] if codes else None,
        "created_at": msg["created_at"],
    }
    return dumps(summary)[:-1] + ',"payload":' + str(msg["payload"]) + "}"


def _verify_delivery(db: Database, headers: dict[str, str], body: bytes) -> bool:
    msg_id = headers.get("webhook-id")
    if not msg_id:
        return False
    row = (
        db.connect()
        .execute(
            "SELECT e.secret, e.old_secret, e.old_secret_expires_at FROM messages m"
            " JOIN endpoints e ON e.id = m.endpoint_id WHERE m.id = ?",
            (msg_id,),
        )
        .fetchone()
    )
    if row is None:
        return False
    try:
        verify(active_secrets(row), headers, body)
    except ValueError:
        return False
    return True


def rebase_receivers(db: Database, base: str) -> None:
    """Point demo endpoints at this run's receivers (the port changes from run to run)."""
    pattern = re.compile(r"^https?://(127\.0\.0\.1|localhost):\d+(?=/_sandbox/receivers/)")
    with db.write() as w:
        for row in w.execute("SELECT id, url FROM endpoints").fetchall():
            new = pattern.sub(base.rstrip("/"), row["url"])
            if new != row["url"]:
                w.execute("UPDATE endpoints SET url = ? WHERE id = ?", (new, row["id"]))


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
