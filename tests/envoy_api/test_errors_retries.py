"""Status → exception mapping, retries, Retry-After, auth headers, pre-send checks, secrets."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import envoy_api
from envoy_api import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    EnvoyClient,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from envoy_api.client import RETRY_AFTER_CAP

from . import payloads as P
from .conftest import Recorder

PATH = ("GET", f"/loads/{P.LOAD_ID}")


def envelope(code: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "param": param}}


@pytest.mark.parametrize(
    ("status", "cls", "code"),
    [
        (400, BadRequestError, "invalid_id_format"),
        (401, AuthenticationError, "not_authenticated"),
        (403, PermissionDeniedError, "insufficient_permissions"),
        (404, NotFoundError, "not_found"),
        (409, ConflictError, "already_exists"),
        (422, UnprocessableEntityError, "validation_error"),
        (429, RateLimitError, "rate_limit_exceeded"),
        (500, InternalServerError, "internal_error"),
        (503, InternalServerError, "internal_error"),
    ],
)
def test_status_maps_to_class(
    client: EnvoyClient, recorder: Recorder, status: int, cls: type, code: str
) -> None:
    recorder.routes[PATH] = httpx.Response(status, json=envelope(code, "Nope", "load_id"))
    with pytest.raises(cls) as info:
        client.loads.retrieve(P.LOAD_ID)
    err = info.value
    assert isinstance(err, APIStatusError)
    assert (err.status_code, err.code, err.message, err.param) == (status, code, "Nope", "load_id")


def test_non_json_error_body_still_useful(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("POST", f"/webhooks/messages/{P.MSG_ID}/replay")] = httpx.Response(
        502, text="<html><body>Bad gateway from the proxy</body></html>"
    )
    with pytest.raises(InternalServerError) as info:
        client.webhooks.replay(P.MSG_ID, endpoint_id=P.EP_ID)
    assert info.value.code == "internal_error"
    assert "Bad gateway" in info.value.message
    recorder.routes[PATH] = httpx.Response(404, content=b"")
    with pytest.raises(NotFoundError) as nf:
        client.loads.retrieve(P.LOAD_ID)
    assert nf.value.code == "not_found" and "404" in nf.value.message


def test_get_retries_503_twice_then_succeeds(
    client: EnvoyClient, recorder: Recorder, sleeps: list[float]
) -> None:
    recorder.queue = [
        httpx.Response(503, json=envelope("internal_error", "busy")),
        httpx.Response(503, json=envelope("internal_error", "busy")),
        httpx.Response(200, json=P.LOAD),
    ]
    assert client.loads.retrieve(P.LOAD_ID).load_number == "LD123456789"
    assert len(recorder.requests) == 3
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # backoff with jitter


def test_retries_exhausted_raise(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[PATH] = httpx.Response(500, json=envelope("internal_error", "boom"))
    with pytest.raises(InternalServerError):
        client.loads.retrieve(P.LOAD_ID)
    assert len(recorder.requests) == 3  # one try + max_retries=2


def test_429_retry_after_is_honoured(
    client: EnvoyClient, recorder: Recorder, sleeps: list[float]
) -> None:
    recorder.queue = [
        httpx.Response(
            429, headers={"Retry-After": "2"}, json=envelope("rate_limit_exceeded", "slow")
        ),
        httpx.Response(200, json=P.LOAD),
    ]
    client.loads.retrieve(P.LOAD_ID)
    assert sleeps == [2.0]


def test_retry_after_cap_holds(
    client: EnvoyClient, recorder: Recorder, sleeps: list[float]
) -> None:
    recorder.queue = [
        httpx.Response(
            429, headers={"Retry-After": "86400"}, json=envelope("rate_limit_exceeded", "x")
        ),
        httpx.Response(200, json=P.LOAD),
    ]
    client.loads.retrieve(P.LOAD_ID)
    assert sleeps == [RETRY_AFTER_CAP]


def test_rate_limit_error_carries_retry_after(recorder: Recorder) -> None:
    client = EnvoyClient(api_key="k", max_retries=0, transport=httpx.MockTransport(recorder))
    recorder.routes[PATH] = httpx.Response(
        429, headers={"Retry-After": "7"}, json=envelope("rate_limit_exceeded", "slow")
    )
    with pytest.raises(RateLimitError) as info:
        client.loads.retrieve(P.LOAD_ID)
    assert info.value.retry_after == 7.0
    assert len(recorder.requests) == 1


def test_retry_after_http_date() -> None:
    from datetime import UTC, datetime

    from envoy_api.errors import parse_retry_after

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:05 GMT", now=now) == 5.0
    assert parse_retry_after("garbage") is None


def test_post_503_not_retried(client: EnvoyClient, recorder: Recorder, sleeps: list[float]) -> None:
    recorder.routes[("POST", "/webhooks/endpoints")] = httpx.Response(
        503, json=envelope("internal_error", "busy")
    )
    with pytest.raises(InternalServerError):
        client.webhooks.create_endpoint(url="https://x.example/h", event_types=["load.created"])
    assert len(recorder.requests) == 1 and sleeps == []


def test_patch_not_retried(client: EnvoyClient, recorder: Recorder) -> None:
    recorder.routes[("PATCH", f"/webhooks/endpoints/{P.EP_ID}")] = httpx.Response(
        500, json=envelope("internal_error", "x")
    )
    with pytest.raises(InternalServerError):
        client.webhooks.update_endpoint(P.EP_ID, description="x")
    assert len(recorder.requests) == 1


def test_max_retries_zero_turns_retries_off(recorder: Recorder) -> None:
    client = EnvoyClient(api_key="k", max_retries=0, transport=httpx.MockTransport(recorder))
    recorder.routes[PATH] = httpx.Response(503, json=envelope("internal_error", "x"))
    with pytest.raises(InternalServerError):
        client.loads.retrieve(P.LOAD_ID)
    assert len(recorder.requests) == 1


def test_connection_errors_and_timeouts_are_wrapped(sleeps: list[float]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    c = EnvoyClient(api_key="k", transport=httpx.MockTransport(refuse))
    c._sleep = sleeps.append
    with pytest.raises(APIConnectionError) as info:
        c.loads.tab_counts()
    assert not isinstance(info.value, APITimeoutError)
    assert len(sleeps) == 2  # connection errors are retried for GETs
    t = EnvoyClient(api_key="k", max_retries=0, transport=httpx.MockTransport(slow))
    with pytest.raises(APITimeoutError):
        t.loads.tab_counts()


def test_auth_headers(recorder: Recorder) -> None:
    recorder.routes[("GET", "/loads/tab-counts")] = P.TAB_COUNTS_FLAT
    key = EnvoyClient(api_key="envai_live_abc", transport=httpx.MockTransport(recorder))
    key.loads.tab_counts()
    sent = recorder.requests[-1].headers
    assert sent["X-API-Key"] == "envai_live_abc"
    assert "authorization" not in sent and "x-organization-id" not in sent
    bearer = EnvoyClient(
        bearer_token="jwt.token.here",
        organization_id=P.ORG,
        transport=httpx.MockTransport(recorder),
    )
    bearer.loads.tab_counts()
    sent = recorder.requests[-1].headers
    assert sent["Authorization"] == "Bearer jwt.token.here"
    assert sent["X-Organization-ID"] == P.ORG
    assert "x-api-key" not in sent


@pytest.mark.parametrize(
    "bad",
    ["car_6c2a1d4e-3b5f-4a7c-9d8e-1f2a3b4c5d6e", "garbage", "", "load_123", "load_" + "z" * 36],
)
def test_wrong_id_raises_before_sending(client: EnvoyClient, recorder: Recorder, bad: str) -> None:
    with pytest.raises(ValueError, match="load id"):
        client.loads.calls(bad)
    assert recorder.requests == []


def test_bare_uuid_is_accepted(client: EnvoyClient, recorder: Recorder) -> None:
    bare = P.LOAD_ID.removeprefix("load_").upper()
    recorder.routes[("GET", f"/loads/{P.LOAD_ID}/calls")] = [P.CALL]
    assert len(client.loads.calls(bare)) == 1
    assert recorder.requests[-1].url.path.endswith(f"/loads/{P.LOAD_ID}/calls")


@pytest.mark.parametrize(
    ("url", "types", "match"),
    [
        ("ftp://x.example/h", ["load.created"], "http"),
        ("https://", ["load.created"], "host"),
        ("https://x.example/" + "a" * 2100, ["load.created"], "2083"),
        ("https://x.example/h", [], "at least one"),
    ],
)
def test_endpoint_checks(
    client: EnvoyClient, recorder: Recorder, url: str, types: list[str], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        client.webhooks.create_endpoint(url=url, event_types=types)
    assert recorder.requests == []


def test_secrets_never_in_repr(recorder: Recorder) -> None:
    key, token = "envai_live_SUPERSECRETKEY", "eyJhbGciOi.SECRET.TOKEN"
    c = EnvoyClient(api_key=key, bearer_token=token, transport=httpx.MockTransport(recorder))
    recorder.routes[PATH] = httpx.Response(401, json=envelope("not_authenticated", "bad key"))
    c._sleep = lambda s: None
    texts = [repr(c), str(c), repr(c.settings), str(c.settings)]
    with pytest.raises(AuthenticationError) as info:
        c.loads.retrieve(P.LOAD_ID)
    texts += [repr(info.value), str(info.value)]

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    d = EnvoyClient(api_key=key, max_retries=0, transport=httpx.MockTransport(refuse))
    with pytest.raises(APIConnectionError) as conn:
        d.loads.tab_counts()
    texts += [repr(conn.value), str(conn.value)]
    for text in texts:
        assert key not in text and token not in text
    assert key not in c.settings.fingerprint


def test_fingerprint_differs_by_credential() -> None:
    a = EnvoyClient(api_key="one").settings.fingerprint
    b = EnvoyClient(api_key="two").settings.fingerprint
    assert a != b and len(a) == 16


def test_public_surface() -> None:
    for name in ["EnvoyClient", "Page", "TabCounts", "signing", "RateLimitError"]:
        assert hasattr(envoy_api, name)
