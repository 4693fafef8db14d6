"""Running the sandbox: in a background thread (dashboard, tests) or in the foreground (CLI)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import uvicorn

from .app import create_app
from .config import SandboxSettings
from .contract import API_PREFIX

StopFn = Callable[[], None]

# Seconds an idle keep-alive connection stays open: longer than httpx's pool keeps one (5 s), so
# a client never sends on a connection the server is closing that very moment (a reset under
# load, seen as a ReadError on a request that was never read).
KEEP_ALIVE = 30


def free_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it, Nagle's algorithm and delayed ACKs add
    # ~40 ms to every small response (headers and body go out as two writes).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # signals belong to the main thread's owner
        pass


def start_in_thread(
    settings: SandboxSettings | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 60.0,
    **overrides: object,
) -> tuple[str, str, StopFn]:
    """Start the sandbox on ``host`` (a free port by default) in a daemon thread.

    Returns ``(base_url, api_key, stop)``; ``base_url`` ends in ``/api/v1``.
    """
    settings = replace(settings or SandboxSettings(), **overrides)  # type: ignore[arg-type]
    sock = free_socket(host, port)
    actual_port = sock.getsockname()[1]
    root = f"http://{host}:{actual_port}"
    app = create_app(settings, public_base=root)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=KEEP_ALIVE,
    )
    server = _Server(config)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"envoy-sandbox-{actual_port}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the sandbox server stopped while starting")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the sandbox did not start within {startup_timeout:g} s")
        time.sleep(0.02)

    def stop() -> None:
        # The app's lifespan stops the sender and the ticker and closes the database.
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return root + API_PREFIX, settings.api_key, stop


def serve(settings: SandboxSettings, host: str, port: int) -> None:
    """Run in the foreground until interrupted (the CLI)."""
    logging.basicConfig(level=logging.INFO)
    sock = free_socket(host, port)
    actual = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    app = create_app(settings, public_base=f"http://{shown}:{actual}")
    print(f"Envoy sandbox: http://{shown}:{actual}{API_PREFIX}", flush=True)
    # A demo credential for local data only (ENVOY_SANDBOX_API_KEY overrides it).
    print(f"Demo API key: {settings.api_key}", flush=True)
    config = uvicorn.Config(app, log_level="info", timeout_keep_alive=KEEP_ALIVE)
    uvicorn.Server(config).run(sockets=[sock])
