"""Every figure whole at the widths agents' screens have: each page at 1024, 1280 and 1440 px,
and no metric, button or tab label cut short (its text wider than its box, or ending in an
ellipsis, or the control running past the page's right edge), no tab bar that hides tabs off
its edge, and no raw enumeration in the page's text.

``make screenshots`` keeps a picture of every page at every width in docs/screenshots/; a plain
run leaves them in test-artifacts/e2e/widths/."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser

from ..sandboxes import Sandbox
from .conftest import ARTIFACTS, DOCS, every_page, settle

WIDTHS = (1024, 1280, 1440)
RAW_ENUM = re.compile(r"\b[A-Z]+_[A-Z_]+\b")

# What an agent reads at a glance: its text must fit its box. An element is cut when it, or a
# part of it holding text, is wider inside than its box and hides the rest (Streamlit's metric
# labels and values, button labels and tab labels all end in an ellipsis when cut).
CUT = """() => {
  const named = el => (el.getAttribute('data-testid') || el.getAttribute('role') || el.tagName)
                      + ': ' + el.innerText.trim().replace(/\\s+/g, ' ').slice(0, 60);
  const hides = n => getComputedStyle(n).overflowX !== 'visible';
  const cut = [];
  // A control that runs past the page's right edge is cut too, though its own box is whole
  // (two columns too narrow for what is in them).
  const edge = document.querySelector('[data-testid=stMain]').getBoundingClientRect().right;
  const sel = '[data-testid=stMetricLabel], [data-testid=stMetricValue], '
            + '[data-testid=stMetricDelta], button, [role=tab], [data-testid=stExpander] summary';
  for (const el of document.querySelectorAll(sel)) {
    if (!el.offsetParent || !el.innerText.trim()) continue;
    if (el.getBoundingClientRect().right > edge + 1) {
      cut.push(named(el) + ' (past the page edge)');
      continue;
    }
    for (const n of [el, ...el.querySelectorAll('*')]) {
      const text = (n.innerText || '').trim();
      if (!text) continue;
      if ((n.scrollWidth > n.clientWidth + 1 && hides(n)) || text.endsWith('…')) {
        cut.push(named(el));
        break;
      }
    }
  }
  for (const bar of document.querySelectorAll('[role=tablist]')) {
    if (bar.offsetParent && bar.scrollWidth > bar.clientWidth + 1) cut.push(named(bar));
  }
  return cut;
}"""


def keep(png: bytes, path: Path) -> None:
    """Save a screenshot in 256 colours: a third of the size, as legible, for the repository."""
    Image.open(io.BytesIO(png)).quantize(256).save(path, optimize=True)


def _name(path: str) -> str:
    """'load', 'deliveries-message': a file name for the page ``path`` shows."""
    view = path.strip("/").split("?")[0] or "attention"
    if "message_id=" in path:
        return f"{view}-message"
    if "q=" in path:
        return f"{view}-results"
    return f"{view}-endpoint" if "endpoint_id=" in path else view


@pytest.mark.parametrize("width", WIDTHS)
def test_every_figure_is_whole(browser: Browser, console: str, sandbox: Sandbox, width: int
                               ) -> None:  # fmt: skip
    shots = DOCS / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else ARTIFACTS / "widths"
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: dict[str, list[str]] = {}
    try:
        for path in every_page(sandbox):
            page.goto(console + path)
            settle(page)
            # Elements still drawing show skeletons, and their final text is what must fit.
            page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')")
            settle(page)
            keep(page.screenshot(full_page=True), shots / f"{_name(path)}-{width}.png")
            found = page.evaluate(CUT)
            found += [f"raw enumeration: {m}" for m in RAW_ENUM.findall(page.inner_text("body"))]
            if found:
                problems[path] = found
    finally:
        context.close()
    assert not problems, f"at {width} px: {problems}"
