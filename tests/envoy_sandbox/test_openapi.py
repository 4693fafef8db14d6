"""OpenAPI tells the truth about errors: what each operation really answers to a missing
credential, a foreign organization, a body over the limit, a malformed id or an unknown one is
documented on that operation, with the error envelope."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from envoy_sandbox.contract import ORG_B
from envoy_sandbox.errors import error_codes

from .conftest import Sandbox

PREFIXES = {"load_id": "load", "endpoint_id": "ep", "message_id": "msg"}
TOO_BIG = b"{" + b" " * (1024 * 1024) + b"}"


def operations(sandbox: Sandbox) -> list[tuple[str, str, dict[str, Any]]]:
    spec = sandbox.http.get("/openapi.json").json()
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    ]


def fill(path: str, ids: str) -> str:
    """The path with its parameters: well-formed unknown ids, or ``garbage`` when ``ids`` says."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PREFIXES:
            return "openapi-probe"
        return "garbage" if ids == "malformed" else f"{PREFIXES[name]}_{uuid.uuid4()}"

    return re.sub(r"\{(\w+)\}", one, path)


def probes(sandbox: Sandbox, method: str, path: str) -> list[httpx.Response]:
    """Requests that change nothing: each is refused before the route would act."""
    key = {"X-API-Key": sandbox.api_key}
    unknown_body = {"endpoint_id": f"ep_{uuid.uuid4()}"} if method in ("POST", "PATCH") else None
    with httpx.Client(base_url=sandbox.root) as http:
        sent = [
            http.request(method, fill(path, "unknown")),
            http.request(
                method, fill(path, "unknown"), headers={**key, "X-Organization-ID": ORG_B}
            ),
            http.request(method, fill(path, "unknown"), headers=key, content=TOO_BIG),
        ]
        if "{" in path and "{name}" not in path:
            sent.append(http.request(method, fill(path, "malformed"), headers=key))
            sent.append(http.request(method, fill(path, "unknown"), headers=key, json=unknown_body))
    return sent


def test_every_operation_documents_413_and_only_the_envelope(sandbox: Sandbox) -> None:
    for method, path, op in operations(sandbox):
        assert "413" in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if status[0] in "45" and (method, path) != ("POST", "/_sandbox/receivers/{name}"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path)


@pytest.mark.parametrize("prefix", ["/api/v1", "/_sandbox"])
def test_what_each_operation_answers_is_documented(sandbox: Sandbox, prefix: str) -> None:
    seen: set[int] = set()
    for method, path, op in operations(sandbox):
        if not path.startswith(prefix):
            continue
        for r in probes(sandbox, method, path):
            where = f"{method} {r.url.path}: {r.status_code} {r.text[:120]}"
            assert str(r.status_code) in op["responses"], where
            seen.add(r.status_code)
            if "ErrorEnvelope" in str(op["responses"][str(r.status_code)]):
                assert r.json()["error"]["code"] in error_codes(r.status_code), where
    expected = {400, 401, 403, 404, 413, 422} if prefix == "/api/v1" else {401, 403, 413}
    assert expected <= seen, seen  # the probes reached every kind of refusal
