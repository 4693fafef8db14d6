from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from envoy_api import EnvoyClient

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records requests and answers from a route table or queue."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], Any] = {}
        self.queue: list[httpx.Response] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.queue:
            return self.queue.pop(0)
        key = (request.method, request.url.path.removeprefix("/api/v1"))
        if key not in self.routes:
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})
        answer = self.routes[key]
        if callable(answer):
            handler: Handler = answer
            return handler(request)
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(recorder: Recorder, sleeps: list[float]) -> EnvoyClient:
    c = EnvoyClient(
        "https://tryenvoy.ai/api/v1",
        api_key="envai_live_TESTKEY123",
        transport=httpx.MockTransport(recorder),
    )
    c._sleep = sleeps.append
    return c
