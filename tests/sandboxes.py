"""A running sandbox for tests: fast retries, its own SQLite file, clients for both orgs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from envoy_api import EnvoyClient, Load
from envoy_sandbox import SandboxSettings, start_in_thread
from envoy_sandbox.config import SECOND_ORG_API_KEY

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
    http: httpx.Client  # raw, rooted at the server (not /api/v1), no credentials

    @property
    def root(self) -> str:
        return self.base_url.removesuffix("/api/v1")

    def receiver_url(self, name: str) -> str:
        return f"{self.root}/_sandbox/receivers/{name}"

    def new_receiver(self, mode: str = "ok") -> str:
        name = f"t-{uuid.uuid4().hex[:10]}"
        self.set_receiver(name, mode)
        return name

    def set_receiver(self, name: str, mode: str, rate: float | None = None) -> None:
        body = {"mode": mode, "failure_rate": rate}
        self.http.put(f"/_sandbox/receivers/{name}", json=body).raise_for_status()

    def received(self, name: str) -> list[dict[str, Any]]:
        return list(self.http.get(f"/_sandbox/receivers/{name}").json()["received"])

    def emit(self, event_type: str, data: dict[str, Any], key: str | None = None) -> Any:
        r = self.http.post(
            "/_sandbox/events",
            json={"type": event_type, "data": data},
            headers={"X-API-Key": key or self.api_key},
        )
        r.raise_for_status()
        return r.json()

    def fault(self, **spec: Any) -> None:
        self.http.post("/_sandbox/faults", json=spec).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/_sandbox/faults").raise_for_status()

    def stats(self) -> dict[str, Any]:
        return dict(self.http.get("/_sandbox/stats").json())

    def reset_stats(self) -> None:
        self.http.delete("/_sandbox/stats").raise_for_status()


def make_sandbox(tmp: Path, **overrides: Any) -> tuple[Sandbox, Callable[[], None]]:
    settings = SandboxSettings(db_path=str(tmp / "sandbox.db"), **{**FAST, **overrides})
    base, key, stop = start_in_thread(settings)
    http = httpx.Client(base_url=base.removesuffix("/api/v1"), timeout=10)
    sb = Sandbox(
        base_url=base,
        api_key=key,
        client=EnvoyClient(base, api_key=key, max_retries=0),
        other=EnvoyClient(base, api_key=SECOND_ORG_API_KEY, max_retries=0),
        http=http,
    )

    def close() -> None:
        http.close()
        stop()

    return sb, close
