"""The console's own small client of the sandbox's extras (``/_sandbox`` routes: what it holds,
demo receivers' logs, an endpoint's current secrets, emitting a test event) and of the login
that gives the demo agent its token. The console talks to the sandbox over HTTP only, like to
Envoy; it never imports ``envoy_sandbox`` for this.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from envoy_api import EnvoyError
from envoy_api.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    make_status_error,
)

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Login:
    """A bearer token from ``POST /api/v1/auth/login``; ``repr()`` never shows it."""

    token: str = field(repr=False)
    expires_at: datetime | None  # the token's ``exp`` claim, when it carries one


def token_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT-shaped token, read without verifying it (only the server can)."""
    try:
        claims = token.split(".")[1]
        exp = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["exp"]
        return datetime.fromtimestamp(int(exp), UTC)
    except (IndexError, KeyError, TypeError, ValueError, OverflowError):
        return None


class Extras:
    """``/_sandbox`` routes on the server at ``root``, as one caller (a key, or a token with an
    organization). Failures raise ``envoy_api``'s errors, so callers handle one error tree."""

    def __init__(
        self,
        root: str,
        *,
        api_key: str | None = None,
        bearer_token: str | None = None,
        organization_id: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.root = root.rstrip("/").removesuffix(API_PREFIX)  # an API base names the server too
        headers = {"Accept": "application/json"}
        if api_key:
            headers["X-API-Key"] = api_key
        elif bearer_token:
            headers["Authorization"] = f"Bearer {bearer_token}"
        if organization_id:
            headers["X-Organization-ID"] = organization_id
        self._http = httpx.Client(base_url=self.root, timeout=timeout, headers=headers)

    def __enter__(self) -> Extras:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def info(self) -> dict[str, Any]:
        body: dict[str, Any] = self._request("GET", "/_sandbox/info")
        return body

    def login(self, email: str, password: str) -> Login:
        body = self._request("POST", f"{API_PREFIX}/auth/login",
                             json={"email": email, "password": password})  # fmt: skip
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise APIResponseValidationError("The login response held no access_token.")
        return Login(token=token, expires_at=token_expiry(token))

    def received(self, name: str, *, limit: int) -> list[dict[str, Any]]:
        path = f"/_sandbox/receivers/{quote(name, safe='')}"
        rows: list[dict[str, Any]] = self._request("GET", path, params={"limit": limit})["received"]
        return rows

    def endpoint_secrets(self, endpoint_id: str) -> list[str]:
        body = self._request("GET", f"/_sandbox/endpoints/{quote(endpoint_id, safe='')}/secrets")
        return [str(s) for s in body["secrets"]]

    def emit(self, event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = self._request(
            "POST", "/_sandbox/events", json={"type": event_type, "data": dict(data)}
        )
        return body

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send once (no retries: these are demo tools) and decode the JSON."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise APITimeoutError(f"The sandbox did not answer in time ({method} {path}).") from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(
                f"Could not connect to the sandbox: {type(exc).__name__}."
            ) from exc
        if not response.is_success:
            raise make_status_error(response)
        try:
            return response.json()
        except ValueError as exc:
            raise APIResponseValidationError(
                f"The sandbox answered {method} {path} with a body that is not JSON.",
                status_code=response.status_code,
            ) from exc


def probe(base_url: str, api_key: str | None, bearer_token: str | None) -> str | None:
    """The server's root when ``base_url`` is a sandbox (its extras are then offered), else None."""
    try:
        with Extras(base_url, api_key=api_key, bearer_token=bearer_token, timeout=2) as extras:
            extras.info()
            return extras.root
    except EnvoyError:
        return None
