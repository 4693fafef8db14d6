"""``EnvoyClient``: a thin, typed, synchronous client for Envoy's REST API.

Resource groups hang off the client (``client.loads``, ``client.webhooks``; defined in
``envoy_api.resources``). Requests go through one ``_request`` method that adds auth headers,
retries idempotent requests with backoff and maps errors to the tree in ``envoy_api.errors``. The
client is safe to share between threads.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from . import ids
from ._types import NOT_GIVEN, NotGiven
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    EnvoyError,
    RateLimitError,
    make_status_error,
)
from .models import Page

# Re-exported (redundant aliases) so that the names that lived here before the resources had
# modules of their own are importable from here still, e.g. ``from envoy_api.client import
# WebhooksResource``.
from .resources.loads import LoadsResource as LoadsResource
from .resources.webhooks import WebhooksResource as WebhooksResource
from .resources.webhooks import _iso as _iso

__all__ = ["DEFAULT_BASE_URL", "NOT_GIVEN", "ClientSettings", "EnvoyClient", "NotGiven"]

DEFAULT_BASE_URL: Final = "https://tryenvoy.ai/api/v1"
USER_AGENT: Final = "envoy-support-console/0.1"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ClientSettings:
    """Connection settings; ``repr()`` never shows the API key or bearer token."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    bearer_token: str | None = field(default=None, repr=False)
    organization_id: str | None = None
    timeout: float = 10.0
    max_retries: int = 2

    @property
    def fingerprint(self) -> str:
        """A short, non-reversible digest of where and as whom we connect (for cache keys)."""
        material = "\0".join(
            [self.base_url.rstrip("/"), self.api_key or "", self.bearer_token or ""]
        )
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    @property
    def auth_kind(self) -> str:
        if self.api_key:
            return "api_key"
        if self.bearer_token:
            return "bearer"
        return "none"


_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})
_RETRY_STATUSES: Final = frozenset({408, 429})
BACKOFF_INITIAL: Final = 0.5
BACKOFF_MAX: Final = 8.0
RETRY_AFTER_CAP: Final = 30.0
MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
# Each try runs here so the caller can stop waiting at the try's deadline (see _send).
_POOL: Final = ThreadPoolExecutor(max_workers=32, thread_name_prefix="envoy-api-try")


