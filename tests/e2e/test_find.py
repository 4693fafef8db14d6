"""The find box in Chromium: one example of every kind pasted into the sidebar's box lands on
its view (the load, the message with its attempts, the endpoint, the call or escalation on its
load, or the ranked list when several match), and ``/search?q=<message id>`` opened cold in a
fresh page shows that message."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from components.domain import find
from components.domain.story import safe_url
from components.shell.find_box import PLACEHOLDER
from envoy_api import EnvoyClient
from envoy_api.models import Load

from ..sandboxes import Sandbox
from .conftest import settle

Check = Callable[[Page], None]


def main(page: Page) -> Locator:
    return page.locator('[data-testid="stMain"]')


def opens(path: str, text: str) -> Check:
    """The page's URL has ``path`` and the page shows ``text``."""

    def check(page: Page) -> None:
        page.wait_for_url(re.compile(re.escape(path)))
        expect(main(page).get_by_text(text, exact=False).first).to_be_visible()

    return check


def lists(group: str, row: str) -> Check:
    """The search view lists ``row`` in the group ``group``."""

    def check(page: Page) -> None:
        page.wait_for_url(re.compile(r"/search\?"))
        expect(page.get_by_role("heading", name=re.compile(rf"^{group} · \d+"))).to_be_visible()
        expect(main(page).get_by_role("link", name=row).first).to_be_visible()

    return check


def load_opens(number: str) -> Check:
    def check(page: Page) -> None:
        page.wait_for_url(re.compile(r"/load\?"))
        expect(page.get_by_role("heading", name=f"Load {number}")).to_be_visible()

    return check


def _shared_name(api: EnvoyClient, names: list[str | None]) -> str:
    """The first of ``names`` that more than one load's search finds."""
    return next(n for n in names if n and api.loads.list(search=n).pagination.total_count > 1)


def _lane(load: Load) -> tuple[str, str] | None:
    cities = [s.location.city for s in load.stops or []]
    return (cities[0], cities[-1]) if len(cities) > 1 and cities[0] and cities[-1] else None


def _lane_count(api: EnvoyClient, origin: str, destination: str) -> int:
    """The loads the find box's city pair matches (the newest 100 with a stop in ``origin``)."""
    found = api.loads.list(search=origin, page_size=100).data
    return sum(find.pair_match(x, origin, destination) is not None for x in found)


