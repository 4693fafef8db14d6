"""``bench.agents`` as browsers behind a proxy: signed in with a browser's cookies (``--cookies``)
and reconnecting when the proxy drops their websockets (``--reconnect``).

One console with ``[auth]`` configured (through ``STREAMLIT_SECRETS_FILES``; the provider's
discovery document is served from this process) sits behind a small TCP proxy of this test, which
the agents go through as they would go through HAProxy. The auth cookie is minted as Streamlit's
OAuth callback signs it. The agents run in processes of their own: Locust patches the standard
library for gevent on import.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bench import team

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
USER = {"email": "bench.agent@example.com", "name": "Bench Agent"}
SIGN_IN = "Sign in with your company account"
WHOAMI = "Bench Agent (read and replay)"  # the sidebar of a signed-in agent (not an admin)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.1)


# -- the identity provider's discovery document ----------------------------------------------


@contextlib.contextmanager
def discovery() -> Iterator[str]:
    """A minimal OIDC discovery document over HTTP; its URL."""
    document = b""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_port}"
    document = json.dumps({
        "issuer": base,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "jwks_uri": f"{base}/jwks",
        "userinfo_endpoint": f"{base}/userinfo",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }).encode()  # fmt: skip
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{base}/.well-known/openid-configuration"
    finally:
        server.shutdown()
        server.server_close()


# -- the proxy --------------------------------------------------------------------------------


@dataclass(eq=False)
class Link:
    """One connection through the proxy: the client's socket and the console's."""

    client: socket.socket
    server: socket.socket
    websocket: bool = False
    relayed: int = 0  # bytes from the console to the client
    closed: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for s in (self.client, self.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()


class Proxy:
    """A TCP proxy in front of the console, as the reverse proxy in front of a replica: ``cut``
    closes every connection through it at once and refuses new ones for a moment, as when the
    replica dies and the proxy's next one is not up yet."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.upstream: tuple[str, int] | None = None
        self.lock = threading.Lock()
        self.links: list[Link] = []
        self.websockets = 0  # opened through the proxy, all told
        self.refuse_until = 0.0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.upstream is None or time.monotonic() < self.refuse_until:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            link = Link(client, server)
            with self.lock:
                self.links.append(link)
            threading.Thread(target=self._pump, args=(link, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(link, False), daemon=True).start()

    def _pump(self, link: Link, upstream: bool) -> None:
        src, dst = (link.client, link.server) if upstream else (link.server, link.client)
        first = True
        try:
            while data := src.recv(65536):
                if upstream and first and b"/_stcore/stream" in data.split(b"\r\n", 1)[0]:
                    link.websocket = True
                    with self.lock:
                        self.websockets += 1
                first = False
                dst.sendall(data)
                if not upstream:
                    link.relayed += len(data)
        except OSError:
            pass
        finally:
            link.close()
            with self.lock, contextlib.suppress(ValueError):
                self.links.remove(link)

    def open_websockets(self) -> list[Link]:
        with self.lock:
            return [link for link in self.links if link.websocket and not link.closed.is_set()]

    def cut(self, outage: float) -> int:
        """Close every connection; refuse new ones for ``outage`` seconds. Returns how many
        were closed."""
        with self.lock:
            self.refuse_until = time.monotonic() + outage
            links, self.links = self.links, []
        for link in links:
            link.close()
        return len(links)

    def close(self) -> None:
        self.listener.close()
        self.cut(0)


# -- the console ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    console: team.Console
    proxy: Proxy
    cookies: dict[str, str]  # a signed-in browser's, for the proxy's origin
    tmp: Path


def mint_auth_cookie(cookie_secret: str, origin: str) -> str:
    """``_streamlit_user`` as Streamlit's OAuth callback sets it (``_set_auth_cookie``)."""
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    value = json.dumps({**USER, "origin": origin, "is_logged_in": True, "provider": "default"})
    return create_signed_value(cookie_secret, "_streamlit_user", value).decode()


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Signed]:
    """The console with ``[auth]``, behind the proxy (the origin the auth cookie names)."""
    tmp = tmp_path_factory.mktemp("agents-reconnect")
    proxy = Proxy()
    cookie_secret = secrets.token_hex(32)
    with discovery() as metadata_url, pytest.MonkeyPatch.context() as mp:
        (tmp / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "{proxy.url}/oauth2callback"\n'
            f'cookie_secret = "{cookie_secret}"\n'
            'client_id = "bench-agents"\n'
            'client_secret = "bench-agents-secret"\n'
            f'server_metadata_url = "{metadata_url}"\n'
        )
        mp.setenv("STREAMLIT_SECRETS_FILES", str(tmp / "secrets.toml"))
        for name in [k for k in os.environ if k.startswith("ENVOY_")]:
            mp.delenv(name)
        try:
            with team.console(tmp, loads=120) as con:
                proxy.upstream = ("127.0.0.1", int(con.url.rsplit(":", 1)[1]))
                cookies = {"_streamlit_user": mint_auth_cookie(cookie_secret, proxy.url)}
                yield Signed(con, proxy, cookies, tmp)
        finally:
            proxy.close()


