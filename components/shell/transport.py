"""The console's connections send each message at once (TCP_NODELAY), as asyncio means them to.

asyncio turns Nagle's algorithm off on every TCP connection it makes, but only for a socket whose
protocol number says TCP; Streamlit's server (1.67, uvicorn) listens on a socket made without
one, so the connections it accepts carry 0 and kept Nagle on. A run's last small messages (its
closing deltas and ``script_finished``) then waited for the browser's delayed acknowledgement of
the larger ones before them: up to 40 ms at the end of a click's rerun, and on every first run of
a new tab. Measured against a console over its websocket, one session at a time: a new tab's
attention board 71 → 29 ms, a rerun of it 48 → 27 ms.

``no_delay`` (once per server process, from ``app.py``) makes asyncio's check accept that
socket, for the connections accepted from then on, and turns Nagle off on those already open
(the tabs that were waiting while the first run imported the console). It reaches into asyncio
and Streamlit (as of Python 3.11 and Streamlit 1.67: ``asyncio.base_events._set_nodelay``, the
selector loop's ``_transports``, ``Runtime._get_async_objs``); tests/app/test_transport.py fails
if either moves them, and tests/e2e/test_transport.py reads the option on a served console.
"""

from __future__ import annotations

import asyncio
import socket
from asyncio import base_events
from typing import Any

import streamlit as st
from streamlit.runtime import Runtime


def set_nodelay(sock: Any) -> None:
    """asyncio's own ``_set_nodelay``, also for a TCP socket made without a protocol number."""
    if (
        sock.family in (socket.AF_INET, socket.AF_INET6)
        and sock.type == socket.SOCK_STREAM
        and sock.proto in (0, socket.IPPROTO_TCP)
    ):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def open_connections(loop: asyncio.AbstractEventLoop) -> None:
    """Turn Nagle off on the TCP connections ``loop`` has open. On the loop's own thread."""
    for transport in list(getattr(loop, "_transports", {}).values()):
        sock = transport.get_extra_info("socket")
        if sock is not None and not transport.is_closing():
            try:
                set_nodelay(sock)
            except OSError:  # closed meanwhile
                continue


@st.cache_resource(show_spinner=False)
def no_delay() -> bool:
    """Once per server process: Nagle off on its connections, those to come and those open.
    False outside a served app (``AppTest`` runs the script with a stand-in for the runtime)."""
    try:
        loop = Runtime.instance()._get_async_objs().eventloop if Runtime.exists() else None
    except RuntimeError:  # a runtime not started yet
        loop = None
    if not isinstance(loop, asyncio.AbstractEventLoop) or loop.is_closed():
        return False
    base_events._set_nodelay = set_nodelay  # type: ignore[attr-defined]
    loop.call_soon_threadsafe(open_connections, loop)
    return True
