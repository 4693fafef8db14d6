"""The finish, as a new user meets it: a full browse of every page asks nothing of a non-local
host, and the Deliveries table's toolbar does not cover the controls above it, at 1440 px.
(No "None" cell and the one time format are checked in AppTest, on the data and column settings
each table is drawn from: the grid's accessible text is not what its canvas draws.)"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from ..sandboxes import Sandbox
from .conftest import doc_shot, every_page, grid, settle


def test_a_full_browse_asks_only_the_local_host(page: Page, console: str, sandbox: Sandbox) -> None:
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).hostname or ""))
    local = urlsplit(console).hostname
    for path in every_page(sandbox):
        page.goto(console + path)
        settle(page)
        expect(page.locator('[data-testid="stSidebar"]')).to_be_visible()
        if path == "/":
            expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
            doc_shot(page, "attention")
        tables = page.locator('[data-testid="stDataFrame"]:visible')
        for n in range(tables.count()):
            grid(page.locator("body"), n, visible=True)  # every table draws its rows
    assert hosts <= {local, "127.0.0.1", "localhost"}, hosts


def test_the_deliveries_toolbar_does_not_cover_the_controls_above(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    down = next(e for e in sandbox.client.webhooks.list_endpoints() if e.url.endswith("/down"))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{console}/deliveries?endpoint_id={down.id}&window=all")
    settle(page)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    expect(toolbar).to_be_visible()
    field = page.get_by_label("Load number or id").bounding_box()
    bar = toolbar.bounding_box()
    assert field is not None and bar is not None
    overlap_y = min(field["y"] + field["height"], bar["y"] + bar["height"]) - max(
        field["y"], bar["y"]
    )
    overlap_x = min(field["x"] + field["width"], bar["x"] + bar["width"]) - max(
        field["x"], bar["x"]
    )
    assert overlap_x <= 0 or overlap_y <= 0, (field, bar)
