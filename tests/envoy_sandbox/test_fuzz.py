"""Property-based fuzzing of the sandbox's OpenAPI: no input makes it answer 5xx, and every
answer's status, content type and body are the ones its operation documents.

Runs against its own sandbox (fuzzing creates endpoints) and leaves out ``/_sandbox`` (faults
there are 5xx on purpose).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Sandbox, make_sandbox

# About 700 generated requests (a minute of CPU): in make test, not make test-fast.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sb, stop = make_sandbox(tmp_path_factory.mktemp("fuzz"), loads=30, send_webhooks=False)
    yield sb
    stop()


def test_no_server_errors(fuzz_sandbox: Sandbox) -> None:
    # Imported here, not at the top: every worker of make test-fast collects this module, and
    # schemathesis with hypothesis is a second of CPU to import that only this test needs.
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.result import Err
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    conformance = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    openapi = schemathesis.openapi.from_url(f"{fuzz_sandbox.root}/openapi.json")
    schema = openapi.exclude(path_regex="^/_sandbox")
    checked: list[str] = []
    for result in schema.get_all_operations():
        assert not isinstance(result, Err), result.err()
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def fuzz(case: Any) -> None:
            headers = dict(case.headers or {})
            if not {"x-api-key", "authorization"} & {h.lower() for h in headers}:
                headers["X-API-Key"] = fuzz_sandbox.api_key
            case.headers = headers
            response = case.call(base_url=fuzz_sandbox.root)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]}"
            )
            assert "detail" not in response.text[:20]
            case.validate_response(response, checks=conformance)

        fuzz()
        checked.append(operation.label)
    assert len(checked) == 17, checked  # 14 contract operations + loads list/detail + login
    served = fuzz_sandbox.http.get("/_sandbox/stats").json()["total"]
    assert served >= 17 * 10, served  # every operation really got many requests
