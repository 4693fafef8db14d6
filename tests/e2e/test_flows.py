"""The flows a support agent performs, in a real Chromium."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import Page, expect

from components.domain.formats import words
from envoy_api import EnvoyClient

from ..helpers import wait_for
from ..sandboxes import EVENT_LOAD, Sandbox, showcase_load
from .conftest import (
    choose,
    count_to_replay,
    doc_shot,
    first_column,
    grid,
    grid_with,
    select_row,
    settle,
    wait_until,
    watcher_ticks,
)


def numbers(api: EnvoyClient, **kw: object) -> list[str]:
    return [x.load_number for x in api.loads.list(**kw).data]  # type: ignore[arg-type]


def test_loads_tabs_search_paging_and_csv(page: Page, console: str, sandbox: Sandbox) -> None:
    api = sandbox.client
    page.goto(f"{console}/loads")
    expect(page.get_by_text(re.compile(r"Page 1 of \d+ · 300 loads"))).to_be_visible()
    counts = api.loads.tab_counts()
    tabs = page.locator('[data-testid="stButtonGroup"] button')
    expect(tabs).to_have_text([f"{counts.label(k)} · {counts[k]:,}" for k in counts.keys()])
    wait_until(lambda: first_column(page)[:10] == numbers(api, page_size=20)[:10],
               what="the first rows")  # fmt: skip
    doc_shot(page, "loads")

    settle(page)
    tabs.filter(has_text=f"Delivered · {counts['delivered']}").click()
    page.wait_for_url(re.compile(r"tab=delivered"))
    wait_until(lambda: first_column(page)[:10] == numbers(api, tab="delivered")[:10],
               what="delivered rows")  # fmt: skip

    target = api.loads.list(page=2, page_size=20).data[5].load_number
    page.goto(f"{console}/loads")
    settle(page)
    box = page.get_by_placeholder("Load number, customer, carrier or city")
    box.fill(target)
    box.press("Enter")
    page.wait_for_url(re.compile(rf"q={target}"))
    wait_until(lambda: first_column(page) == [target], what="the searched load")

    page.goto(f"{console}/loads")
    expect(page.get_by_text("Page 1 of 15")).to_be_visible()
    settle(page)  # a click on the pager while the run still draws was lost (1 run in 4, -n 3)
    page.locator('[data-testid="stPagination"]').get_by_text("2", exact=True).click()
    page.wait_for_url(re.compile(r"page=2"))
    wait_until(lambda: first_column(page)[:10] == numbers(api, page=2)[:10], what="page 2")

    page.goto(f"{console}/loads?tab=covered")
    settle(page)
    page.get_by_text("Export all").click()
    page.get_by_role("button", name="Prepare CSV").click()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Download \d+ loads")).click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    expected = [x.load_number for x in api.loads.list(tab="covered", page_size=100).iter_all()]
    assert len(expected) > 20 and [r["Load"] for r in rows] == expected


def _showcase(api: EnvoyClient) -> tuple[str, str]:
    load = showcase_load(api)
    return load.id, load.load_number


def test_load_detail_from_the_table_and_by_link(page: Page, console: str, sandbox: Sandbox
                                                ) -> None:  # fmt: skip
    api = sandbox.client
    load_id, number = _showcase(api)
    page.goto(f"{console}/loads?q={number}")
    wait_until(lambda: first_column(page) == [number], what="the load row")
    select_row(page, 0)
    page.wait_for_url(re.compile(rf"/load\?.*load_id={load_id}"))
    calls = api.loads.calls(load_id)
    expect(page.get_by_role("heading", name=f"Load {number}")).to_be_visible()
    verifications = api.loads.failed_verifications(load_id)
    escalations = api.loads.active_escalations(load_id)
    for label in (f"Calls · {len(calls)}", f"Failed verifications · {len(verifications)}",
                  f"Active escalations · {len(escalations)}"):  # fmt: skip
        expect(page.get_by_role("tab", name=label)).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile(r"Webhooks · \d+"))).to_be_visible()
    doc_shot(page, "load")
    page.get_by_role("tab", name=f"Calls · {len(calls)}").click()
    panel = page.locator('[role="tabpanel"]:visible')
    call_rows = grid(panel)
    assert [r[2] for r in call_rows] == [words(c.status) for c in calls]  # newest first
    # The open tab is in the URL (only its content is drawn): a reload keeps it.
    page.wait_for_url(re.compile(r"section=calls"))
    page.reload()
    calls_tab = page.get_by_role("tab", name=f"Calls · {len(calls)}", selected=True)
    expect(calls_tab).to_be_visible()
    assert [r[2] for r in grid(panel)] == [words(c.status) for c in calls]
    page.get_by_role("tab", name=re.compile(r"^Timeline · ")).click()
    page.wait_for_url(lambda url: "section=" not in url)  # the default tab leaves the URL
    expect(page.get_by_role("heading", name=re.compile(r"^Calls · "))).to_have_count(0)

    page.goto(f"{console}/load?load_id={load_id}")  # a pasted deep link
    expect(page.get_by_role("heading", name=f"Load {number}")).to_be_visible()
    expect(page.get_by_role("tab", name=f"Calls · {len(calls)}")).to_be_visible()

    page.goto(f"{console}/load?load_id=not-a-load")
    expect(page.get_by_text("is not a load id")).to_be_visible()
    expect(page.get_by_text("Back to loads")).to_be_visible()


def _dialog(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("dialog")


def test_webhook_endpoint_lifecycle(page: Page, console: str, sandbox: Sandbox) -> None:
    api = sandbox.client
    name = sandbox.new_receiver("ok")
    url = sandbox.receiver_url(name)
    page.goto(f"{console}/webhooks")
    expect(page.get_by_role("heading", name="Webhook endpoints")).to_be_visible()
    doc_shot(page, "webhooks")
    settle(page)
    page.get_by_text("Register an endpoint").click()
    form = page.locator('[data-testid="stMain"] [data-testid="stForm"]').first
    form.get_by_label("URL").fill(url)
    form.get_by_label("Description").fill("e2e receiver")
    choose(form.locator('[data-testid="stMultiSelect"]'), "load.created")
    form.get_by_role("button", name="Register").click()
    dialog = _dialog(page)
    expect(dialog.get_by_text("will not be shown again")).to_be_visible()
    secret = dialog.locator("code", has_text="whsec_").first.inner_text().strip()
    assert secret.startswith("whsec_")
    dialog.get_by_role("button", name="I have copied it").click()
    expect(dialog).to_be_hidden()
    assert secret not in page.content()
    wait_until(lambda: any(url in row for row in grid(page)), what="the new row")
    ep = next(e for e in api.webhooks.list_endpoints() if e.url == url)
    settle(page)
    with page.expect_download() as download:  # the table's rows
        page.get_by_role("button", name="Download endpoints (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    mine = next(r for r in rows if r["URL"] == url)
    assert mine["id"] == ep.id and mine["Event types"] == "load.created"
    assert {"Open", "Per hour"}.isdisjoint(mine)

    page.goto(f"{console}/webhooks?endpoint_id={ep.id}")
    settle(page)
    page.get_by_role("button", name="Rotate secret").click()
    _dialog(page).get_by_role("button", name="Rotate now").click()
    expect(_dialog(page).get_by_text("The old secret stays valid until")).to_be_visible()
    # The rotation raised the change stamp: the watcher's next looks must not redraw the
    # screen, which would close the only view of the new secret.
    watcher_ticks(page)
    new_secret = _dialog(page).locator("code", has_text="whsec_").first.inner_text().strip()
    assert new_secret.startswith("whsec_") and new_secret != secret
    _dialog(page).get_by_role("button", name="Done").click()
    expect(_dialog(page)).to_be_hidden()

    settle(page)
    page.get_by_role("button", name="Pause deliveries").click()
    wait_for(lambda: api.webhooks.retrieve_endpoint(ep.id).status == "PAUSED")
    page.get_by_role("button", name="Resume deliveries").click()
    wait_for(lambda: api.webhooks.retrieve_endpoint(ep.id).status == "ACTIVE")

    settle(page)
    page.get_by_role("button", name="Delete", exact=True).click()
    confirm = _dialog(page).get_by_role("button", name="Delete endpoint")
    typed = _dialog(page).get_by_label("Type the endpoint's URL to confirm")
    typed.fill(url + "x")
    confirm.click()  # a wrong URL: refused, and said why
    expect(_dialog(page).get_by_text("That is not this endpoint's URL")).to_be_visible()
    assert ep.id in {e.id for e in api.webhooks.list_endpoints()}
    # Typed and clicked straight away, the field still focused: the first click deletes.
    typed.fill(url)
    confirm.click()
    wait_for(lambda: ep.id not in {e.id for e in api.webhooks.list_endpoints()})


def test_deliveries_replay_and_bulk_recovery(page: Page, console: str, sandbox: Sandbox) -> None:
    api = sandbox.client
    name = sandbox.new_receiver("down")
    ep = api.webhooks.create_endpoint(url=sandbox.receiver_url(name), event_types=["load.created"],
                                      description="e2e down")  # fmt: skip
    msgs = [next(m["id"] for m in sandbox.emit("load.created", EVENT_LOAD)["messages"]
                 if m["endpoint_id"] == ep.id) for _ in range(3)]  # fmt: skip
    wait_for(lambda: all(api.webhooks.list_message_attempts(m)[-1].status == "DEAD"
                         for m in msgs), timeout=30)  # fmt: skip
    sandbox.set_receiver(name, "ok")

    page.goto(f"{console}/deliveries?endpoint_id={ep.id}&status=FAILED,DEAD&window=all")
    expect(page.get_by_text(re.compile(r"Page 1 of 1 · 15 attempts"))).to_be_visible()
    statuses = {row[4] for row in grid(page)}
    assert statuses <= {"Failed, will retry", "Dead"} and "Dead" in statuses
    doc_shot(page, "deliveries")

    select_row(page, 0)
    page.wait_for_url(re.compile(r"message_id=msg_"))
    message_id = re.search(r"message_id=(msg_[0-9a-f-]+)", page.url).group(1)  # type: ignore[union-attr]
    expect(page.get_by_text("Attempts · 5")).to_be_visible()
    settle(page)  # the click lands after the message's run, not on the form it redraws
    page.get_by_role("button", name="Replay now").click()
    # The attempts list refreshes itself: no reload here.
    expect(page.get_by_text("Attempts · 6")).to_be_visible(timeout=20_000)
    wait_until(lambda: "Delivered" in page.inner_text("body"), what="the replay to succeed")
    assert api.webhooks.list_message_attempts(message_id)[-1].status == "SUCCEEDED"
    doc_shot(page, "message")
    settle(page)
    page.get_by_role("button", name="All deliveries of this endpoint").click()
    # The browser's URL too: the list's filters, no message (a reload must not reopen it).
    page.wait_for_url(lambda u: "message_id" not in u and "status=FAILED" in u)
    page.reload()
    expect(page.get_by_text(re.compile(r"Page 1 of 1 · \d+ attempts"))).to_be_visible()

    page.goto(f"{console}/deliveries?endpoint_id={ep.id}&window=all")
    count_to_replay(page)
    expect(page.get_by_text("2 messages", exact=True)).to_be_visible()
    # Typed and clicked straight away, the field still focused: the first click starts the job.
    page.get_by_label("Reason (required)").fill("receiver was down (e2e)")
    page.get_by_role("button", name="Replay 2 messages").click()
    # A recovery job: the console's worker runs it; the list shows its progress live.
    wait_until(lambda: any(row[3] == "finished" and row[5] == "2 of 2" for row in jobs(page)),
               timeout=60, what="the recovery job to finish on screen")  # fmt: skip
    wait_for(lambda: all(api.webhooks.list_message_attempts(m)[-1].status == "SUCCEEDED"
                         for m in msgs), timeout=30)  # fmt: skip


def jobs(page: Page) -> list[list[str]]:
    return grid_with(page, "Progress")  # the jobs table


def test_errors_leave_the_page_usable(page: Page, console: str, sandbox: Sandbox) -> None:
    load_id, _ = _showcase(sandbox.client)
    sandbox.fault(route="/loads/*/escalations", status=500)
    page.goto(f"{console}/load?load_id={load_id}")
    page.get_by_role("button", name="Refresh data").click()  # past the cached copy
    expect(page.get_by_text("Envoy failed while loading active escalations (500")).to_be_visible()
    expect(page.get_by_role("tab", name="Active escalations · ⚠ not loaded")).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile(r"Calls · \d+"))).to_be_visible()
    sandbox.clear_faults()
    page.get_by_role("button", name="Refresh data").click()
    expect(page.get_by_role("tab", name=re.compile(r"Active escalations · \d+"))).to_be_visible()

    sandbox.fault(route="/loads/tab-counts", status=503)
    page.goto(f"{console}/loads")
    page.get_by_role("button", name="Refresh data").click()
    expect(page.get_by_text("Envoy failed while loading the loads list (503")).to_be_visible()
    page.get_by_role("link", name="Event types").click()
    expect(page.get_by_role("heading", name="Event types")).to_be_visible()
    doc_shot(page, "event_types")
