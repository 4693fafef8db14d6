"""Forms that help, in a real Chromium: paging shows the new page from its first row; the
registration form says every problem at once, next to its field, and is empty after a success."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, ViewportSize, expect

from ..sandboxes import Sandbox, dead_messages
from .conftest import ARTIFACTS, choose, count_to_replay, first_column, settle, wait_until

LAPTOP: ViewportSize = {"width": 1366, "height": 768}  # the table and its pager: two screens

# Where the loads table is in the window: its top, the fixed header's bottom, the window's height.
_WHERE = """() => {
  const table = document.querySelector('.st-key-loads_table');
  const header = document.querySelector('[data-testid="stHeader"]');
  const main = document.querySelector('[data-testid="stMain"]');
  return {top: table.getBoundingClientRect().top,
          header: header ? header.getBoundingClientRect().bottom : 0,
          height: window.innerHeight, scrolled: main.scrollTop};
}"""


def where(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(_WHERE)
    return found


def first_row_in_view(page: Page) -> bool:
    """The table's top is just under the header: its column titles and first row show."""
    w = where(page)
    return bool(w["header"] <= w["top"] <= w["header"] + 100 and w["top"] + 70 < w["height"])


def numbers(sandbox: Sandbox, page_no: int, size: int = 20) -> list[str]:
    return [x.load_number for x in sandbox.client.loads.list(page=page_no, page_size=size).data]


def wait_for_page(page: Page, sandbox: Sandbox, page_no: int, size: int = 20) -> None:
    """Until the table shows that page's loads (its first five), and the run is over."""
    expected = numbers(sandbox, page_no, size)[:5]
    wait_until(lambda: first_column(page)[:5] == expected, what=f"page {page_no}'s rows")
    settle(page)


def test_paging_shows_the_new_page_from_its_first_row(page: Page, console: str,
                                                      sandbox: Sandbox) -> None:  # fmt: skip
    page.set_viewport_size(LAPTOP)
    page.goto(f"{console}/loads")
    pager = page.locator('[data-testid="stPagination"]')
    wait_for_page(page, sandbox, 1)
    for button, page_no in (("Next page", 2), ("Next page", 3), ("Previous page", 2)):
        pager.scroll_into_view_if_needed()  # the agent scrolls down to the pager...
        wait_until(lambda: where(page)["top"] < where(page)["header"], what="the table scrolled")
        pager.get_by_role("button", name=button).click()  # ...and pages
        page.wait_for_url(re.compile(rf"page={page_no}\b"))
        wait_for_page(page, sandbox, page_no)
        wait_until(lambda: first_row_in_view(page), what=f"page {page_no}'s first row in view")
        page.screenshot(path=str(ARTIFACTS / f"paging-{page_no}.png"))
    # Fifty rows a page: the table scrolls within itself too, and starts again at its first row.
    page.goto(f"{console}/loads?size=50&page=2")
    wait_for_page(page, sandbox, 2, 50)
    own = page.locator(".st-key-loads_table .dvn-scroller")
    own.evaluate("e => e.scrollTop = e.scrollHeight")  # the agent read down to row 50
    wait_until(lambda: own.evaluate("e => e.scrollTop") > 0, what="the rows scrolled")
    pager.scroll_into_view_if_needed()
    pager.get_by_role("button", name="Next page").click()
    page.wait_for_url(re.compile(r"page=3\b"))
    wait_for_page(page, sandbox, 3, 50)
    wait_until(lambda: first_row_in_view(page) and own.evaluate("e => e.scrollTop") == 0,
               what="page 3's first row in view")  # fmt: skip
    page.screenshot(path=str(ARTIFACTS / "paging-50.png"))
    # A run that is not a page change leaves the scroll alone.
    pager.scroll_into_view_if_needed()
    page.get_by_role("button", name="Refresh data").click()
    settle(page)
    assert where(page)["top"] < where(page)["header"], "a refresh scrolled the page"


def _form(page: Page):  # type: ignore[no-untyped-def]
    return page.locator('[data-testid="stMain"] [data-testid="stForm"]').first


