"""An unexpected exception answers the 500 envelope and leaves the keep-alive connection usable."""

from __future__ import annotations

import httpx

from .conftest import Sandbox
from .support import peer, raw

__all__ = ["raw"]  # a fixture


def test_a_500_keeps_the_connection(sandbox: Sandbox, raw: httpx.Client) -> None:
    before = raw.get("/api/v1/loads/tab-counts")
    assert before.status_code == 200
    connection = peer(before)
    sandbox.fault(route="/loads/tab-counts", crash=True, remaining=1)
    try:
        crashed = raw.get("/api/v1/loads/tab-counts")
    finally:
        sandbox.clear_faults()
    assert crashed.status_code == 500
    assert crashed.json()["error"]["code"] == "internal_error"
    assert peer(crashed) == connection
    # Was: the server closed the connection after answering, so this failed (a reset) or went
    # out on a new connection.
    after = raw.get("/api/v1/loads/tab-counts")
    assert after.status_code == 200
    assert peer(after) == connection
