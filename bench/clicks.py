"""How fast a click feels, in Chromium: from the click to the app's ``notRunning`` state with the
change on screen, for an agent's usual clicks on a warm console.

An agent clicks on a page that is drawn: each click waits, off the clock, until the browser has
drawn the page and is idle (two animation frames, then an idle callback), as a person's click
comes after they see the page; Streamlit's one-button app is clicked the same way, in the same
rounds, so the ratio of the two compares them under the same load on this machine.

Run alone (a process of its own: Playwright's sync API): ``python -m bench.clicks --host URL
--targets FILE --repeat 10 [--one-button URL]``; prints a JSON object of step → list of
seconds, plus the first visit (the landing page of a server that has served nothing yet, the
embedded sandbox's start included) when ``--first`` is given.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TIMEOUT = 60_000
# Resolves once the browser has drawn two frames and then has nothing left to do (or after 5 s).
DRAWN = """() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(
    () => requestIdleCallback(() => done(true), {timeout: 5000}))))"""


def settled(page: Page, ready: Callable[[], Any]) -> None:
    """Wait until the change is there and the script run is over. When it never comes, what the
    page showed is kept (a screenshot and its text, in the temporary directory) and named in the
    error: a full run once waited 60 s for a load's page, and nothing said what was on screen."""
    try:
        ready()
        page.locator(IDLE).wait_for(timeout=TIMEOUT)
    except Exception as exc:
        kept = Path(tempfile.mkdtemp(prefix="bench-clicks-"))
        page.screenshot(path=str(kept / "page.png"))
        (kept / "page.txt").write_text(f"{page.url}\n{page.inner_text('body')}")
        raise RuntimeError(f"{exc}\nwhat the page showed: {kept}") from exc


def timed(page: Page, act: Callable[[], Any], ready: Callable[[], Any]) -> float:
    """Seconds from ``act`` (on a drawn, idle page) to ``ready`` and the run's end."""
    page.evaluate(DRAWN)
    started = time.perf_counter()
    act()
    settled(page, ready)
    return time.perf_counter() - started


# Resolves once the element has not moved for 400 ms (or after 5 s). After a page change the
# console brings the table's first row into view once more 300 ms later (widgets/paging.py):
# a click measured before that landed on the header row, and the load never opened (the 60 s
# waits of the full runs of 2026-12-06 and of bench-quick on 2026-12-07; a screenshot showed it).
STILL = """el => new Promise(done => {
  const began = performance.now();
  let top = null, since = began;
  const look = () => {
    const now = performance.now(), at = el.getBoundingClientRect().top;
    if (at !== top) { top = at; since = now; }
    if (now - since >= 400 || now - began > 5000) done(true); else requestAnimationFrame(look);
  };
  look();
})"""


def _row(page: Page) -> Callable[[], None]:
    """A click on the first row of the first table (its selection box: the grid is a canvas),
    where the table is when the click is made: a point measured before the page was drawn and
    idle could miss the row if something above the table changed height in between (the full
    run of 2026-12-06 05:38 waited 60 s in vain for a load to open). Playwright's own
    ``click`` would wait for the table to be still, about 100 ms more on the clock."""
    frame = page.locator('[data-testid="stDataFrame"]').first
    frame.evaluate("el => el.scrollIntoView({block: 'center', behavior: 'instant'})")
    frame.evaluate(STILL)  # off the clock, like the scroll

    def click() -> None:  # finding the table is on the clock: 5.6 ms (median of 50, alone)
        box = frame.bounding_box() or {"x": 0, "y": 0}
        page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)

    return click


def _heading(page: Page, name: str) -> Callable[[], None]:
    return lambda: page.get_by_role("heading", name=name).wait_for()


def _url(page: Page, pattern: str) -> Callable[[], None]:
    return lambda: page.wait_for_url(pattern)


def _loads(page: Page, host: str) -> None:
    page.goto(f"{host}/loads")
    settled(page, lambda: page.get_by_text("Page 1 of").wait_for())


