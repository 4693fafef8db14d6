"""The team deployment on one machine, without containers: HAProxy running ``deploy/haproxy.cfg``
in front of three console replicas started by ``deploy/start-console``, one PostgreSQL in a
throwaway folder, the Envoy sandbox in a process of its own (the replicas talk to it over HTTP,
as to the real API) and an OpenID Connect test provider with two users, an admin and a reader.

``make team`` runs ``main``: it prints the URL and the two logins and stops everything on Ctrl-C.
``tests/e2e/test_team.py`` starts the same ``Team`` and kills, drains and restarts its replicas.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from deploy.processes import Postgres, Process, free_port, pg_bindir

ROOT = Path(__file__).resolve().parents[1]
START_CONSOLE = ROOT / "deploy" / "start-console"
PROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
HEALTH = "/_stcore/health"  # the image's HEALTHCHECK and the proxy's check
REPLICAS = ("a", "b", "c")  # the proxy's server names and sticky-cookie values
STICKY_COOKIE = "console_replica"
SANDBOX_KEY = "envai_live_sandbox_demo_key_0001"  # the sandbox's demo organization


@dataclass(frozen=True)
class Login:
    email: str
    name: str
    admin: bool

    @property
    def claims(self) -> str:
        return json.dumps({"sub": self.email, "email": self.email, "name": self.name})


ADMIN = Login("ada.admin@envoy.test", "Ada Admin", admin=True)
READER = Login("rui.reader@envoy.test", "Rui Reader", admin=False)


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None
    )


@dataclass
class Team:
    """The whole topology in ``root``; ``start`` brings it up, ``stop`` takes it all down."""

    root: Path
    database_url: str | None = None  # a PostgreSQL database to use; else one of its own
    loads: int = 300
    retry_scale: float = 0.002  # the sandbox retries within about a second
    lease_seconds: int = 3  # how soon another replica takes over a dead replica's job
    sign_in: bool = True  # False: no provider and no [auth] (make bench's anonymous agents)
    proxy_port: int = field(default_factory=free_port)
    sandbox_port: int = field(default_factory=free_port)
    oidc_port: int = field(default_factory=free_port)
    ports: dict[str, int] = field(default_factory=lambda: {r: free_port() for r in REPLICAS})
    replicas: dict[str, Process] = field(default_factory=dict)
    _others: list[Process] = field(default_factory=list)
    _postgres: Postgres | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def sandbox_root(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def sandbox_url(self) -> str:
        return f"{self.sandbox_root}/api/v1"

    @property
    def oidc_url(self) -> str:
        return f"http://127.0.0.1:{self.oidc_port}"

    @property
    def socket_path(self) -> Path:
        return self.root / "haproxy.sock"

    @property
    def secrets_path(self) -> Path:
        return self.root / "secrets.toml"

    def replica_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    # -- starting and stopping ------------------------------------------------------------

    def start(self, progress: bool = False) -> Team:
        say = print if progress else (lambda *_: None)
        try:
            if self.database_url is None:
                bindir = pg_bindir()
                if bindir is None:
                    raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
                say("PostgreSQL …")
                self._postgres = Postgres(bindir).start()
                self.database_url = self._postgres.url(self._postgres.create_database())
            say("the Envoy sandbox …")
            self._others.append(self._sandbox().start(f"{self.sandbox_root}/openapi.json"))
            if self.sign_in:
                say("the sign-in provider …")
                self._others.append(self._oidc().start(
                    f"{self.oidc_url}/.well-known/openid-configuration"))  # fmt: skip
            self._write_secrets()
            for name in REPLICAS:
                say(f"console replica {name} …")
                self.start_replica(name)
            say("the proxy …")
            self._others.append(self._proxy().start(f"{self.url}{HEALTH}"))
            for name in REPLICAS:
                self.wait_proxy_state(name, "UP")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in [*reversed(self._others), *self.replicas.values()]:
            with suppress(Exception):
                process.stop()
        self._others.clear()
        if self._postgres is not None:
            self._postgres.stop()
            self._postgres = None

    def start_replica(self, name: str) -> Process:
        """``deploy/start-console``, as the image runs it, on this replica's port."""
        bindir = str(Path(sys.executable).parent)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("ENVOY_", "STREAMLIT_"))}
        env = {
            **base,
            "PATH": f"{bindir}:{base.get('PATH', '')}",  # this Python's streamlit
            "PORT": str(self.ports[name]),
            "ADDRESS": "127.0.0.1",
            "STREAMLIT_SECRETS_FILES": str(self.secrets_path),
            "ENVOY_BASE_URL": self.sandbox_url,
            "ENVOY_API_KEY": SANDBOX_KEY,
            "ENVOY_CONSOLE_DATABASE_URL": self.database_url or "",
            "ENVOY_JOB_LEASE_SECONDS": str(self.lease_seconds),
        }
        log = self.root / f"replica-{name}.log"
        process = Process(f"replica {name}", [str(START_CONSOLE)], log, env=env, cwd=ROOT)
        self.replicas[name] = process.start(f"{self.replica_url(name)}{HEALTH}")
        return process

    def _sandbox(self) -> Process:
        args = [sys.executable, "-m", "envoy_sandbox", "--port", str(self.sandbox_port),
                "--db", str(self.root / "sandbox.db"), "--loads", str(self.loads),
                "--retry-scale", str(self.retry_scale),
                "--disable-after-dead", "10000"]  # fmt: skip
        return Process("sandbox", args, self.root / "sandbox.log", cwd=ROOT)

    def _oidc(self) -> Process:
        args = [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.oidc_port)]
        for login in (ADMIN, READER):
            args += ["--user-claims", login.claims]
        return Process("sign-in provider", args, self.root / "oidc.log", cwd=self.root)

    def _proxy(self) -> Process:
        binary = haproxy_binary()
        if binary is None:
            raise RuntimeError("HAProxy is not installed (apt-get install haproxy)")
        env = {
            **os.environ,
            "PROXY_BIND": f"127.0.0.1:{self.proxy_port}",
            "HAPROXY_SOCKET": str(self.socket_path),
            **{f"REPLICA_{r.upper()}": f"127.0.0.1:{p}" for r, p in self.ports.items()},
        }
        return Process("proxy", [binary, "-db", "-f", str(PROXY_CONFIG)], self.root / "proxy.log",
                       env=env)  # fmt: skip

    def _write_secrets(self) -> None:
        """One [auth] for every replica (one cookie_secret: a browser moved to another replica
        stays signed in) and the admin in [console] admins; without sign-in, neither."""
        auth = (
            "[auth]\n"
            f'redirect_uri = "{self.url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            'client_id = "envoy-support-console"\n'
            f'client_secret = "{secrets.token_urlsafe(24)}"\n'
            f'server_metadata_url = "{self.oidc_url}/.well-known/openid-configuration"\n'
            "\n[console]\n"
            f'admins = ["{ADMIN.email}"]\n'
        )
        self.secrets_path.write_text(auth if self.sign_in else "")
        self.secrets_path.chmod(0o600)

    # -- the proxy's runtime API -----------------------------------------------------------

    def proxy_command(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(str(self.socket_path))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def proxy_stat(self, name: str) -> dict[str, str]:
        """The proxy's ``show stat`` row of a replica."""
        lines = self.proxy_command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "replicas" and row.get("svname") == name:
                return row
        return {}

    def proxy_state(self, name: str) -> str:
        """What the proxy thinks of a replica: UP, DOWN, DRAIN, MAINT …"""
        return self.proxy_stat(name).get("status", "")

    def proxy_session_count(self, name: str) -> int:
        """The connections (a browser's WebSocket is one) the proxy has open to a replica."""
        return int(self.proxy_stat(name).get("scur") or 0)

    def wait_proxy_state(self, name: str, state: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.proxy_state(name).startswith(state):
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica {name} is {self.proxy_state(name)}, not {state}")
            time.sleep(0.2)

    def set_state(self, name: str, state: str) -> None:
        """``ready``, ``drain`` or ``maint`` on the proxy's runtime socket."""
        self.proxy_command(f"set server replicas/{name} state {state}")

    def rolling_restart(self, name: str) -> None:
        """Drain, stop, start, put back: new browsers go elsewhere (drain), the proxy stops
        sending it anything, even its own browsers' new connections (maint), it stops (SIGTERM:
        its WebSockets close and its browsers reconnect to the others), and it takes browsers
        again once it answers its health check. Streamlit's sessions live in the replica's
        memory and its WebSockets never end by themselves, so there is no waiting for them to
        drain: a step cut by the stop is redone by the browser on its new replica."""
        self.set_state(name, "drain")
        self.set_state(name, "maint")
        self.replicas[name].stop()
        self.start_replica(name)
        self.set_state(name, "ready")
        self.wait_proxy_state(name, "UP")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make team", description=__doc__)
    parser.add_argument("--port", type=int, default=8080, help="the proxy's port (default 8080)")
    parser.add_argument("--loads", type=int, default=1000, help="loads in the sandbox")
    args = parser.parse_args(argv)
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="envoy-team-"))
    print(f"Starting the team topology in {root} (logs there) …", flush=True)
    team = Team(root, loads=args.loads, retry_scale=0.05, lease_seconds=20, proxy_port=args.port)
    stopping = False

    def interrupted(*_: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    # Ctrl-C too, explicitly: started in the background by a script, a process inherits SIGINT
    # ignored, and Python then leaves it so (the suite, run that way, saw Ctrl-C do nothing).
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        team.start(progress=True)
        print(f"\nReady in {time.monotonic() - started:.0f} s. Open {team.url}", flush=True)
        print("Sign in on the provider's page by choosing a user:")
        print(f"  {ADMIN.email}  (admin: may register, edit, rotate, delete, bulk-replay)")
        print(f"  {READER.email}  (reader: may read and replay one message)")
        print(f"Replicas: {', '.join(f'{n} {team.replica_url(n)}' for n in REPLICAS)}")
        print(f"Envoy sandbox (demo API key {SANDBOX_KEY}): {team.sandbox_url}")
        print("Ctrl-C stops everything.", flush=True)
        while all(p.running for p in [*team._others, *team.replicas.values()]):
            time.sleep(1)
        gone = [p.name for p in [*team._others, *team.replicas.values()] if not p.running]
        print(f"{', '.join(gone)} stopped; see its log in {root}. Stopping the rest.")
        return 1
    except KeyboardInterrupt:
        print("\nStopping …", flush=True)
        return 0
    finally:
        stopping = True
        team.stop()
        shutil.rmtree(root, ignore_errors=True)
        print("Stopped.", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
