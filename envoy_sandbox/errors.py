"""The contract's error envelope for every failure, FastAPI's own included."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("envoy_sandbox")

CODES = {
    400: "validation_error",
    401: "not_authenticated",
    403: "insufficient_permissions",
    404: "not_found",
    405: "method_not_allowed",
    409: "already_exists",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limit_exceeded",
    500: "internal_error",
    503: "service_unavailable",
}


class APIError(Exception):
    """Raise anywhere in a route to answer with the envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "internal_error")
        self.message = message
        self.param = param
        self.headers = headers


def envelope(
    status: int,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {
            "code": code or CODES.get(status, "internal_error"),
            "message": message,
            "param": param,
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


class ErrorDetail(BaseModel):
    code: str
    message: str
    param: str | None = None


class ErrorEnvelope(BaseModel):
    """The body of every failure, FastAPI's own validation errors included."""

    error: ErrorDetail


RETRY_AFTER = {
    "Retry-After": {
        "description": "Whole seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` saying these statuses answer with the envelope (429 with
    ``Retry-After``).

    Listing 422 also replaces FastAPI's default ``HTTPValidationError``, which this app never
    sends: FastAPI adds that to every operation with parameters that does not list 422.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        responses[status] = {"model": ErrorEnvelope, "description": _described(status)}
        if status == 429:
            responses[status]["headers"] = RETRY_AFTER
    return responses


def error_codes(status: int) -> tuple[str, ...]:
    """The envelope codes a status may carry: ``CODES``' own, and a malformed id's for 400."""
    code = CODES.get(status, "internal_error")
    return (code, "invalid_id_format") if status == 400 else (code,)


def _described(status: int) -> str:
    codes = " or ".join(f"`{c}`" for c in error_codes(status))
    return f"{HTTPStatus(status).phrase}: the error envelope, code {codes}"


def not_found(what: str, param: str | None = None) -> APIError:
    return APIError(404, f"No such {what}.", param=param)


def _param(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def install(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return envelope(
            exc.status, exc.message, code=exc.code, param=exc.param, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "Invalid request"}
        param = _param(tuple(first.get("loc", ())))
        msg = str(first.get("msg", "Invalid request"))
        if first.get("type") == "json_invalid":
            return envelope(400, "The request body is not valid JSON.", param="body")
        text = f"{param}: {msg}" if param else msg
        return envelope(422, text, param=param)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"No route {request.method} {request.url.path}."
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        else:
            message = str(exc.detail)
        return envelope(exc.status_code, message, headers=getattr(exc, "headers", None))


class CrashMiddleware:
    """Answer an unexpected exception with the 500 envelope, and end it there.

    Starlette's own last resort (``ServerErrorMiddleware``, where an ``Exception`` handler
    lives) re-raises after answering, and uvicorn then closes the connection: the client's next
    request on that keep-alive connection was reset. Caught here, below it, the connection
    stays usable. Add it outermost, so it also covers the other middlewares.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:  # half an answer cannot be mended: the server must close
                raise
            log.exception("internal error answering %s %s", scope["method"], scope["path"])
            await envelope(500, "The sandbox hit an internal error.")(scope, receive, send)
