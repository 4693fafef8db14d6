"""The client against small hostile servers on real sockets: a try has one total deadline, and
every failure is an ``EnvoyError`` with bounded text."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from envoy_api import APIResponseValidationError, APITimeoutError, EnvoyClient, EnvoyError
from envoy_api.errors import MAX_MESSAGE, InternalServerError

from ..hostile import Handler, answer


def drip(h: BaseHTTPRequestHandler) -> None:
    """Headers at once, then one byte a second for a minute: every read returns in time."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "60")
    h.end_headers()
    for _ in range(60):
        h.wfile.write(b" ")
        h.wfile.flush()
        time.sleep(1)  # the hostile server's pace, not the test's wait


def test_a_dripping_server_costs_one_timeout_per_try(serve: Callable[[Handler], str]) -> None:
    client = EnvoyClient(serve(drip), api_key="envai_live_test", timeout=1.0, max_retries=2)
    client._sleep = lambda s: None  # the backoff between tries is not what is measured
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.loads.tab_counts()
    elapsed = time.monotonic() - started
    # Three tries of about 1 s each; without a total deadline per try, one try alone would
    # take the drip's 60 s (each byte restarts a read timeout). The margin is for a busy
    # machine (5.3 s seen beside a CPU burner), still far from one drip.
    assert elapsed < 15, f"three tries of 1 s took {elapsed:.1f} s"


def test_a_silent_server_costs_one_timeout(serve: Callable[[Handler], str]) -> None:
    stop = threading.Event()

    def silent(h: BaseHTTPRequestHandler) -> None:
        stop.wait(30)

    client = EnvoyClient(serve(silent), api_key="envai_live_test", timeout=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.loads.tab_counts()
    stop.set()
    assert time.monotonic() - started < 10  # 0.5 s and a busy machine's margin, not the 30 s


def test_deeply_nested_json_is_an_envoy_error(serve: Callable[[Handler], str]) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    client = EnvoyClient(serve(answer(200, body)), api_key="envai_live_test", max_retries=0)
    with pytest.raises(APIResponseValidationError):
        client.loads.tab_counts()


def test_a_body_that_is_not_the_encoding_it_claims(serve: Callable[[Handler], str]) -> None:
    bad = answer(200, b"this is not gzip", Content_Encoding="gzip")
    client = EnvoyClient(serve(bad), api_key="envai_live_test", max_retries=0)
    with pytest.raises(APIResponseValidationError):
        client.loads.tab_counts()
    good = answer(200, gzip.compress(b'{"all": 3}'), Content_Encoding="gzip")
    client = EnvoyClient(serve(good), api_key="envai_live_test", max_retries=0)
    assert client.loads.tab_counts()["all"] == 3


def test_error_text_is_bounded(serve: Callable[[Handler], str]) -> None:
    huge = {"error": {"code": "internal_error", "message": "x" * 5_000_000, "param": None}}
    client = EnvoyClient(
        serve(answer(500, json.dumps(huge).encode())), api_key="envai_live_test", max_retries=0
    )
    with pytest.raises(InternalServerError) as caught:
        client.loads.tab_counts()
    assert len(str(caught.value)) < MAX_MESSAGE + 200
    assert len(repr(caught.value)) < MAX_MESSAGE + 300
    assert caught.value.body is None  # the envelope's fields are kept, the 5 MB body is not


def test_a_server_that_closes_mid_body(serve: Callable[[Handler], str]) -> None:
    def cut(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b'{"all": ')
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)

    client = EnvoyClient(serve(cut), api_key="envai_live_test", max_retries=0)
    with pytest.raises(EnvoyError):
        client.loads.tab_counts()
