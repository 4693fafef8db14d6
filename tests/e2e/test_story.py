"""The load's story in Chromium: on the seeded divergent load, the sentence names what the broker
portal last heard, the timeline draws its swimlanes, the evidence pack downloads with the API's
counts, and replaying what the portal missed turns its sentence to up to date."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
from playwright.sync_api import Page, expect

from ..helpers import wait_for
from ..sandboxes import Sandbox
from .conftest import doc_shot, settle


def _divergent(sandbox: Sandbox) -> str:
    info = sandbox.extras.info()
    return info["stories"][info["organizations"][0]["id"]]["divergent"]


def test_the_divergent_load_tells_its_story_and_is_put_right(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    load_id = _divergent(sandbox)
    api = sandbox.client.webhooks
    portal = next(ep for ep in api.list_endpoints() if ep.url.endswith("/flaky"))
    attempts = api.list_endpoint_attempts(portal.id, load_id=load_id, page_size=100).data
    messages = {a.message_id for a in attempts}
    page.goto(f"{console}/load?load_id={load_id}")
    said = page.get_by_text(re.compile(
        r"^Broker portal \(flaky receiver\) last heard load\.status_changed → At Pickup at .*; the "
        r"newer load\.status_changed → In Transit at .* has not arrived \(dead\)\.$"))  # fmt: skip
    expect(said).to_be_visible()
    expect(page.get_by_text("All times are UTC.", exact=False)).to_be_visible()  # said once
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile(r"^Timeline · \d+$"))).to_be_visible()
    page.get_by_role("heading", name="What each receiver last heard").evaluate(
        "el => el.scrollIntoView({block: 'start'})"
    )
    doc_shot(page, "load-story")

    settle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Evidence pack (ZIP)").click()
    archive = zipfile.ZipFile(download.value.path())
    files = {n.split("/", 1)[1]: archive.read(n) for n in archive.namelist()}
    shown = pd.read_csv(io.BytesIO(files["messages.csv"]))
    mine = shown[shown["endpoint"].str.startswith("Broker portal")]
    assert set(mine["message_id"]) == messages
    assert b"whsec_" not in b"".join(files.values())

    sandbox.set_receiver("flaky", "ok")  # the broker fixed their portal
    try:
        settle(page)
        page.get_by_text("Replay what Broker portal (flaky receiver) missed for this load").click()
        form = page.locator('[data-testid="stForm"]').filter(has_text="Replay 1 message")
        form.get_by_label("Reason (required)").fill("portal said At Pickup, ticket 7")
        form.get_by_role("button", name="Replay 1 message, oldest first").click()
        newest = next(a.message_id for a in attempts if a.status == "DEAD" and a.payload
                      and a.payload.data.get("to_status") == "In Transit")  # fmt: skip
        wait_for(lambda: api.list_message_attempts(newest)[-1].status == "SUCCEEDED", timeout=60)
        settle(page)
        page.get_by_role("button", name="Refresh data").click()
        expect(page.get_by_text(re.compile(
            r"^Broker portal \(flaky receiver\) is up to date: last heard "
            r"load\.status_changed → In Transit"))).to_be_visible()  # fmt: skip
    finally:
        sandbox.set_receiver("flaky", "flaky")
