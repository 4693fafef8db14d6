"""A hostile deep link, in a real browser: the console shows its text, and neither links to nor
fetches anything outside itself."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from playwright.sync_api import Page, Request, expect

from ..sandboxes import Sandbox
from .conftest import settle

HOSTILE = [
    "/loads?q=" + quote("[Session expired - sign in again](https://evil.example/login)"),
    "/loads?q=" + quote("![t](http://pixel.example/p.png) www.evil.example"),
    "/load?load_id=" + quote("[Sign in](https://evil.example/login)"),
    "/deliveries?message_id=" + quote("![x](https://pixel.example/q.png)"),
    "/webhooks?endpoint_id=" + quote("https://evil.example/reset <b>now</b>"),
]


def test_hostile_links_show_text_and_reach_nothing_outside(
    page: Page, console: str, sandbox: Sandbox
) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(cast_url(r)))
    for path in HOSTILE:
        page.goto(console + path)
        settle(page)
        expect(page.get_by_text("evil.example").or_(page.get_by_text("pixel.example")).first
               ).to_be_visible()  # fmt: skip
        links = page.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
        foreign = [h for h in links if urlsplit(h).hostname not in ("127.0.0.1", None)]
        assert not foreign, (path, foreign)
        assert page.locator("img[src*='pixel.example']").count() == 0
        assert page.locator("b", has_text="now").count() == 0
    outside = {urlsplit(u).hostname for u in requested} - {"127.0.0.1"}
    assert not outside, outside


def cast_url(request: Request) -> str:
    return request.url
