"""One deadline for a whole delivery attempt: connecting, sending and reading the entire answer.

httpx's timeouts bound each phase, and within a phase each socket read, separately: a receiver
that answers one byte a second never trips them and holds a sender worker for as long as it
likes. Under ``deadline(seconds)``, every socket operation of ``DeadlineTransport`` gets at most
the time left, and none starts once it has run out (name resolution, done by the OS, excepted).
"""

from __future__ import annotations

import ssl
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


class _Backend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(super().connect_tcp(host, port, left, local_address, socket_options))


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, over sockets that keep ``deadline``."""

    def __init__(self) -> None:
        super().__init__()
        # httpx takes no network backend: swap the pool it built for the same one over ours
        # (httpx's default limits, so pooling behaves as before).
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(),
        )
