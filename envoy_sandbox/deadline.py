"""One deadline for a whole delivery attempt: connecting, sending and reading the entire answer.

httpx's timeouts bound each phase, and within a phase each socket read, separately: a receiver
that answers one byte a second never trips them and holds a sender worker for as long as it
likes. Under ``deadline(seconds)``, every socket operation of ``DeadlineTransport`` gets at most
the time left, and none starts once it has run out; name resolution, which the OS does without a
timeout, is waited for only that long too.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

# Per thread of execution: each sender worker sends one attempt at a time, with its own end.
_END: ContextVar[float | None] = ContextVar("attempt_deadline", default=None)
# A write waits for the receiver to take this much at most before the deadline is checked
# again (a receiver that reads slowly must not stretch one write past the deadline).
_WRITE_SLICE = 16 * 1024


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Socket operations of ``DeadlineTransport`` in this block end ``seconds`` from now."""
    token = _END.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _END.reset(token)


def _left(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    """``timeout`` capped at the time left; ``expired`` raised when none is."""
    end = _END.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise expired("The attempt's deadline passed.")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), _WRITE_SLICE):
            piece = buffer[start : start + _WRITE_SLICE]
            self._inner.write(piece, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """``host``'s addresses, in the resolver's order, looked up within ``timeout``.

    ``getaddrinfo`` takes no timeout, so it runs on a thread of its own: a lookup that hangs is
    left to end there when the OS gives up, while the attempt fails on time.
    """
    try:
        return [str(ipaddress.ip_address(host))]  # a literal: nothing to look up
    except ValueError:
        pass
    found: list[str] = []
    failed: list[OSError] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.extend(dict.fromkeys(str(info[4][0]) for info in infos))
        except OSError as exc:
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name="sender-resolve", daemon=True).start()
    if not done.wait(timeout):
        raise httpcore.ConnectTimeout(f"No address for {host} within the attempt's deadline.")
    if failed:
        raise httpcore.ConnectError(str(failed[0])) from failed[0]
    return found


class _Backend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port, _left(timeout, httpcore.ConnectTimeout))
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:  # each in turn, as socket.create_connection would
            left = _left(timeout, httpcore.ConnectTimeout)
            try:
                stream = super().connect_tcp(address, port, left, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _Stream(stream)
        raise failure or httpcore.ConnectError(f"No address for {host}.")


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, over sockets that keep ``deadline``."""

    def __init__(self, max_connections: int = 100) -> None:
        super().__init__()
        # httpx takes no network backend: swap the pool it built for the same one over ours
        # (httpx's default limits unless told more connections, so pooling behaves as before).
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(),
        )