def test_register_says_every_problem_next_to_its_field_then_empties(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    url = sandbox.receiver_url(sandbox.new_receiver("ok"))
    page.goto(f"{console}/webhooks")
    settle(page)
    page.get_by_text("Register an endpoint").click()
    form = _form(page)
    form.get_by_label("URL").fill("hooks.example.com/envoy")
    form.get_by_label("Description").fill("every problem at once")
    form.get_by_role("button", name="Register").click()
    expect(form.get_by_text("2 things to fix: the URL and the event types.")).to_be_visible()
    url_error = form.locator('[data-testid="stAlert"]', has_text="must start with")
    types_error = form.locator('[data-testid="stAlert"]', has_text="at least one event type")
    # Each message sits right under its own field, between it and the next one.
    url_box = form.get_by_label("URL").bounding_box()
    types_box = form.locator('[data-testid="stMultiSelect"]').bounding_box()
    desc_box = form.get_by_label("Description").bounding_box()
    url_err, types_err = url_error.bounding_box(), types_error.bounding_box()
    assert url_box and types_box and desc_box and url_err and types_err
    assert url_box["y"] < url_err["y"] < types_box["y"] < types_err["y"] < desc_box["y"]
    expect(form.get_by_label("URL")).to_have_value("hooks.example.com/envoy")
    expect(form.get_by_label("Description")).to_have_value("every problem at once")
    page.screenshot(path=str(ARTIFACTS / "register-problems.png"))

    settle(page)
    form.get_by_label("URL").fill(url)
    choose(form.locator('[data-testid="stMultiSelect"]'), "load.created")
    form.get_by_role("button", name="Register").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Registered")).to_be_visible()
    expect(dialog.locator("code", has_text="whsec_").first).to_be_visible()
    expect(page.locator('[data-testid="stToast"]')).to_have_count(0)  # nothing over the dialog
    page.screenshot(path=str(ARTIFACTS / "register-secret.png"))
    dialog.get_by_role("button", name="I have copied it").click()
    expect(dialog).to_be_hidden()
    settle(page)
    # The form is empty again, in the browser too (not only on the server).
    expect(form.get_by_label("URL")).to_have_value("")
    expect(form.get_by_label("Description")).to_have_value("")
    chips = form.locator('[data-testid="stMultiSelect"]').get_by_text("load.created")
    expect(chips).to_have_count(0)
    expect(form.locator('[data-testid="stAlert"]')).to_have_count(0)
    ep = next(e for e in sandbox.client.webhooks.list_endpoints() if e.url == url)
    assert ep.description == "every problem at once"
    sandbox.client.webhooks.delete_endpoint(ep.id)


def test_an_open_form_stays_open_when_a_warning_appears_above_it(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    """An agent half-way through the register form: another endpoint is disabled meanwhile, so
    the next run draws a warning above the form. The form stays open with what was typed (an
    expander without a key of its own was redrawn closed: a different element in its place)."""
    page.goto(f"{console}/webhooks")
    settle(page)
    page.get_by_text("Register an endpoint").click()
    _form(page).get_by_label("URL").fill("https://typed.example/hook")
    endpoint_id, _, _ = dead_messages(sandbox, 20, "disabled while the form was open")
    try:
        wait_until(lambda: sandbox.client.webhooks.retrieve_endpoint(endpoint_id).status
                   == "DISABLED", timeout=60, what="the endpoint to be disabled")  # fmt: skip
        warning = page.get_by_text("disabled while the form was open is disabled")

        def refreshed() -> bool:
            # A click on Refresh data can go unanswered on a loaded machine (once in a full
            # suite beside two other workers: the page stayed 44 s old for 30 s); the agent
            # would click again, and so does this test. Every click is a rerun the form lives
            # through.
            page.get_by_role("button", name="Refresh data").click()
            settle(page)
            return warning.count() > 0

        wait_until(refreshed, timeout=120, what="the warning after Refresh data")
        expect(warning).to_be_visible()
        expect(_form(page).get_by_label("URL")).to_be_visible()
        expect(_form(page).get_by_label("URL")).to_have_value("https://typed.example/hook")
    finally:
        sandbox.client.webhooks.delete_endpoint(endpoint_id)


def test_bulk_recovery_reopened_after_a_cancel_stays_open_through_a_rerun(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    """Count, Cancel, open the panel again: a rerun of the page (Refresh data here; replays in
    flight redraw it every two seconds) leaves it open and a second count works."""
    endpoint_id, _, _ = dead_messages(sandbox, 2, "bulk panel reopened")
    try:
        page.goto(f"{console}/deliveries?endpoint_id={endpoint_id}&window=all")
        count = page.get_by_role("button", name="Count messages to replay")
        count_to_replay(page)
        expect(page.get_by_text("2 messages", exact=True)).to_be_visible()
        settle(page)
        page.get_by_role("button", name="Cancel").click()
        settle(page)
        if not count.is_visible():  # the agent opens the panel again when it closed
            page.get_by_text("Bulk recovery").click()
        expect(count).to_be_visible()
        page.get_by_role("button", name="Refresh data").click()
        settle(page)
        expect(count).to_be_visible()
        count.click()
        expect(page.get_by_text("2 messages", exact=True)).to_be_visible()
    finally:
        sandbox.client.webhooks.delete_endpoint(endpoint_id)