class EnvoyClient:
    """Typed client for Envoy's REST API.

    ``transport`` lets tests inject ``httpx.MockTransport``. Use as a context manager, or call
    ``close()``, to release the connection pool.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: str | None = None,
        bearer_token: str | None = None,
        organization_id: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if organization_id:
            organization_id = ids.check_id(organization_id, "org")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.settings = ClientSettings(
            base_url=base_url.rstrip("/"),
            api_key=api_key or None,
            bearer_token=bearer_token or None,
            organization_id=organization_id or None,
            timeout=timeout,
            max_retries=max_retries,
        )
        self._http = httpx.Client(
            base_url=self.settings.base_url + "/",
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
        # Patched by tests so retries need not really wait.
        self._sleep: Callable[[float], None] = time.sleep
        self.loads = LoadsResource(self)
        self.webhooks = WebhooksResource(self)

    # -- lifecycle --

    def __enter__(self) -> EnvoyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"EnvoyClient(base_url={s.base_url!r}, auth={s.auth_kind!r}, "
            f"organization_id={s.organization_id!r})"
        )

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def organization_id(self) -> str | None:
        return self.settings.organization_id

    # -- transport --

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.settings.api_key:
            headers["X-API-Key"] = self.settings.api_key
        elif self.settings.bearer_token:
            headers["Authorization"] = f"Bearer {self.settings.bearer_token}"
        if self.settings.organization_id:
            headers["X-Organization-ID"] = self.settings.organization_id
        return headers

    def _retry_delay(self, retry: int, error: EnvoyError) -> float:
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return min(error.retry_after, RETRY_AFTER_CAP)
        base = min(BACKOFF_INITIAL * (2.0**retry), BACKOFF_MAX)
        return base * (0.5 + random.random() / 2)  # jitter: half to full delay

    @staticmethod
    def _retryable(error: EnvoyError) -> bool:
        if isinstance(error, APIConnectionError):
            return True
        if isinstance(error, APIStatusError):
            return error.status_code in _RETRY_STATUSES or error.status_code >= 500
        return False

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Send one request (retrying if it is idempotent) and return the decoded JSON body."""
        method = method.upper()
        retries_left = self.settings.max_retries if method in _IDEMPOTENT else 0
        retry = 0
        while True:
            error: EnvoyError
            request = self._http.build_request(
                method, path.lstrip("/"), params=params, json=json_body, headers=self._headers()
            )
            try:
                response = self._send(request)
            except httpx.TimeoutException:
                error = APITimeoutError(
                    f"The Envoy API at {self.settings.base_url} did not answer within "
                    f"{self.settings.timeout:g} s ({method} /{path.lstrip('/')})."
                )
            except httpx.DecodingError:
                error = APIResponseValidationError(
                    f"The Envoy API sent a body that could not be decoded ({method} "
                    f"/{path.lstrip('/')}): its Content-Encoding does not match it."
                )
            except (httpx.TransportError, httpx.StreamError) as exc:
                error = APIConnectionError(
                    f"Could not connect to the Envoy API at {self.settings.base_url}: "
                    f"{type(exc).__name__}."
                )
            else:
                if response.is_success:
                    return self._decode(response)
                error = make_status_error(response)
            if retries_left > 0 and self._retryable(error):
                self._sleep(self._retry_delay(retry, error))
                retries_left -= 1
                retry += 1
                continue
            raise error

    def _send(self, request: httpx.Request) -> httpx.Response:
        """One try within one total deadline (connect, send and the whole response): httpx's
        own timeouts bound each network operation, so a server that drips a byte a second
        would otherwise hold the caller for as long as it likes."""
        deadline = time.monotonic() + self.settings.timeout
        future = _POOL.submit(self._fetch, request, deadline)
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()) + 0.05)
        except TimeoutError:
            # The worker stops by itself at its next chunk or network timeout.
            raise httpx.ReadTimeout("the try's deadline passed", request=request) from None

    def _fetch(self, request: httpx.Request, deadline: float) -> httpx.Response:
        response = self._http.send(request, stream=True)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():  # decoded (Content-Encoding) as it arrives
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise httpx.StreamError("the response is larger than the client accepts")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the try's deadline passed", request=request)
        finally:
            response.close()
        headers = [(k, v) for k, v in response.headers.multi_items() if k != "content-encoding"]
        return httpx.Response(
            response.status_code, headers=headers, content=bytes(body), request=request
        )

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:  # not JSON, or nested beyond reason
            raise APIResponseValidationError(
                f"The Envoy API answered {response.status_code} with a body that is not JSON "
                "this client can read.",
                status_code=response.status_code,
            ) from exc

    def _parse(self, model: type[M], body: Any) -> M:
        try:
            return model.model_validate(body)
        except RecursionError as exc:
            raise APIResponseValidationError(
                f"The Envoy API sent a {model.__name__} nested beyond reason."
            ) from exc
        except ValidationError as exc:
            raise APIResponseValidationError(
                f"The Envoy API sent a {model.__name__} this console cannot read: "
                f"{exc.error_count()} problem(s), first at "
                f"{'.'.join(map(str, exc.errors()[0]['loc'])) or 'the top level'}."
            ) from exc

    def _parse_list(self, model: type[M], body: Any) -> list[M]:
        # Bare arrays per the contract; tolerate a paginated envelope too.
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            body = body["data"]
        try:
            return TypeAdapter(list[model]).validate_python(body)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise APIResponseValidationError(
                f"The Envoy API sent a list of {model.__name__} this console cannot read: "
                f"{exc.error_count()} problem(s)."
            ) from exc

    def _page(
        self,
        model: type[M],
        path: str,
        params: dict[str, Any],
        page: int,
        page_size: int,
    ) -> Page[M]:
        if page < 1:
            raise ValueError("page starts at 1")
        if not 1 <= page_size <= 100:
            raise ValueError("page_size must be between 1 and 100")

        def fetch(number: int) -> Page[M]:
            query = [(k, v) for k, v in params.items() if v is not None and not isinstance(v, list)]
            for k, v in params.items():
                if isinstance(v, list):
                    query.extend((k, item) for item in v)
            query += [("page", number), ("page_size", page_size)]
            body = self._request("GET", path, params=query)
            if isinstance(body, list):  # a bare array: one page holding everything
                body = {
                    "data": body,
                    "pagination": {
                        "page": 1,
                        "page_size": max(len(body), 1),
                        "total_count": len(body),
                        "total_pages": 1,
                        "has_next": False,
                        "has_prev": False,
                    },
                }
            result = self._parse(Page[model], body)  # type: ignore[valid-type]
            result._fetch_page = fetch
            return result

        return fetch(page)
