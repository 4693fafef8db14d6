"""Text from a URL or from the API is data: no live link, no image, no Markdown, bounded."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from ..hostile import Handler, answer
from ..sandboxes import Sandbox
from .conftest import new_app, open_page, run_app

PHISH = "[Session expired - sign in again](https://evil.example/login)"
PIXEL = "![t](http://host.example/pixel.png)"
BARE = "see https://evil.example/login now"
# What a renderer would turn into a link or an image, outside code spans: [text](…), ![…](…),
# <…>, a bare URL or www. address.
LIVE = re.compile(r"(?<!\\)\]\(|(?<!\\)<[a-z]+:|\b[a-z]+://|\bwww\.", re.IGNORECASE)
CODE = re.compile(r"(`+).*?\1")


def shown(at: AppTest) -> list[str]:
    """Every Markdown body the page sends (main area and sidebar)."""
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "title", "subheader")
    return [str(e.value) for kind in kinds for e in getattr(at, kind)]


def assert_inert(at: AppTest, *needles: str) -> None:
    bodies = shown(at)
    for body in bodies:
        assert not LIVE.search(CODE.sub("", body)), body
        for needle in needles:
            assert needle not in body, body  # never verbatim: escaped, or cut into code
    assert any("evil" in b or "host" in b for b in bodies), bodies  # it was shown, as text


@pytest.mark.parametrize("text", [PHISH, PIXEL, BARE])
def test_a_hostile_search_shows_as_text(configured: Sandbox, text: str) -> None:
    at = new_app()
    at.query_params["q"] = text
    assert_inert(run_app(at), text)


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("views/load_detail.py", "load_id"),
        ("views/delivery_log.py", "message_id"),
        ("views/delivery_log.py", "endpoint_id"),
        ("views/webhook_endpoints.py", "endpoint_id"),
    ],
)
@pytest.mark.parametrize("text", [PHISH, PIXEL, BARE])
def test_hostile_ids_in_links_show_as_text(
    configured: Sandbox, path: str, param: str, text: str
) -> None:
    assert_inert(open_page(path, **{param: text}), text)


def test_a_hostile_load_number_lookup_shows_as_text(configured: Sandbox) -> None:
    ep = configured.client.webhooks.list_endpoints()[0]
    assert_inert(open_page("views/delivery_log.py", endpoint_id=ep.id, load=PHISH), PHISH)


def test_a_five_megabyte_error_message_is_cut(
    serve: Callable[[Handler], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"error": {"code": "internal_error", "message": "y" * 5_000_000, "param": None}}
    monkeypatch.setenv("ENVOY_BASE_URL", serve(answer(500, json.dumps(body).encode())))
    monkeypatch.setenv("ENVOY_API_KEY", "envai_live_test")
    monkeypatch.setenv("ENVOY_MAX_RETRIES", "0")
    at = run_app(new_app())
    (error,) = at.error
    assert "500" in error.value and len(error.value) < 1000
