"""The client's exception tree and the single function that maps an HTTP status to it.

Every API error carries the contract's envelope fields (``code``, ``message``, ``param``) so
callers branch on ``code`` as Envoy asks. No exception ever holds request headers, so neither
``str()`` nor ``repr()`` of one can show an API key, bearer token or signing secret.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "EnvoyError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "make_status_error",
    "parse_retry_after",
]


MAX_KEPT_BODY = 64 * 1024  # bytes of an error body kept on the exception
MAX_MESSAGE = 1000  # characters of a message kept: a server's 5 MB message is not repeated


def bounded(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more)"


class EnvoyError(Exception):
    """Base class of every error raised by ``envoy_api``; its message is bounded in length."""

    message: str

    def __init__(self, message: str) -> None:
        message = bounded(str(message))
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class APIConnectionError(EnvoyError):
    """The API could not be reached (DNS, refused connection, TLS, broken stream)."""

    def __init__(self, message: str = "Could not connect to the Envoy API.") -> None:
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The request timed out before the API answered."""

    def __init__(self, message: str = "The Envoy API did not answer in time.") -> None:
        super().__init__(message)


class APIResponseValidationError(EnvoyError):
    """The API answered 2xx, but the body was not the JSON shape the contract promises."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class APIStatusError(EnvoyError):
    """The API answered with a non-2xx status; ``code``/``message``/``param`` come from the body."""

    status_code: int
    code: str
    param: str | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str,
        param: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = bounded(str(code), 100)
        self.param = bounded(str(param), 200) if param is not None else None
        self.body = body

    def __str__(self) -> str:
        where = f" (param: {self.param})" if self.param else ""
        return f"{self.status_code} {self.code}: {self.message}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, code={self.code!r}, "
            f"message={self.message!r}, param={self.param!r})"
        )


class BadRequestError(APIStatusError):
    """400: the request was malformed (including ``invalid_id_format``)."""


class AuthenticationError(APIStatusError):
    """401: the API key or bearer token is missing, wrong or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the credential may not act on this organization or resource."""


class NotFoundError(APIStatusError):
    """404: no such resource in this organization."""


class ConflictError(APIStatusError):
    """409: the resource already exists or is in a conflicting state."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well formed but its values were refused."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the server's wait in seconds, if it said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: the API failed; GETs are retried automatically."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

_DEFAULT_CODES: dict[int, str] = {
    400: "validation_error",
    401: "not_authenticated",
    403: "insufficient_permissions",
    404: "not_found",
    409: "already_exists",
    422: "validation_error",
    429: "rate_limit_exceeded",
}


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: integer seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _envelope(response: httpx.Response) -> tuple[str | None, str | None, str | None, Any]:
    """Read ``{"error": {code, message, param}}``, tolerating other shapes and non-JSON bodies."""
    try:
        body: Any = response.json()
    except (ValueError, RecursionError):  # not JSON, not decodable, or nested beyond reason
        text = response.content[:2000].decode("utf-8", "replace").strip()
        return None, (text[:200] or None), None, text
    if len(response.content) > MAX_KEPT_BODY:
        body = None  # the envelope's fields are kept; a huge body is not
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        param = error.get("param")
        return (
            str(code) if code is not None else None,
            str(message) if message is not None else None,
            str(param) if param is not None else None,
            body,
        )
    if isinstance(body, dict) and "detail" in body:  # FastAPI's default shape, just in case
        detail = body["detail"]
        return None, detail if isinstance(detail, str) else json.dumps(detail)[:200], None, body
    return None, None, None, body


def make_status_error(response: httpx.Response) -> APIStatusError:
    """Map a non-2xx response to its exception class: the one place statuses become types."""
    status = response.status_code
    code, message, param, body = _envelope(response)
    reason = response.reason_phrase or "HTTP error"
    code = code or _DEFAULT_CODES.get(status, "internal_error" if status >= 500 else "http_error")
    message = message or f"The Envoy API answered {status} {reason}."
    kwargs: dict[str, Any] = {"status_code": status, "code": code, "param": param, "body": body}
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    return cls(message, **kwargs)
