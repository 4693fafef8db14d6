"""What several sandbox test modules share: a raw keep-alive client (and how to tell its
connection apart), and webhook receivers of the tests' own."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from .conftest import Sandbox


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """One keep-alive connection to the sandbox, as the first organization (raw httpx: no
    checks made before sending, unlike ``envoy_api``)."""
    with httpx.Client(base_url=sandbox.root, headers={"X-API-Key": sandbox.api_key}) as client:
        yield client


def peer(response: httpx.Response) -> object:
    """The client side of the connection the response came on: equal means reused."""
    return response.extensions["network_stream"].get_extra_info("client_addr")


@dataclass(frozen=True)
class Arrival:
    headers: list[tuple[str, str]]  # as sent: repeated names stay repeated
    body: bytes
    # When the request was read (time.monotonic): a delay measured without polling's lag.
    at: float = field(default_factory=time.monotonic)

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


class LocalReceiver:
    """A webhook receiver of the test's own on a loopback port.

    It records every delivery and answers 200 at once, or drips: ``drip`` bytes one per
    ``interval`` seconds, in the body or (``drip_in="headers"``) in a header that never ends,
    holding the sender's connection. Closing it stops any drip still going.
    """

    def __init__(self, *, drip: int = 0, drip_in: str = "body", interval: float = 0.2) -> None:
        self.arrivals: list[Arrival] = []
        self._stop = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.arrivals.append(Arrival(list(self.headers.items()), body))
                with contextlib.suppress(OSError):  # the sender gave up and hung up
                    if drip and drip_in == "headers":
                        self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
                    else:
                        answer = b"x" * drip if drip else b'{"received":true}'
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(answer)))
                        self.end_headers()
                        if not drip:
                            self.wfile.write(answer)
                    for _ in range(drip):  # bounded, and cut short when the test ends
                        if receiver._stop.wait(interval):
                            return
                        self.wfile.write(b"x")

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __enter__(self) -> LocalReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
