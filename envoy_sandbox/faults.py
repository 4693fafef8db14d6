"""Fault injection and request statistics, applied to ``/api/v1`` by one ASGI middleware.

Faults are rules matched on method and path (``fnmatch`` patterns, ``*`` for everything):
added latency, a forced status (with the envelope, and ``Retry-After`` for 429), a
malformed JSON body, or an exception (answered 500 by ``errors.CrashMiddleware``). Stats
count requests per route template since start or reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import itertools
import json
import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, cast

from starlette.types import ASGIApp, Receive, Scope, Send

from . import contract
from .contract import API_PREFIX
from .errors import CODES


@dataclass
class Fault:
    id: int
    route: str = "*"
    method: str = "*"
    latency_ms: float = 0
    status: int | None = None
    malformed: bool = False
    retry_after: int | None = None
    remaining: int | None = None
    mutate: str | None = None  # unknown_enum | extra_fields | missing_optional
    crash: bool = False  # raise inside the app: the real path of an unexpected exception

    def wire(self) -> contract.Fault:
        return cast(contract.Fault, asdict(self))

    def matches(self, method: str, path: str) -> bool:
        if self.method != "*" and self.method.upper() != method:
            return False
        route = self.route if self.route.startswith("/") or self.route == "*" else "/" + self.route
        sub = path.removeprefix(API_PREFIX) or "/"
        return fnmatch.fnmatchcase(path, route) or fnmatch.fnmatchcase(sub, route)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, **spec: Any) -> Fault:
        with self._lock:
            fault = Fault(id=next(self._ids), **spec)
            self._rules.append(fault)
            return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def list(self) -> list[contract.Fault]:
        with self._lock:
            return [f.wire() for f in self._rules]

    def match(self, method: str, path: str) -> tuple[float, Fault | None]:
        """Total added latency and the first status/malformed rule that applies."""
        latency = 0.0
        chosen: Fault | None = None
        with self._lock:
            for f in list(self._rules):
                if not f.matches(method, path):
                    continue
                if f.latency_ms:
                    latency += f.latency_ms
                if chosen is None and (f.status or f.malformed or f.mutate or f.crash):
                    chosen = f
                    if f.remaining is not None:
                        f.remaining -= 1
                        if f.remaining <= 0:
                            self._rules.remove(f)
        return latency, chosen


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.routes: Counter[str] = Counter()

    def add(self, key: str) -> None:
        with self._lock:
            self.routes[key] += 1

    def snapshot(self) -> contract.SandboxStats:
        with self._lock:
            return {"total": sum(self.routes.values()), "routes": dict(self.routes)}

    def reset(self) -> None:
        with self._lock:
            self.routes.clear()


ENUM_FIELDS = {"status", "call_direction", "equipment_type", "mode", "agent_type",
               "latest_status", "recording_status", "escalation_type", "source"}  # fmt: skip
OPTIONAL_FIELDS = {"stops", "carrier_rep", "driver", "description", "headers", "disabled_reason",
                   "reasons", "carrier", "call_direction", "duration_ms", "response_body_excerpt",
                   "next_attempt_at", "payload_schema", "customer_name", "carrier_name",
                   "equipment_type", "call_start_time", "call_end_time"}  # fmt: skip


def mutate(value: Any, how: str) -> Any:
    """The same JSON, changed the way a newer or older Envoy might send it."""
    if isinstance(value, list):
        return [mutate(v, how) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in FREE_FORM:  # maps whose keys are data, not fields
            out[key] = item
            continue
        if how == "missing_optional" and (item is None or key in OPTIONAL_FIELDS):
            continue
        if how == "unknown_enum" and key in ENUM_FIELDS and isinstance(item, str):
            out[key] = "SOMETHING_NEW"
            continue
        out[key] = mutate(item, how)
    if how == "extra_fields":
        out["x_added_later"] = {"nested": [1, "two", None], "flag": True}
    return out


FREE_FORM = {"headers", "data", "payload_schema", "tabs"}


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults, stats: Stats) -> None:
        self.app = app
        self.faults = faults
        self.stats = stats
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

    def _template(self, scope: Scope) -> str:
        """The route's path template (``/api/v1/loads/{load_id}``), from the OpenAPI paths."""
        if self._templates is None:
            paths = scope["app"].openapi().get("paths", {})
            self._templates = [
                (re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(p)) + "$"), p)
                for p in sorted(paths, key=lambda p: (p.count("{"), -len(p)))
            ]
        path = str(scope["path"])
        for pattern, template in self._templates:
            if pattern.match(path):
                return template
        return path

    async def _mutated(self, how: str, scope: Scope, receive: Receive, send: Send) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        status = int(start.get("status", 500))
        if 200 <= status < 300 and body:
            with contextlib.suppress(ValueError):
                body = json.dumps(mutate(json.loads(body), how)).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        self.stats.add(f"{method} {self._template(scope)}")
        latency, fault = self.faults.match(method, path)
        if latency:
            await asyncio.sleep(latency / 1000)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.crash:
            raise RuntimeError("Injected fault: a crash, as asked.")
        if fault.mutate and not fault.status and not fault.malformed:
            await self._mutated(fault.mutate, scope, receive, send)
            return
        if fault.malformed:
            body = b'{"data": [{"id": "load_'
            status = fault.status or 200
        else:
            status = fault.status or 500
            body = json.dumps(
                {
                    "error": {
                        "code": CODES.get(status, "internal_error"),
                        "message": f"Injected fault: the sandbox answered {status} as asked.",
                        "param": None,
                    }
                }
            ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if status == 429:
            headers.append((b"retry-after", str(fault.retry_after or 1).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