def examples(api: EnvoyClient) -> list[tuple[str, str, Check]]:
    """(what, term pasted, where it must land): one of every kind, from the sandbox's data."""
    loads = api.loads.list(page_size=50).data
    load = loads[0]
    # Names and a lane that several loads share, so that they give the ranked list (one match
    # opens its load; which loads are newest changes with what other tests did to the sandbox).
    customer = _shared_name(api, [x.customer_name for x in loads])
    carrier = _shared_name(api, [x.carrier_name for x in loads])
    first, last = next(lane for x in loads if (lane := _lane(x)) and _lane_count(api, *lane) > 1)
    eps = api.webhooks.list_endpoints()
    ep = next(e for e in eps if [safe_url(x.url) for x in eps].count(safe_url(e.url)) == 1)
    described = next(e.description for e in eps if e.description)
    # A seeded description names one endpoint, which opens; one other tests share, the list.
    by_description = [e.id for e in eps if find.endpoint_match(e, described)]
    description_lands = (
        opens(f"endpoint_id={by_description[0]}", "Webhook endpoints")
        if len(by_description) == 1
        else lists("Endpoints", "Endpoint ")
    )
    # A part of a URL that several endpoints share (other tests add endpoints of their own to
    # this session's sandbox: a part of the first unique URL may match that one alone).
    hosts = [safe_url(e.url).split("://")[1].split("/")[0] for e in eps]
    shared_host = next(h for h in hosts if hosts.count(h) > 1)
    attempt = next(a for e in eps for a in api.webhooks.list_endpoint_attempts(e.id).data)
    event = (attempt.payload.id if attempt.payload else None) or ""
    sent_as = {a.message_id for e in eps for a in api.webhooks.list_endpoint_attempts(
        e.id, page_size=100).data if a.payload and a.payload.id == event}  # fmt: skip
    called, call = next((x, c) for x in loads for c in api.loads.calls(x.id))
    escalated = api.loads.list(tab="active_escalations", page_size=1).data[0]
    esc = api.loads.active_escalations(escalated.id)[0]
    message = attempt.message_id
    deliveries = f"message_id={message}"
    one = len(sent_as) == 1  # an event sent to several endpoints is one message on each
    event_lands = opens(deliveries, message) if one else lists("Messages", "Message ")
    return [
        ("load number", f" {load.load_number}. ", load_opens(load.load_number)),
        ("load id", load.id, load_opens(load.load_number)),
        ("bare uuid", load.id.removeprefix("load_"), load_opens(load.load_number)),
        ("customer", f'"{customer}"', lists("Loads", "Load ")),
        ("carrier", carrier, lists("Loads", "Load ")),
        ("city pair", f"{first} to {last}", lists("Loads", "Load ")),
        ("message id", f"“{message}”.", opens(deliveries, message)),
        ("webhook-id", f"webhook-id: {message}", opens(deliveries, message)),
        ("event id", event, event_lands),
        ("attempt id", attempt.id, opens(deliveries, message)),
        ("endpoint id", ep.id, opens(f"endpoint_id={ep.id}", "Webhook endpoints")),
        ("endpoint URL", safe_url(ep.url), opens(f"endpoint_id={ep.id}", "Webhook endpoints")),
        ("URL part", shared_host, lists("Endpoints", "Endpoint ")),
        ("description", described, description_lands),
        ("call id", call.id, opens(f"entry={call.id}", f"Load {called.load_number}")),
        ("escalation id", esc.id, opens(f"entry={esc.id}", f"Load {escalated.load_number}")),
    ]


def test_one_of_every_kind_pasted_into_the_box_lands_on_its_view(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    page.goto(f"{console}/loads")
    for what, term, lands in examples(sandbox.client):
        settle(page)
        box = page.locator('[data-testid="stSidebar"]').get_by_placeholder(PLACEHOLDER)
        box.fill(term)
        box.press("Enter")
        try:
            lands(page)
        except (AssertionError, PlaywrightTimeout) as exc:
            raise AssertionError(f"{what} ({term!r}) did not land: {page.url}") from exc


def test_a_search_for_a_message_opens_it_in_a_fresh_page(
    browser: Browser, console: str, sandbox: Sandbox
) -> None:
    ep = sandbox.client.webhooks.list_endpoints()[0]
    message = sandbox.client.webhooks.list_endpoint_attempts(ep.id).data[0].message_id
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{console}/search?q={quote(message)}")
        opens(f"message_id={message}", message)(page)
        expect(page.get_by_role("heading", name=re.compile(r"^Attempts · \d+"))).to_be_visible()
        settle(page)
        page.screenshot(path="test-artifacts/e2e/test_find_fresh_page.png", full_page=True)
    finally:
        context.close()


def test_the_recent_panel_opens_a_load_opened_before_from_another_page(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    """The sidebar's Recent panel draws its links only once opened (a round trip): opened on
    the Loads page, it lists the load opened before and its link lands on that load."""
    load = sandbox.client.loads.list(page_size=1).data[0]
    page.goto(f"{console}/load?load_id={load.id}")
    load_opens(load.load_number)(page)
    page.goto(f"{console}/loads")
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    link = sidebar.get_by_role("link", name=f"Load {load.load_number}")
    expect(link).to_have_count(0)
    sidebar.get_by_text("Recent", exact=True).click()
    expect(link).to_be_visible()
    settle(page)
    page.screenshot(path="test-artifacts/e2e/test_find_recent.png")
    link.click()
    load_opens(load.load_number)(page)