def _one_round(page: Page, host: str, targets: dict[str, Any], n: int) -> dict[str, float]:
    took: dict[str, float] = {}
    page.bring_to_front()
    _loads(page, host)
    tab = page.locator('[data-testid="stButtonGroup"] button').nth(1 + n % 4)
    took["tab switch"] = timed(page, tab.click, _url(page, "**tab=**"))
    box = page.get_by_placeholder("Load number, customer, carrier or city")
    box.fill(["Dallas", "TX", "Acme", "Chicago"][n % 4])
    took["search"] = timed(page, lambda: box.press("Enter"), _url(page, "**q=**"))
    _loads(page, host)
    pager = page.locator('[data-testid="stPagination"]').get_by_text("2", exact=True)
    took["paging"] = timed(page, pager.click, _url(page, "**page=2**"))
    took["open a load"] = timed(page, _row(page), _heading(page, "What each receiver last heard"))
    deliveries = f"{host}/deliveries?endpoint_id={targets['endpoint_id']}&window=all"
    page.goto(deliveries)
    settled(page, lambda: page.get_by_text("newest first").first.wait_for())
    took["open a message"] = timed(page, _row(page), _url(page, "**message_id=**"))
    page.goto(deliveries)
    settled(page, lambda: page.get_by_text("newest first").first.wait_for())
    status = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]')
    status.filter(has_text="Status").click()
    option = page.get_by_role("option", name="Messages: not delivered", exact=True)
    option.wait_for()
    took["filter"] = timed(page, option.click, _url(page, "**status=undelivered**"))
    other = page.context.new_page()
    load = targets["load_ids"][n % len(targets["load_ids"])]
    took["deep link in a new tab"] = timed(
        other, lambda: other.goto(f"{host}/load?load_id={load}"),
        _heading(other, "What each receiver last heard"),
    )  # fmt: skip
    other.close()
    return took


def measure(
    host: str, targets: dict[str, Any], repeat: int, first: bool, one_button: str | None = None
) -> dict[str, Any]:
    """Each step ``repeat`` times; with ``one_button``, that app's rerun once in each round (in
    a tab of its own, the same browser), for the side-by-side ratio."""
    out: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        if first:
            went = timed(page, lambda: page.goto(host), _heading(page, "Needs attention"))
            out["first visit"] = [went]
        bare = _one_button_page(context.new_page(), one_button) if one_button else None
        for n in range(repeat):
            for step, seconds in _one_round(page, host, targets, n).items():
                out.setdefault(step, []).append(seconds)
            if bare:
                out.setdefault(ONE_BUTTON_RERUN, []).append(bare())
        browser.close()
    return out


# Streamlit's own floor on this machine, measured the same way: a one-line app's first visit
# and a one-button app's rerun. bench.team serves these two scripts.
ONE_LINE_APP = 'import streamlit as st\nst.write("ready")\n'
ONE_BUTTON_APP = (
    "import streamlit as st\n"
    'n = st.session_state["n"] = st.session_state.get("n", 0) + 1\n'
    'st.button("Again")\n'
    'st.write(f"run {n}")\n'
)


ONE_BUTTON_RERUN = "one-button app: rerun"


def _one_button_page(page: Page, url: str) -> Callable[[], float]:
    """The one-button app opened in ``page``; a function that clicks it once: its seconds."""
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    settled(page, lambda: page.get_by_text("run 1").wait_for())
    runs = itertools.count(2)

    def rerun() -> float:
        page.bring_to_front()
        shown = page.get_by_text(f"run {next(runs)}", exact=True)
        return timed(page, page.get_by_role("button", name="Again").click, shown.wait_for)

    return rerun


def floor(one_line: str, repeat: int) -> dict[str, list[float]]:
    """A new browser's first visit to the one-line app, ``repeat`` times."""
    out: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT)
            went = timed(page, partial(page.goto, one_line), page.get_by_text("ready").wait_for)
            out.setdefault("one-line app: first visit", []).append(went)
            context.close()
        browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--targets", help="what to open (the console's measures)")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--first", action="store_true")
    parser.add_argument("--one-button", help="the one-button app: its rerun in every round")
    parser.add_argument("--floor", action="store_true", help="--host is the one-line app")
    args = parser.parse_args(argv)
    if args.floor:
        print(json.dumps(floor(args.host, args.repeat)))
        return 0
    with open(args.targets) as fh:
        targets = json.load(fh)
    print(json.dumps(measure(args.host, targets, args.repeat, args.first, args.one_button)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
