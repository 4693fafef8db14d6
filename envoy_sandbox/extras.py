"""``SandboxExtras``: a small typed client for what only the sandbox has.

``envoy_api.EnvoyClient`` speaks Envoy's API; this speaks the sandbox's own routes: what it
holds (``/_sandbox/info``), emitting events, demo receivers, fault injection and request
statistics, plus logging in for a bearer token. Failures raise ``envoy_api``'s exceptions, so
callers handle one error tree: a non-2xx answer becomes the class ``make_status_error`` picks,
an unreachable server ``APIConnectionError``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import quote

import httpx
from typing_extensions import Unpack

from envoy_api.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    make_status_error,
)

from .contract import (
    API_PREFIX,
    EventEmitted,
    Fault,
    FaultRule,
    ReceiverLog,
    ReceiverMode,
    ReceiverSettings,
    SandboxInfo,
    SandboxStats,
)

__all__ = ["Login", "SandboxExtras"]


@dataclass(frozen=True)
class Login:
    """A bearer token from ``POST /api/v1/auth/login``; ``repr()`` never shows it."""

    token: str = field(repr=False)
    expires_at: datetime | None  # the token's ``exp`` claim, when it carries one


def token_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT-shaped token, read without verifying it (only the server can).

    The login response says nothing about expiry; the sandbox's tokens carry it as a claim.
    """
    try:
        claims = token.split(".")[1]
        exp = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["exp"]
        return datetime.fromtimestamp(int(exp), UTC)
    except (IndexError, KeyError, TypeError, ValueError, OverflowError):
        return None


class SandboxExtras:
    """The sandbox's own routes, on the server at ``root`` (``http://127.0.0.1:8787``).

    ``api_key`` or ``bearer_token`` (with ``organization_id`` for a user in several) goes with
    every request: every route here needs a caller (``login`` ignores it). Without one, only
    ``login`` and ``receiver_url`` work. Close it, or use it as a context manager.
    """

    def __init__(
        self,
        root: str,
        *,
        api_key: str | None = None,
        bearer_token: str | None = None,
        organization_id: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        # An API base URL (".../api/v1") names the same server: accept it too.
        self.root = root.rstrip("/").removesuffix(API_PREFIX)
        headers = {"Accept": "application/json"}
        if api_key:
            headers["X-API-Key"] = api_key
        elif bearer_token:
            headers["Authorization"] = f"Bearer {bearer_token}"
        if organization_id:
            headers["X-Organization-ID"] = organization_id
        self._auth = "api_key" if api_key else "bearer" if bearer_token else "none"
        self._http = httpx.Client(
            base_url=self.root, timeout=timeout, headers=headers, transport=transport
        )

    def __repr__(self) -> str:
        return f"SandboxExtras(root={self.root!r}, auth={self._auth!r})"

    def __enter__(self) -> SandboxExtras:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the sandbox --

    def info(self) -> SandboxInfo:
        """Its organizations, event type names and the seed's anchor time."""
        return cast(SandboxInfo, self._request("GET", "/_sandbox/info"))

    def login(self, email: str, password: str) -> Login:
        body = self._request(
            "POST", f"{API_PREFIX}/auth/login", json={"email": email, "password": password}
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise APIResponseValidationError("The login response held no access_token.")
        return Login(token=token, expires_at=token_expiry(token))

    def emit(self, event_type: str, data: Mapping[str, Any] | None = None) -> EventEmitted:
        """Raise an event in the caller's organization: a message per subscribed endpoint."""
        body = {"type": event_type, "data": dict(data or {})}
        return cast(EventEmitted, self._request("POST", "/_sandbox/events", json=body))

    # -- demo receivers --

    def receiver_url(self, name: str) -> str:
        """Where to register an endpoint that delivers to the receiver ``name``."""
        return f"{self.root}{self._receiver(name)}"

    def set_receiver(
        self, name: str, mode: ReceiverMode, failure_rate: float | None = None
    ) -> ReceiverSettings:
        """How ``name`` answers from now on (``failure_rate`` is for ``flaky``)."""
        body = {"mode": mode, "failure_rate": failure_rate}
        return cast(ReceiverSettings, self._request("PUT", self._receiver(name), json=body))

    def endpoint_secrets(self, endpoint_id: str) -> list[str]:
        """The secrets deliveries to ``endpoint_id`` are signed with now, current first."""
        body = self._request("GET", f"/_sandbox/endpoints/{endpoint_id}/secrets")
        return list(cast(dict[str, list[str]], body)["secrets"])

    def received(self, name: str, *, limit: int | None = None) -> ReceiverLog:
        """What ``name`` got, newest first (the last ``limit``; the server's default 500)."""
        params = {"limit": limit} if limit is not None else None
        return cast(ReceiverLog, self._request("GET", self._receiver(name), params=params))

    def clear_receiver(self, name: str) -> None:
        self._request("DELETE", self._receiver(name))

    # -- faults and statistics (of /api/v1 requests) --

    def fault(self, **rule: Unpack[FaultRule]) -> Fault:
        """Add a fault rule; keys left out take the server's defaults (every route, method)."""
        return cast(Fault, self._request("POST", "/_sandbox/faults", json=dict(rule)))

    def faults(self) -> list[Fault]:
        return cast(list[Fault], self._request("GET", "/_sandbox/faults"))

    def clear_faults(self) -> None:
        self._request("DELETE", "/_sandbox/faults")

    def stats(self) -> SandboxStats:
        """Requests per route template since start or the last reset."""
        return cast(SandboxStats, self._request("GET", "/_sandbox/stats"))

    def reset_stats(self) -> None:
        self._request("DELETE", "/_sandbox/stats")

    # -- transport --

    @staticmethod
    def _receiver(name: str) -> str:
        return f"/_sandbox/receivers/{quote(name, safe='')}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send once (these routes are for tests and tools: no retries) and decode the JSON."""
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                f"The sandbox at {self.root} did not answer in time ({method} {path})."
            ) from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(
                f"Could not connect to the sandbox at {self.root}: {type(exc).__name__}."
            ) from exc
        if not response.is_success:
            raise make_status_error(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise APIResponseValidationError(
                f"The sandbox answered {method} {path} with a body that is not JSON.",
                status_code=response.status_code,
            ) from exc
