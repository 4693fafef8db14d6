"""``since``/``until`` at the edges of the datetime range: 422, never 500, and rows kept."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from envoy_sandbox.db import iso

from .conftest import Sandbox
from .support import peer, raw

__all__ = ["raw"]  # a fixture

REFUSED = [
    "0001-01-01T00:00:00+14:00",  # year 0 once in UTC: OverflowError, answered 500 before
    "9999-12-31T23:59:59-14:00",  # year 10000 once in UTC
    "2024-04-20T14:45:00",  # no zone: which moment is meant?
    "0999-01-01T00:00:00Z",  # before 1970 (and unpadded, it sorted after every stored time)
    "1969-12-31T23:59:59Z",
]


def messages_path(sandbox: Sandbox) -> str:
    down = next(e for e in sandbox.client.webhooks.list_endpoints() if e.url.endswith("/down"))
    return f"/api/v1/webhooks/endpoints/{down.id}/messages"


@pytest.mark.parametrize("param", ["since", "until"])
def test_out_of_range_or_zoneless_bounds_are_422(
    sandbox: Sandbox, raw: httpx.Client, param: str
) -> None:
    path = messages_path(sandbox)
    first = raw.get(path)
    for value in REFUSED:
        r = raw.get(path, params={param: value})
        assert r.status_code == 422, (value, r.text)
        assert r.json()["error"]["code"] == "validation_error"
        assert r.json()["error"]["param"] == param
        assert peer(r) == peer(first)  # no 500 on the way: the connection was never reset


def test_bounds_at_the_edges_keep_every_row(sandbox: Sandbox, raw: httpx.Client) -> None:
    path = messages_path(sandbox)
    total = raw.get(path).json()["pagination"]["total_count"]
    assert total > 0
    for params in (
        {"since": "1970-01-01T00:00:00Z"},
        {"until": "9999-12-31T23:59:59Z"},
        {"since": "1970-01-01T10:00:00+10:00", "until": "9999-12-31T09:59:59-14:00"},
    ):
        r = raw.get(path, params=params)
        assert r.status_code == 200, (params, r.text)
        assert r.json()["pagination"]["total_count"] == total, params
    empty = raw.get(path, params={"until": "1970-01-01T00:00:00Z"}).json()
    assert empty["pagination"]["total_count"] == 0


def test_stored_times_pad_the_year() -> None:
    # Times are compared as text: "999-…" would sort after "2024-…".
    assert iso(datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0999-01-02T03:04:05.000Z"
    assert iso(datetime(2024, 4, 20, 14, 45, tzinfo=UTC)) == "2024-04-20T14:45:00.000Z"
