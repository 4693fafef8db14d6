"""A wrong or unreachable ``[auth]`` table: the sign-in page names every setting at fault, in
plain words, instead of drawing a Sign in button that ends in a traceback or Streamlit's bare
"Authentication error" page.

The discovery documents are served by real local HTTP servers (``serve``, tests/hostile.py):
a good one, one answering 500, one answering garbage, one answering JSON that is no discovery
document, one too slow; a port nobody listens on is the unreachable provider.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components.domain import sign_in
from components.shell import access

from ..hostile import Handler, answer
from .conftest import new_app, run_app, texts

CLIENT_SECRET = "client-secret-VALUE-9f3c1e"
COOKIE_SECRET = "cookie-secret-VALUE-0c7a5d2b8e41"  # long enough
SHORT_COOKIE_SECRET = "ck-VAL-3a"  # 9 characters
REDIRECT = "http://localhost:8501/oauth2callback"
DISCOVERY = {
    "issuer": "http://idp.example",
    "authorization_endpoint": "http://idp.example/authorize",
    "token_endpoint": "http://idp.example/token",
    "jwks_uri": "http://idp.example/jwks",
}
Serve = Callable[[Handler], str]


@pytest.fixture(autouse=True)
def _fresh_checks() -> Iterator[None]:
    access.forget_metadata_checks()
    yield
    access.forget_metadata_checks()


class Provider:
    """A discovery URL on a real local server that counts the requests it got."""

    def __init__(self, serve: Serve, handler: Handler) -> None:
        self.requests = 0
        self.handler = handler

        def handle(h: BaseHTTPRequestHandler) -> None:
            self.requests += 1
            self.handler(h)

        self.url = serve(handle) + "/.well-known/openid-configuration"


def good() -> Handler:
    return answer(200, json.dumps(DISCOVERY).encode())


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/.well-known/openid-configuration"


def flat(metadata_url: str, **changes: Any) -> dict[str, Any]:
    """A flat ``[auth]`` table; a change to None leaves the key out."""
    table = {
        "redirect_uri": REDIRECT,
        "cookie_secret": COOKIE_SECRET,
        "client_id": "console-client",
        "client_secret": CLIENT_SECRET,
        "server_metadata_url": metadata_url,
    }
    table.update(changes)
    return {k: v for k, v in table.items() if v is not None}


def named(metadata_url: str, name: str = "google", **changes: Any) -> dict[str, Any]:
    """``[auth]`` with the shared settings and one ``[auth.<name>]`` provider table."""
    provider = {k: v for k, v in flat(metadata_url, **changes).items() if k in sign_in.PER_PROVIDER}
    return {"redirect_uri": REDIRECT, "cookie_secret": COOKIE_SECRET, name: provider}


def sign_in_page(auth: dict[str, Any]) -> AppTest:
    at = new_app()
    at.secrets["auth"] = auth
    return run_app(at)


def everything(at: AppTest) -> str:
    """Every element the page sent (its whole protobuf, labels and help included), and the
    session state."""
    return "\n".join([*(str(getattr(node, "proto", "")) for node in at._tree),
                      str(at.session_state)])  # fmt: skip


def error_text(at: AppTest) -> str:
    assert len(at.error) == 1, texts(at)
    return str(at.error[0].value)


def assert_refused(at: AppTest, *settings: str) -> str:
    """The page shows what to fix, naming ``settings``, and no Sign in button."""
    text = error_text(at)
    for setting in settings:
        assert f"`{setting}`" in text, text
    assert not at.button, [b.label for b in at.button]
    assert "Traceback" not in everything(at) and not at.exception
    assert at.title[0].value == "Envoy Support Console"
    return text


# The page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", [flat, named])
def test_a_good_configuration_shows_the_sign_in_button(serve: Serve, form: Any) -> None:
    idp = Provider(serve, good())
    at = sign_in_page(form(idp.url))
    assert not at.error, texts(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert "Sign in with your company account" in texts(at)
    assert idp.requests == 1


def test_several_named_providers_get_a_button_each(serve: Serve) -> None:
    idp = Provider(serve, good())
    auth = named(idp.url, "google")
    auth["okta"] = named(idp.url, "okta")["okta"]
    at = sign_in_page(auth)
    assert not at.error, texts(at)
    assert [b.label for b in at.button] == ["Sign in with Google", "Sign in with Okta"]
    assert idp.requests == 1  # one URL, fetched once


@pytest.mark.parametrize("key", ["redirect_uri", "cookie_secret", "client_id", "client_secret",
                                 "server_metadata_url"])  # fmt: skip
@pytest.mark.parametrize("absent", [None, "", "  "], ids=["missing", "empty", "blank"])
def test_a_missing_or_empty_setting_is_named(serve: Serve, key: str, absent: str | None) -> None:
    idp = Provider(serve, good())
    text = assert_refused(sign_in_page(flat(idp.url, **{key: absent})), f"[auth] {key}")
    assert ("is missing" if absent is None else "is empty") in text


def test_a_named_providers_missing_setting_names_its_table(serve: Serve) -> None:
    idp = Provider(serve, good())
    assert_refused(sign_in_page(named(idp.url, client_id=None)), "[auth.google] client_id")


def test_a_shared_setting_left_in_the_provider_table_is_missing_from_auth(serve: Serve) -> None:
    idp = Provider(serve, good())
    auth = named(idp.url)
    auth["google"]["cookie_secret"] = auth.pop("cookie_secret")
    assert_refused(sign_in_page(auth), "[auth] cookie_secret")


@pytest.mark.parametrize(
    ("redirect", "why"),
    [
        ("/oauth2callback", "not an absolute http(s) URL"),
        ("localhost:8501/oauth2callback", "not an absolute http(s) URL"),
        ("ftp://console.example.com/oauth2callback", "not an absolute http(s) URL"),
        ("https://console.example.com/", "does not end in `/oauth2callback`"),
        ("https://console.example.com/oauth2callback/extra", "does not end in `/oauth2callback`"),
    ],
)
def test_a_wrong_redirect_uri_is_named(serve: Serve, redirect: str, why: str) -> None:
    idp = Provider(serve, good())
    text = assert_refused(sign_in_page(flat(idp.url, redirect_uri=redirect)), "[auth] redirect_uri")
    assert why in text


def test_a_short_cookie_secret_is_named_and_why(serve: Serve) -> None:
    idp = Provider(serve, good())
    text = assert_refused(
        sign_in_page(flat(idp.url, cookie_secret=SHORT_COOKIE_SECRET)), "[auth] cookie_secret"
    )
    assert "shorter than 16 characters" in text
    assert "every replica must share the same one" in text


def test_an_unreachable_provider_is_named(serve: Serve) -> None:
    url = closed_port_url()
    text = assert_refused(sign_in_page(flat(url)), "[auth] server_metadata_url")
    assert "connection refused" in text
    assert url in text  # a URL may be shown


@pytest.mark.parametrize(
    ("handler", "why"),
    [
        (answer(500, b'{"error": "boom"}'), "answered HTTP 500"),
        (answer(404, b"not here", Content_Type="text/plain"), "answered HTTP 404"),
        (answer(200, b"<html>sign in</html>", Content_Type="text/html"), "not an OpenID discov"),
        (answer(200, b"[1, 2, 3]"), "not an OpenID discovery document"),
        (
            answer(
                200, json.dumps({"issuer": "x", "jwks_uri": "http://idp.example/jwks"}).encode()
            ),
            "lacks authorization_endpoint, token_endpoint",
        ),
    ],
    ids=["500", "404", "html", "json-list", "json-lacking-endpoints"],
)
def test_a_wrong_discovery_document_is_named(serve: Serve, handler: Handler, why: str) -> None:
    idp = Provider(serve, handler)
    text = assert_refused(sign_in_page(named(idp.url)), "[auth.google] server_metadata_url")
    assert why in text


def test_a_provider_too_slow_to_answer_is_named(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "METADATA_TIMEOUT", 0.3)

    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        good()(h)

    idp = Provider(serve, slow)
    text = assert_refused(sign_in_page(flat(idp.url)), "[auth] server_metadata_url")
    assert "no answer within 0.3 s" in text


def test_every_problem_is_listed_at_once_and_no_secret_is_shown(serve: Serve) -> None:
    idp = Provider(serve, answer(500, b""))
    auth = flat(idp.url, cookie_secret=SHORT_COOKIE_SECRET, redirect_uri="https://c.example/")
    auth["okta"] = {"client_secret": CLIENT_SECRET, "server_metadata_url": closed_port_url()}
    at = sign_in_page(auth)
    text = assert_refused(at, "[auth] redirect_uri", "[auth] cookie_secret",
                          "[auth] server_metadata_url", "[auth.okta] client_id",
                          "[auth.okta] server_metadata_url")  # fmt: skip
    assert text.count("\n- ") == 5, text
    shown = everything(at)
    assert CLIENT_SECRET not in shown and SHORT_COOKIE_SECRET not in shown


def test_no_secret_is_shown_with_a_good_configuration_either(serve: Serve) -> None:
    idp = Provider(serve, good())
    at = sign_in_page(flat(idp.url))
    shown = everything(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert CLIENT_SECRET not in shown and COOKIE_SECRET not in shown


def test_the_discovery_document_is_not_fetched_on_every_rerun(serve: Serve) -> None:
    idp = Provider(serve, good())
    at = sign_in_page(flat(idp.url))
    run_app(at)
    run_app(at)
    sign_in_page(flat(idp.url))  # another session
    assert [b.label for b in at.button] == ["Sign in"]
    assert idp.requests == 1


def test_a_fixed_provider_is_seen_soon_but_not_refetched_on_every_rerun(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "BAD_FOR", 0.5)
    idp = Provider(serve, answer(503, b"maintenance"))
    at = sign_in_page(flat(idp.url))
    assert "answered HTTP 503" in error_text(at)
    run_app(at)  # a rerun at once: the failure is remembered, not fetched again
    assert idp.requests == 1 and at.error
    idp.handler = good()  # the provider is fixed ...
    time.sleep(0.6)
    run_app(at)  # ... and the next run after a short while sees it
    assert not at.error, texts(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert idp.requests == 2


def test_a_host_name_that_does_not_resolve_is_said_so() -> None:
    fault = access.metadata_fault("http://identity-provider.invalid/.well-known/openid-config")
    assert fault is not None and "host name not found" in fault


# The rules, without a page ------------------------------------------------------------------


def settings_of(found: list[sign_in.Problem]) -> list[str]:
    return [p.setting for p in found]


def ok(url: str) -> str | None:
    return None


def never(url: str) -> str | None:
    raise AssertionError(f"{url} should not be fetched")


def test_rules_a_good_flat_and_named_configuration_have_no_problem() -> None:
    for auth in (flat("https://idp.example/.well-known/openid-configuration"),
                 named("https://idp.example/.well-known/openid-configuration")):  # fmt: skip
        assert sign_in.problems(auth, ok) == []


def test_rules_providers_are_found_as_st_login_finds_them() -> None:
    url = "https://idp.example/d"
    assert [p.name for p in sign_in.providers(flat(url))] == [None]
    assert [p.name for p in sign_in.providers(named(url))] == ["google"]
    both = {**flat(url), "client_kwargs": {"prompt": "login"}, "okta": {"client_id": "x"}}
    assert [(p.name, p.table) for p in sign_in.providers(both)] == [
        (None, "[auth]"), ("okta", "[auth.okta]")]  # fmt: skip
    shared_only = {"redirect_uri": REDIRECT, "cookie_secret": COOKIE_SECRET}
    assert settings_of(sign_in.problems(shared_only, never)) == [
        "[auth] client_id", "[auth] client_secret", "[auth] server_metadata_url"]  # fmt: skip


def test_rules_redirect_uri_port_placeholder_is_filled_in() -> None:
    auth = flat("https://idp.example/d", redirect_uri="http://localhost:{port}/oauth2callback")
    assert sign_in.problems(auth, ok, port=9000) == []
    auth["redirect_uri"] = "http://localhost:{port}/"
    (problem,) = sign_in.problems(auth, ok, port=9000)
    assert "http://localhost:9000/" in problem.what


def test_rules_a_malformed_metadata_url_is_not_fetched() -> None:
    (problem,) = sign_in.problems(flat("idp.example/.well-known/openid-configuration"), never)
    assert problem.setting == "[auth] server_metadata_url"
    assert "not an absolute http(s) URL" in problem.what


def test_rules_values_that_are_not_text_or_tables() -> None:
    auth = flat("https://idp.example/d", client_id=12345, client_kwargs="prompt=login")
    assert settings_of(sign_in.problems(auth, ok)) == [
        "[auth] client_id", "[auth] client_kwargs"]  # fmt: skip


def test_rules_an_underscore_in_a_provider_name_is_named() -> None:
    auth = named("https://idp.example/d", name="my_idp")
    (problem,) = sign_in.problems(auth, ok)
    assert problem.setting == "[auth.my_idp]" and "underscore" in problem.what


@pytest.mark.parametrize("tokens", ["id", ["id", "access"]])
def test_rules_expose_tokens_as_streamlit_takes_them(tokens: Any) -> None:
    assert sign_in.problems(flat("https://idp.example/d", expose_tokens=tokens), ok) == []


@pytest.mark.parametrize("tokens", ["refresh", ["id", "refresh"], [], 1])
def test_rules_wrong_expose_tokens_are_named(tokens: Any) -> None:
    (problem,) = sign_in.problems(flat("https://idp.example/d", expose_tokens=tokens), ok)
    assert problem.setting == "[auth] expose_tokens"


def test_rules_no_secret_value_is_ever_in_a_message() -> None:
    auth = flat("https://idp.example/d", cookie_secret=SHORT_COOKIE_SECRET)
    found = sign_in.problems(auth, lambda url: "could not be fetched (connection refused).")
    text = sign_in.message(found)
    assert settings_of(found) == ["[auth] cookie_secret", "[auth] server_metadata_url"]
    assert SHORT_COOKIE_SECRET not in text and CLIENT_SECRET not in text


def test_rules_a_password_in_a_url_is_hidden() -> None:
    shown = sign_in.shown_url("https://user:hunter2@idp.example/d")
    assert "hunter2" not in shown and "user:***@idp.example" in shown


@pytest.mark.parametrize(
    ("fetched", "why"),
    [
        ("connection refused", "(connection refused)"),
        (sign_in.Answer(302, b""), "answered HTTP 302"),
        (sign_in.Answer(200, b"\xff\xfe not json"), "not an OpenID discovery document"),
        (sign_in.Answer(200, b'"a string"'), "not an OpenID discovery document"),
        (sign_in.Answer(200, json.dumps({**DISCOVERY, "jwks_uri": ""}).encode()), "lacks jwks_uri"),
    ],
)
def test_rules_metadata_faults(fetched: sign_in.Fetched, why: str) -> None:
    fault = sign_in.metadata_fault("https://idp.example/d", fetched)
    assert fault is not None and why in fault and "`https://idp.example/d`" in fault


def test_rules_a_discovery_document_will_do() -> None:
    answer_ = sign_in.Answer(200, json.dumps(DISCOVERY).encode())
    assert sign_in.metadata_fault("https://idp.example/d", answer_) is None
