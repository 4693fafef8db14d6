"""A running sandbox for tests: fast retries, its own SQLite file, clients for both orgs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from typing_extensions import Unpack

from envoy_api import EnvoyClient, Load
from envoy_sandbox import SandboxExtras, SandboxSettings, start_in_thread
from envoy_sandbox.config import SECOND_ORG_API_KEY
from envoy_sandbox.contract import EventEmitted, FaultRule, Receipt, ReceiverMode, SandboxStats

from .helpers import wait_for

FAST: dict[str, Any] = dict(
    loads=300,
    retry_scale=0.002,  # retries after 10 ms, 60 ms, 240 ms, 1.2 s
    attempt_timeout=1.0,
    sender_poll_interval=0.02,
)


# The data of events tests emit themselves: a load the seed does not have (so filters that want
# a seeded load can tell them apart).
EVENT_LOAD: dict[str, Any] = {
    "load_id": "load_0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "load_number": "LD-TEST-1",
}


def showcase_load(client: EnvoyClient) -> Load:
    """A seeded load with calls, failed verifications and active escalations."""
    failing = {x.id for x in client.loads.list(tab="failed_verifications", page_size=100).data}
    escalated = client.loads.list(tab="active_escalations", page_size=100).data
    return next(x for x in escalated if x.id in failing and client.loads.calls(x.id))


@dataclass
class Sandbox:
    base_url: str
    api_key: str
    client: EnvoyClient
    other: EnvoyClient  # the second organization's key
    http: httpx.Client  # raw, rooted at the server: see ExtrasKey for its credentials
    extras: SandboxExtras  # the /_sandbox routes, as the first organization
    db_path: Path  # its SQLite file, for tests that write rows the API would refuse

    @property
    def root(self) -> str:
        return self.extras.root

    def receiver_url(self, name: str) -> str:
        return self.extras.receiver_url(name)

    def new_receiver(self, mode: ReceiverMode = "ok") -> str:
        name = f"t-{uuid.uuid4().hex[:10]}"
        self.set_receiver(name, mode)
        return name

    def set_receiver(self, name: str, mode: ReceiverMode, rate: float | None = None) -> None:
        self.extras.set_receiver(name, mode, rate)

    def received(self, name: str) -> list[Receipt]:
        return self.extras.received(name)["received"]

    def emit(self, event_type: str, data: dict[str, Any], key: str | None = None) -> EventEmitted:
        if key is None:
            return self.extras.emit(event_type, data)
        with SandboxExtras(self.root, api_key=key) as other:
            return other.emit(event_type, data)

    def fault(self, **spec: Unpack[FaultRule]) -> None:
        self.extras.fault(**spec)

    def clear_faults(self) -> None:
        self.extras.clear_faults()

    def stats(self) -> SandboxStats:
        return self.extras.stats()

    def reset_stats(self) -> None:
        self.extras.reset_stats()


class ExtrasKey(httpx.Auth):
    """The API key on ``/_sandbox`` requests that carry no credential of their own (the extras
    need one); ``/api/v1`` requests go out as raw as the test wrote them."""

    def __init__(self, key: str) -> None:
        self.key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        own = "x-api-key" in request.headers or "authorization" in request.headers
        if request.url.path.startswith("/_sandbox/") and not own:
            request.headers["X-API-Key"] = self.key
        yield request


def dead_messages(
    sb: Sandbox, count: int, description: str | None = None, timeout: float = 60.0
) -> tuple[str, str, list[str]]:
    """A new endpoint on a receiver that is down, and ``count`` messages to it, each DEAD after
    its tries: (endpoint id, receiver name, message ids). The receiver stays down."""
    api = sb.client.webhooks
    name = sb.new_receiver("down")
    ep = api.create_endpoint(url=sb.receiver_url(name), event_types=["load.created"],
                             description=description)  # fmt: skip
    msgs = [next(m["id"] for m in sb.emit("load.created", EVENT_LOAD)["messages"]
                 if m["endpoint_id"] == ep.id) for _ in range(count)]  # fmt: skip
    wait_for(lambda: all(api.list_message_attempts(m)[-1].status == "DEAD" for m in msgs),
             timeout=timeout, what="every message to be DEAD")  # fmt: skip
    return ep.id, name, msgs


def make_sandbox(tmp: Path, **overrides: Any) -> tuple[Sandbox, Callable[[], None]]:
    settings = SandboxSettings(db_path=str(tmp / "sandbox.db"), **{**FAST, **overrides})
    base, key, stop = start_in_thread(settings)
    return connect_sandbox(base, key, Path(settings.db_path), stop)


def connect_sandbox(
    base: str, key: str, db_path: Path, stop: Callable[[], None] = lambda: None
) -> tuple[Sandbox, Callable[[], None]]:
    """Clients of a running sandbox at ``base`` (``…/api/v1``), in this process or its own."""
    # Generous bounds: the sandbox shares its process (and the machine) with a busy test worker.
    extras = SandboxExtras(base, api_key=key, timeout=60)
    http = httpx.Client(base_url=extras.root, timeout=60, auth=ExtrasKey(key))
    sb = Sandbox(
        base_url=base,
        api_key=key,
        client=EnvoyClient(base, api_key=key, max_retries=0, timeout=60),
        other=EnvoyClient(base, api_key=SECOND_ORG_API_KEY, max_retries=0, timeout=60),
        http=http,
        extras=extras,
        db_path=db_path,
    )

    def close() -> None:
        http.close()
        extras.close()
        stop()

    return sb, close
