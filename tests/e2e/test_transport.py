"""The served console sends each message at once: its side of a browser's websocket has Nagle's
algorithm off (``components.shell.transport``). Read from the console process's own socket,
which this test borrows through ``pidfd_getfd`` (Linux 5.6+; the console is this process's
child, so no more than a parent's rights are needed)."""

from __future__ import annotations

import ctypes
import os
import socket
from urllib.parse import urlsplit

import psutil
import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

PIDFD_GETFD = 438  # the system call's number, the same on x86-64 and arm64


def run_board(ws: websocket.WebSocket) -> None:
    """Run the landing page over the websocket, as a browser's first visit does."""
    msg = BackMsg()
    msg.rerun_script.page_name = ""
    ws.send_binary(msg.SerializeToString())
    while True:
        fwd = ForwardMsg()
        fwd.ParseFromString(ws.recv())
        if fwd.WhichOneof("type") == "script_finished":
            assert fwd.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
            return


def servers_side(port: int, peer: int) -> tuple[int, int]:
    """(the console's pid, its descriptor) of the connection on ``port`` from local port
    ``peer`` (the console listens on IPv4 and IPv6 alike: its addresses may be mapped ones)."""
    for child in psutil.Process().children(recursive=True):
        for c in child.net_connections(kind="tcp"):
            if c.laddr and c.laddr.port == port and c.raddr and c.raddr.port == peer:
                return child.pid, c.fd
    raise AssertionError(f"no process of this test serves port {peer} on port {port}")


def borrowed_nodelay(pid: int, fd: int) -> int:
    """TCP_NODELAY of descriptor ``fd`` of process ``pid``, read through a copy of it."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        copy = libc.syscall(PIDFD_GETFD, pidfd, fd, 0)
        assert copy >= 0, f"pidfd_getfd: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(pidfd)
    sock = socket.socket(fileno=copy)
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        os.close(sock.detach())  # only the copy: the console's socket stays as it was


def test_the_console_sends_without_waiting_for_acknowledgements(console: str) -> None:
    parts = urlsplit(console)
    ws = websocket.create_connection(
        f"ws://{parts.netloc}/_stcore/stream", subprotocols=["streamlit"], timeout=60
    )
    try:
        run_board(ws)
        run_board(ws)  # a tab open when the console first ran is set on the way
        assert ws.sock is not None
        pid, fd = servers_side(parts.port or 80, ws.sock.getsockname()[1])
        assert borrowed_nodelay(pid, fd) == 1
    finally:
        ws.close()
