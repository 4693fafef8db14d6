"""Nagle's algorithm off on the console's connections (``components.shell.transport``), on real
sockets: a server listening as Streamlit's does, its connections accepted by asyncio."""

from __future__ import annotations

import asyncio
import queue
import socket
import threading
from asyncio import base_events
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from unittest.mock import MagicMock

import pytest
from streamlit.runtime import Runtime
from streamlit.web.server.starlette import starlette_server

from components.shell import transport


@dataclass
class Server:
    """An asyncio server on a socket bound by Streamlit's own ``_bind_socket``, on a loop of
    its own thread; ``accepted`` holds the sockets of the connections it accepted."""

    loop: asyncio.AbstractEventLoop
    port: int
    accepted: queue.Queue[socket.socket] = field(default_factory=queue.Queue)
    clients: list[socket.socket] = field(default_factory=list)
    transports: list[asyncio.BaseTransport] = field(default_factory=list)

    def connect(self) -> socket.socket:
        """A new connection; returns the server's side of it, once accepted."""
        self.clients.append(socket.create_connection(("127.0.0.1", self.port), timeout=30))
        return self.accepted.get(timeout=30)

    def on_loop(self, call: Callable[[asyncio.AbstractEventLoop], None]) -> None:
        """Run ``call(loop)`` on the loop's thread and wait for it."""
        done: Future[None] = Future()

        def run() -> None:
            call(self.loop)
            done.set_result(None)

        self.loop.call_soon_threadsafe(run)
        done.result(timeout=30)


def nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.fixture
def server() -> Iterator[Server]:
    loop = asyncio.new_event_loop()
    listening = starlette_server._bind_socket("127.0.0.1", 0, 16)
    srv = Server(loop, listening.getsockname()[1])

    class Accept(asyncio.Protocol):
        def connection_made(self, t: asyncio.BaseTransport) -> None:
            srv.transports.append(t)
            srv.accepted.put(t.get_extra_info("socket"))  # the one asyncio set options on

    started: Future[asyncio.Server] = Future()

    async def serve() -> None:
        started.set_result(await loop.create_server(Accept, sock=listening))

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(serve(), loop)
    served = started.result(timeout=30)
    yield srv
    for c in srv.clients:
        c.close()

    def close(_: asyncio.AbstractEventLoop) -> None:
        served.close()
        for t in srv.transports:
            t.close()

    srv.on_loop(close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    loop.close()


def test_asyncio_leaves_nagle_on_for_connections_to_streamlits_socket(server: Server) -> None:
    """Why the module exists: Streamlit's listening socket has no protocol number, and asyncio
    turns Nagle off only for sockets that have one. If this fails, asyncio (or Streamlit) does
    it now, and ``transport`` can go."""
    assert server.connect().proto == 0
    assert nodelay(server.connect()) == 0


def test_connections_open_and_to_come_send_without_delay(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = server.connect()
    assert nodelay(before) == 0
    # What ``no_delay`` does, on this server's loop instead of Streamlit's.
    monkeypatch.setattr(base_events, "_set_nodelay", transport.set_nodelay)
    server.on_loop(transport.open_connections)
    assert nodelay(before) == 1  # the connection already open
    assert nodelay(server.connect()) == 1  # and those accepted from now on


def test_no_delay_leaves_asyncio_alone_unless_served(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a Streamlit server, and under ``AppTest`` (which puts a stand-in for the runtime
    in place while a script runs), nothing is patched; what it reaches into in a served console
    is still where it looks."""
    for runtime in (None, MagicMock(spec=Runtime)):
        monkeypatch.setattr(Runtime, "_instance", runtime)
        transport.no_delay.clear()
        assert transport.no_delay() is False
        assert base_events._set_nodelay is not transport.set_nodelay  # type: ignore[attr-defined]
    transport.no_delay.clear()
    assert callable(Runtime._get_async_objs)
    loop = asyncio.new_event_loop()
    assert hasattr(loop, "_transports")
    loop.close()
