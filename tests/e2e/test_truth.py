"""Screens that tell the truth: a bulk recovery against a receiver that fails half the time ends
showing what really became of each replay, the Deliveries list shows every new attempt
without a manual refresh, and a screen left alone refreshes its data on schedule."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from components.domain.formats import attempt_words

from ..sandboxes import EVENT_LOAD, Sandbox, dead_messages
from .conftest import ARTIFACTS, configured_env, grid, launch, settle, wait_until

MESSAGES = 6
FINISHED = re.compile(r"Job of \d\d:\d\d:\d\d by .*: (finished with failures|finished) · ")


def words_for(status: str, code: int | None) -> str:
    """What the job must say of a replay whose attempt ended so (the API's truth)."""
    if status == "SUCCEEDED":
        return f"delivered ({code})"
    return f"failed again: {code} from the receiver, no retries left"


def test_a_half_failing_bulk_recovery_ends_showing_true_outcomes(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    api = sandbox.client.webhooks
    endpoint_id, name, msgs = dead_messages(sandbox, MESSAGES, "e2e half failing")
    sandbox.set_receiver(name, "flaky", rate=0.5)  # the receiver now fails half the time
    try:
        page.goto(f"{console}/deliveries?endpoint_id={endpoint_id}&window=all")
        expect(page.get_by_text(f"{MESSAGES * 5} attempts · newest first")).to_be_visible()
        page.get_by_text("Bulk recovery").click()
        page.get_by_role("button", name="Count messages to replay").click()
        # Its last attempts all failed: the console says replays are likely to fail again.
        expect(page.get_by_text("replays are likely to fail again")).to_be_visible()
        page.get_by_label("Reason (required)").fill("receiver back, half the time (e2e)")
        page.get_by_role("button", name=f"Replay {MESSAGES} messages").click()

        # The job ends on screen, on its own, once every replay's attempt has ended.
        title = wait_until(lambda: FINISHED.search(page.inner_text("body")), timeout=90,
                           what="the job to finish on screen")  # fmt: skip
        ended = time.monotonic()
        truth = {m: api.list_message_attempts(m)[-1] for m in msgs}
        assert all(a.attempt == 6 for a in truth.values()), "a message replayed twice or never"
        failures = sum(a.status != "SUCCEEDED" for a in truth.values())
        said = title.group(0)
        assert ("finished with failures" in said) == (failures > 0), said
        # The Deliveries list has every new attempt, without a reload, within 5 s of the end.
        expect(page.get_by_text(f"{MESSAGES * 6} attempts · newest first")).to_be_visible(
            timeout=5_000
        )
        within = time.monotonic() - ended
        settle(page)
        newest = grid(page, 0)[:MESSAGES]  # the list, newest first: the six replays
        statuses = sorted(row[4] for row in newest)
        assert statuses == sorted(attempt_words(a.status) for a in truth.values()), newest

        # Per message, the job's words are the API's truth.
        frames = page.locator('[data-testid="stDataFrame"]')
        shown = {row[0]: row[1] for row in grid(page, frames.count() - 1)}
        expected = {m: words_for(a.status, a.response_status_code) for m, a in truth.items()}
        assert shown == expected
        page.screenshot(path=str(ARTIFACTS / "truth-bulk-recovery.png"), full_page=True)
        print(
            f"list showed the new attempts {within:.1f} s after the job ended; "
            f"{MESSAGES - failures} delivered, {failures} failed again"
        )
    finally:
        sandbox.set_receiver(name, "ok")
        api.delete_endpoint(endpoint_id)


def test_a_list_showing_attempts_in_flight_follows_them_until_they_end(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    api = sandbox.client.webhooks
    name = sandbox.new_receiver("ok")
    ep = api.create_endpoint(url=sandbox.receiver_url(name), event_types=["load.created"],
                             description="e2e in flight")  # fmt: skip
    api.update_endpoint(ep.id, status="PAUSED")  # its deliveries wait, PENDING
    try:
        sandbox.emit("load.created", EVENT_LOAD)
        page.goto(f"{console}/deliveries?endpoint_id={ep.id}&window=all")
        expect(page.get_by_text("1 attempt · newest first")).to_be_visible()
        assert grid(page, 0)[0][4] == "Queued"
        # Resumed outside the console (no change it knows of): the screen follows the
        # attempt it shows in flight on its own, and stops once it ended.
        api.update_endpoint(ep.id, status="ACTIVE")
        wait_until(lambda: grid(page, 0)[0][4] == "Delivered", timeout=15,
                   what="the list to show the attempt's end without a reload")  # fmt: skip
    finally:
        api.delete_endpoint(ep.id)


UPDATED = re.compile(r"Updated (\d+) s ago \((\d\d:\d\d:\d\d) UTC\)")


def test_a_screen_left_alone_refreshes_on_schedule(browser: Browser, sandbox: Sandbox) -> None:
    """With reads cached 6 s, a Loads screen nobody touches fetches afresh on its own, again and
    again: the time its data was fetched moves on, and the age the sidebar gives never runs past
    the lifetime (plus the watcher's 2 s tick and a loaded machine's slack)."""
    console = launch({**configured_env(sandbox), "ENVOY_CACHE_SECONDS": "6"}, "fresh.log")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{console.url}/loads")
        settle(page)
        note = page.locator('[data-testid="stSidebar"]').get_by_text(UPDATED)
        seen = UPDATED.search(note.inner_text())
        assert seen is not None
        fetched = [seen[2]]
        ages: list[int] = []

        def refetched() -> bool:
            found = UPDATED.search(note.inner_text())
            if found is None:  # the note is being redrawn
                return False
            if not ages or ages[-1] != int(found[1]):
                ages.append(int(found[1]))
            if found[2] != fetched[-1]:
                fetched.append(found[2])
            return len(fetched) > 3

        wait_until(refetched, timeout=90, what="the Loads screen to refresh on its own 3 times")
        assert max(ages) <= 6 + 2 + 6, (ages, fetched)
    finally:
        context.close()
        console.stop()
    assert not console.scratch.exists()  # a stopped console leaves no database behind


def test_a_read_that_fails_once_keeps_the_filters(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    """A screen whose read failed once (its filters left out of that run) comes back with the
    filters the agent chose, in the widgets and in the address, on the agent's next action.
    Before the fix the browser drew them afresh at their first options, and their on_change
    wrote those into the address (Deliveries: last hour, not delivered)."""
    endpoint = next(e for e in sandbox.client.webhooks.list_endpoints() if e.url.endswith("/down"))
    views = [
        (f"/deliveries?endpoint_id={endpoint.id}&window=all&status=FAILED,DEAD",
         "/webhooks/endpoints", "the webhook endpoints", ["window=all", "status=FAILED"]),
        ("/loads?tab=covered&size=50&q=a", "/loads/tab-counts", "the loads list",
         ["tab=covered", "size=50", "q=a"]),
    ]  # fmt: skip
    for view, route, what, kept in views:
        page.goto(console + view)
        settle(page)
        sandbox.fault(route=route, status=500)
        failed = page.get_by_text(f"Envoy failed while loading {what} (500")
        page.get_by_role("button", name="Refresh data").click()
        try:
            expect(failed).to_be_visible()
        except AssertionError:
            # Once in the clean-clone suite (a busy machine), the page drew no error 30 s after
            # this click and showed its data unrefreshed: the click seemed lost (cause not found;
            # the run-state and screen were idle). What is tested here comes after: click again.
            settle(page)
            page.get_by_role("button", name="Refresh data").click()
            expect(failed).to_be_visible()
        sandbox.clear_faults()
        for _ in range(2):  # back, then a run after the widgets came back
            page.get_by_role("button", name="Refresh data").click()
            expect(page.get_by_text(f"Envoy failed while loading {what}")).to_have_count(0)
            settle(page)
        name = view.split("?")[0].strip("/")
        page.screenshot(path=str(ARTIFACTS / f"truth-filters-after-error-{name}.png"))
        assert all(part in page.url for part in kept), page.url
