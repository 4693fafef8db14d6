"""The URL is the view, in a real browser: Back/Forward, reload, the organization across pages,
and every README deep link opened cold (the first request a fresh server sees)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from ..sandboxes import Sandbox, showcase_load
from .conftest import (
    ARTIFACTS,
    configured_env,
    first_column,
    select_row,
    settle,
    start_console,
    wait_until,
)

ACTIVE_TAB = '[data-testid="stButtonGroup"] [role=radio][aria-checked=true]'


def menu(page: Page, title: str) -> Locator:
    return page.locator('[data-testid="stSidebar"]').get_by_role("link", name=title)


def loads_view_is(page: Page, tab: str, search: str, page_no: int) -> None:
    expect(page.locator(ACTIVE_TAB)).to_have_text(re.compile(rf"^{tab} · "))
    expect(page.get_by_placeholder("Load number, customer, carrier or city")).to_have_value(search)
    expect(page.get_by_text(re.compile(rf"^Page {page_no} of \d+ · "))).to_be_visible()


def test_back_forward_reload_and_back_to_loads(page: Page, console: str, sandbox: Sandbox) -> None:
    # The shared sandbox's loads change under other tests (the list is newest-updated first), so
    # the console is compared with what it showed itself, not with a second read of the API.
    api = sandbox.client
    assert api.loads.list(tab="delivered", search="a").pagination.total_pages >= 2
    page.goto(f"{console}/loads?tab=delivered")
    settle(page)
    box = page.get_by_placeholder("Load number, customer, carrier or city")
    box.fill("a")
    box.press("Enter")
    page.wait_for_url(re.compile(r"q=a"))
    loads_view_is(page, "Delivered", "a", 1)
    settle(page)
    first_page = wait_until(lambda: first_column(page), what="page 1 of the search")
    page.locator('[data-testid="stPagination"]').get_by_text("2", exact=True).click()
    page.wait_for_url(re.compile(r"page=2"))
    loads_view_is(page, "Delivered", "a", 2)
    shown = wait_until(
        lambda: (rows := first_column(page)) and not set(rows) & set(first_page) and rows,
        what=f"page 2 of the search (page 1 was {first_page[:5]})",
    )
    list_url = page.url
    settle(page)
    select_row(page, 0)
    page.wait_for_url(re.compile(r"/load\?"))
    heading = page.get_by_role("heading", name=f"Load {shown[0]}")
    expect(heading).to_be_visible()

    page.go_back()
    page.wait_for_url(list_url)
    loads_view_is(page, "Delivered", "a", 2)
    wait_until(lambda: first_column(page)[:5] == shown[:5], what=f"the list as it was: {shown[:5]}")
    page.go_forward()
    expect(heading).to_be_visible()
    page.reload()
    expect(heading).to_be_visible()
    page.get_by_role("link", name="Back to loads").click()
    page.wait_for_url(re.compile(r"tab=delivered"))
    loads_view_is(page, "Delivered", "a", 2)
    assert all(p in page.url for p in ("tab=delivered", "q=a", "page=2"))


def test_the_organization_stays_on_every_page_and_reload(page: Page, demo_console: str) -> None:
    page.goto(f"{demo_console}/loads")
    everything = page.locator(ACTIVE_TAB)
    expect(everything).to_have_text(re.compile(r"^All · 120$"))
    settle(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()
    page.get_by_role("option", name="Pinecrest Freight").click()
    page.wait_for_url(re.compile(r"org=org_"))
    expect(everything).not_to_have_text(re.compile(r"^All · 120$"))
    theirs = everything.inner_text()
    org = re.search(r"org=(org_[0-9a-f-]+)", page.url).group(1)  # type: ignore[union-attr]
    settle(page)

    menu(page, "Webhook endpoints").click()
    expect(page.get_by_role("heading", name="Webhook endpoints")).to_be_visible()
    page.wait_for_url(re.compile(rf"/webhooks\?.*org={org}"))
    chosen = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Organization")
    expect(chosen).to_have_value("Pinecrest Freight")
    settle(page)
    menu(page, "Loads").click()
    expect(everything).to_have_text(theirs)  # not silently back on Lakeshore Logistics
    page.reload()
    expect(everything).to_have_text(theirs)
    expect(chosen).to_have_value("Pinecrest Freight")
    page.go_back()
    expect(page.get_by_role("heading", name="Webhook endpoints")).to_be_visible()
    expect(chosen).to_have_value("Pinecrest Freight")


@pytest.fixture(scope="module")
def readme_links(sandbox: Sandbox) -> dict[str, tuple[str, str]]:
    """Each URL the README lists, with a heading that shows it landed."""
    api = sandbox.client
    load = showcase_load(api)
    ep = next(e for e in api.webhooks.list_endpoints() if e.url.endswith("/down"))
    msg = api.webhooks.list_endpoint_attempts(ep.id).data[0].message_id
    return {
        "attention": ("/", "Needs attention"),
        "loads": ("/loads?tab=active_escalations&q=Dallas", "Loads"),
        "old loads link": ("/?tab=active_escalations&q=Dallas", "Loads"),
        "load": (f"/load?load_id={load.id}", f"Load {load.load_number}"),
        "webhooks": (f"/webhooks?endpoint_id={ep.id}", "Webhook endpoints"),
        "deliveries": (f"/deliveries?endpoint_id={ep.id}&status=FAILED,DEAD", "Deliveries"),
        "message": (f"/deliveries?endpoint_id={ep.id}&message_id={msg}", "Message"),
        "event types": ("/event-types", "Event types"),
        "activity": ("/activity", "Activity"),
    }


@pytest.mark.parametrize(
    "name",
    [
        "attention",
        "loads",
        "old loads link",
        "load",
        "webhooks",
        "deliveries",
        "message",
        "event types",
        "activity",
    ],
)
def test_readme_links_work_cold(
    browser: Browser, sandbox: Sandbox, readme_links: dict[str, tuple[str, str]], name: str
) -> None:
    """A fresh server, and this link is the first thing it serves: it still runs the frame."""
    path, heading = readme_links[name]
    url, stop = start_console(configured_env(sandbox), "streamlit-cold.log")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(url + path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        for title in (
            "Needs attention",
            "Loads",
            "Webhook endpoints",
            "Deliveries",
            "Event types",
            "Activity",
        ):
            expect(menu(page, title)).to_be_visible()
        expect(page.get_by_role("button", name="Refresh data")).to_be_visible()
        settle(page)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / f"cold-{name.replace(' ', '-')}.png"))
    finally:
        context.close()
        stop()