def one_step(host: str, cookies: dict[str, str] | None, page: str = "loads") -> dict[str, Any]:
    """One ``bench.agents.Session`` (its own process) runs ``page``: the texts it drew and the
    cookies the session ended with."""
    code = (
        "import json, sys\n"
        "from bench.agents import Session\n"
        "s = Session(sys.argv[1], cookies=json.loads(sys.argv[2]))\n"
        "texts = []\n"
        "s.run(sys.argv[3], '', texts=texts)\n"
        "s.close()\n"
        "print(json.dumps({'texts': texts, 'cookies': s.cookies}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, host, json.dumps(cookies), page],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- the tests --------------------------------------------------------------------------------


def test_a_session_with_a_signed_in_browsers_cookies_is_signed_in(signed: Signed) -> None:
    # The first session starts the embedded sandbox (seeding it): a minute at most.
    seen = one_step(signed.proxy.url, signed.cookies)
    text = "\n".join(seen["texts"])
    assert SIGN_IN not in text, text[:2000]
    assert WHOAMI in text, text[:2000]
    # _stcore/health's answer set the XSRF cookie (the session sent its value as the token).
    assert seen["cookies"]["_streamlit_xsrf"].startswith("2|")
    assert seen["cookies"]["_streamlit_user"] == signed.cookies["_streamlit_user"]

    # Without the cookies, as today: the sign-in page. With the handshake but no auth cookie,
    # the same.
    anonymous: list[dict[str, str] | None] = [None, {}]
    for cookies in anonymous:
        text = "\n".join(one_step(signed.proxy.url, cookies)["texts"])
        assert SIGN_IN in text, (cookies, text[:2000])
        assert WHOAMI not in text, (cookies, text[:2000])


def test_agents_reconnect_when_the_proxy_drops_them(signed: Signed) -> None:
    one_step(signed.proxy.url, signed.cookies)  # the sandbox is seeded (should this run alone)
    spec = signed.tmp / "targets.json"
    spec.write_text(json.dumps(team.targets(signed.console.db)))
    jar = signed.tmp / "cookies.json"
    jar.write_text(json.dumps(signed.cookies))
    proxy = signed.proxy
    before = proxy.websockets
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.agents", "--host", proxy.url, "--targets", str(spec),
         "--cookies", str(jar), "--agents", "2", "--seconds", "20"],  # cookies: reconnecting
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Both agents' websockets are open and carrying their first step, or have carried it:
        # then the proxy drops every connection, and refuses new ones for a moment.
        wait_for(
            lambda: (
                sum(link.relayed > 5000 for link in proxy.open_websockets()) >= 2
                or proc.poll() is not None
            ),
            "two agents at work through the proxy",
        )
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert proxy.cut(outage=1.5) >= 2
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["errors"] == [], summary
    assert summary["lost"] == 0, summary
    assert summary["reconnects"] >= 1, summary
    assert summary["total"]["count"] >= 4 and summary["total"]["errors"] == 0, summary
    assert proxy.websockets - before >= 4  # two before the cut, two after at least
