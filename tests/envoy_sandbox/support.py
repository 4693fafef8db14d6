"""What several sandbox test modules share: a raw keep-alive client and how to tell its
connection apart."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import Sandbox


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """One keep-alive connection to the sandbox, as the first organization (raw httpx: no
    checks made before sending, unlike ``envoy_api``)."""
    with httpx.Client(base_url=sandbox.root, headers={"X-API-Key": sandbox.api_key}) as client:
        yield client


def peer(response: httpx.Response) -> object:
    """The client side of the connection the response came on: equal means reused."""
    return response.extensions["network_stream"].get_extra_info("client_addr")
