"""The shell: embedded sandbox with no configuration, organizations, cache isolation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from components import data
from components.data import connection
from components.data.connection import Connection, Organization
from envoy_sandbox.config import SECOND_ORG_API_KEY
from envoy_sandbox.contract import ORG_A, ORG_B
from envoy_sandbox.extras import token_expiry

from ..helpers import wait_for
from ..sandboxes import Sandbox
from .conftest import loads_app, run_app, texts


def test_no_configuration_runs_on_the_embedded_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BASE_URL", "API_KEY", "BEARER_TOKEN", "ORGANIZATION_ID"):
        monkeypatch.delenv(f"ENVOY_{name}", raising=False)
    monkeypatch.setenv("ENVOY_SANDBOX_DB", str(tmp_path / "embedded.db"))
    monkeypatch.setenv("ENVOY_SANDBOX_LOADS", "40")
    monkeypatch.setenv("ENVOY_SANDBOX_TICKER", "0")
    monkeypatch.setenv("ENVOY_SANDBOX_TOKEN_TTL", "4")  # the demo login must renew itself
    connection.embedded_sandbox.clear()
    at = loads_app()
    assert "Connected to **Sandbox (demo data)**" in texts(at)
    org = at.selectbox(key="organization")
    assert org.options == ["Lakeshore Logistics", "Pinecrest Freight"]
    assert at.button_group(key="loads_tab").options[0] == "All · 40"
    org.set_value(ORG_B)
    run_app(at)
    assert at.button_group(key="loads_tab").options[0] == "All · 10"
    assert all(n.startswith("PF") for n in at.dataframe[0].value["Load"])
    # Past the first token's expiry (a console left open overnight): still no 401 anywhere.
    first = connection.resolve_connection().bearer_token or ""
    expiry = token_expiry(first)
    assert expiry is not None
    wait_for(lambda: datetime.now(UTC) > expiry, timeout=10, what="the first token to expire")
    at.button(key="refresh_data").click()
    run_app(at)
    assert not at.error, [e.value for e in at.error]
    assert at.button_group(key="loads_tab").options[0] == "All · 10"
    assert connection.resolve_connection().bearer_token != first
    connection.embedded_sandbox.clear()


def test_refresh_data_refetches(configured: Sandbox) -> None:
    at = loads_app()
    configured.reset_stats()
    refresh = next(b for b in at.button if b.label == "Refresh data")
    refresh.click()
    run_app(at)
    assert configured.stats()["routes"].get("GET /api/v1/loads/tab-counts") == 1
    assert re.search(r"Updated \d+ s ago \(\d\d:\d\d:\d\d UTC\); next refresh in \d+ s", texts(at))


def test_two_credentials_never_share_cached_rows(sandbox: Sandbox) -> None:
    first = Connection(kind="remote", base_url=sandbox.base_url, api_key=sandbox.api_key)
    second = Connection(kind="remote", base_url=sandbox.base_url, api_key=SECOND_ORG_API_KEY)
    ctx_a, ctx_b = data.register(first, None), data.register(second, None)
    assert ctx_a != ctx_b and sandbox.api_key not in repr(ctx_a)
    rows_a = data.loads_page(ctx_a, tab=None, search=None, page=1, page_size=5).items
    rows_b = data.loads_page(ctx_b, tab=None, search=None, page=1, page_size=5).items
    assert {x.organization_id for x in rows_a} == {ORG_A}
    assert {x.organization_id for x in rows_b} == {ORG_B}
    view_a = data.loads_view(ctx_a, tab="all", search="", page=1, page_size=5)
    view_b = data.loads_view(ctx_b, tab="all", search="", page=1, page_size=5)
    assert view_a.counts["all"] != view_b.counts["all"]


def test_two_organizations_of_one_credential_never_share(sandbox: Sandbox) -> None:
    from envoy_sandbox.config import DEMO_EMAIL, DEMO_PASSWORD

    token = sandbox.http.post(
        "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    ).json()["access_token"]
    conn = Connection(
        kind="remote", base_url=sandbox.base_url, bearer_token=token,
        organizations=(Organization(ORG_A, "A"), Organization(ORG_B, "B")),
    )  # fmt: skip
    rows_a = data.loads_page(data.register(conn, ORG_A), tab=None, search=None, page=1,
                             page_size=5).items  # fmt: skip
    rows_b = data.loads_page(data.register(conn, ORG_B), tab=None, search=None, page=1,
                             page_size=5).items  # fmt: skip
    assert {x.organization_id for x in rows_a} == {ORG_A}
    assert {x.organization_id for x in rows_b} == {ORG_B}
    assert token not in repr(conn)
