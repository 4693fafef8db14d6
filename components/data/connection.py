"""Settings → connection → client. Starts the embedded sandbox when nothing is configured.

Configuration comes from the environment (``ENVOY_BASE_URL``, ``ENVOY_API_KEY``,
``ENVOY_BEARER_TOKEN``, ``ENVOY_ORGANIZATION_ID``) or the ``[envoy]`` table of
``.streamlit/secrets.toml``. With neither, the sandbox runs in this process (once per server,
``st.cache_resource``) and the console talks to it over HTTP like to Envoy.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import streamlit as st

from components.data.extras import Extras, Login, probe
from components.settings import secrets_table
from envoy_api import DEFAULT_BASE_URL, ClientSettings, EnvoyClient

SANDBOX_LABEL = "Sandbox (demo data)"
_KEYS = ("base_url", "api_key", "bearer_token", "organization_id")


class ConfigurationError(Exception):
    """The configuration cannot work; the message says how to fix it."""


@dataclass(frozen=True)
class Organization:
    id: str
    name: str


@dataclass(frozen=True)
class Connection:
    """Where and as whom the console talks to Envoy. ``repr()`` shows no credential."""

    kind: str  # "sandbox" or "remote"
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    bearer_token: str | None = field(default=None, repr=False)
    organizations: tuple[Organization, ...] = ()
    sandbox_root: str | None = None  # where /_sandbox lives, when talking to a sandbox
    timeout: float = 10.0
    max_retries: int = 2

    @property
    def label(self) -> str:
        if self.kind == "sandbox":
            return SANDBOX_LABEL
        return urlsplit(self.base_url).netloc or self.base_url

    @property
    def fingerprint(self) -> str:
        return self.settings().fingerprint

    def settings(self, organization_id: str | None = None) -> ClientSettings:
        return ClientSettings(
            base_url=self.base_url,
            api_key=self.api_key,
            bearer_token=self.bearer_token,
            organization_id=organization_id,
        )


def read_config() -> dict[str, str]:
    """The configured values, environment first, then ``[envoy]`` in secrets.toml."""
    table = secrets_table("envoy")
    config: dict[str, str] = {}
    for key in _KEYS:
        value = os.environ.get(f"ENVOY_{key.upper()}") or table.get(key)
        if value:
            config[key] = str(value).strip()
    return config


def _organizations(raw: str | None) -> tuple[Organization, ...]:
    ids = [part.strip() for part in (raw or "").split(",") if part.strip()]
    return tuple(Organization(id=i, name=i) for i in ids)


def resolve_connection() -> Connection:
    """The connection for this server process (raises ``ConfigurationError`` with the fix)."""
    config = read_config()
    if not config:
        return sandbox_connection()
    if not (config.get("api_key") or config.get("bearer_token")):
        raise ConfigurationError(
            "ENVOY_BASE_URL is set but no credential is. Set ENVOY_API_KEY (or "
            "ENVOY_BEARER_TOKEN), or unset ENVOY_BASE_URL to use the built-in sandbox."
        )
    base_url = config.get("base_url", DEFAULT_BASE_URL).rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"ENVOY_BASE_URL must be an http(s) URL such as {DEFAULT_BASE_URL}; "
            f"got {base_url[:80]!r}."
        )
    conn = Connection(
        kind="remote",
        timeout=float(os.environ.get("ENVOY_TIMEOUT", "10")),
        max_retries=int(os.environ.get("ENVOY_MAX_RETRIES", "2")),
        base_url=base_url,
        api_key=config.get("api_key"),
        bearer_token=None if config.get("api_key") else config.get("bearer_token"),
        organizations=_organizations(config.get("organization_id")),
    )
    return replace(conn, sandbox_root=_probe_sandbox(base_url, conn.fingerprint, conn))


@st.cache_resource(show_spinner=False)
def _probe_sandbox(base_url: str, fingerprint: str, _conn: Connection) -> str | None:
    """A configured URL may still be a sandbox (tests, demos): then its extras are offered.
    Keyed by the credential's fingerprint; the credential itself is no part of the key."""
    return probe(base_url, _conn.api_key, _conn.bearer_token)


class DemoLogin:
    """The embedded sandbox's demo agent: logs in, and again before the token expires (a console
    left open overnight keeps working)."""

    FALLBACK_LIFETIME = 3600.0  # a token without a readable expiry is renewed hourly

    def __init__(self, login: Callable[[], Login], clock: Callable[[], float] = time.time) -> None:
        self._login = login
        self._clock = clock
        self._lock = threading.Lock()
        self._token = ""
        self._renew_at = 0.0

    def token(self) -> str:
        with self._lock:
            now = self._clock()
            if now >= self._renew_at:
                login = self._login()
                self._token = login.token
                expires = (
                    login.expires_at.timestamp()
                    if login.expires_at
                    else now + self.FALLBACK_LIFETIME
                )
                # Renew with a tenth of the lifetime (at most ten minutes) still to go.
                self._renew_at = expires - min((expires - now) / 10, 600.0)
            return self._token


@dataclass(frozen=True)
class EmbeddedSandbox:
    base_url: str
    root: str
    organizations: tuple[Organization, ...]
    login: DemoLogin = field(repr=False, compare=False)


@st.cache_resource(show_spinner="Starting the local Envoy sandbox…")
def embedded_sandbox() -> EmbeddedSandbox:
    """Start the sandbox once per server process; the demo agent logs in on demand."""
    from envoy_sandbox import SandboxSettings, start_in_thread
    from envoy_sandbox.config import DEMO_EMAIL, DEMO_PASSWORD

    ticker = os.environ.get("ENVOY_SANDBOX_TICKER", "8")
    settings = SandboxSettings(
        db_path=os.environ.get("ENVOY_SANDBOX_DB", "data/sandbox.db"),
        loads=int(os.environ.get("ENVOY_SANDBOX_LOADS", "1000")),
        ticker_seconds=float(ticker) if ticker and float(ticker) > 0 else None,
        retry_scale=float(os.environ.get("ENVOY_SANDBOX_RETRY_SCALE", "0.1")),
    )
    if os.environ.get("ENVOY_SANDBOX_TOKEN_TTL"):  # a short life shows the renewal at work
        settings = replace(settings, token_ttl=int(os.environ["ENVOY_SANDBOX_TOKEN_TTL"]))
    base_url, key, _stop = start_in_thread(settings)
    # Lives as long as the sandbox: once per server process. The sandbox's own key opens its
    # extras; the console itself talks to Envoy's API as the demo agent.
    extras = Extras(base_url, api_key=key)
    orgs = tuple(Organization(id=o["id"], name=o["name"]) for o in extras.info()["organizations"])
    demo = DemoLogin(lambda: extras.login(DEMO_EMAIL, DEMO_PASSWORD))
    return EmbeddedSandbox(base_url, extras.root, orgs, demo)


def sandbox_connection() -> Connection:
    """The connection to the embedded sandbox as its demo agent, who belongs to both demo
    organizations (so the selector has something to do), with a token that is still good."""
    box = embedded_sandbox()
    return Connection(
        kind="sandbox",
        base_url=box.base_url,
        bearer_token=box.login.token(),
        organizations=box.organizations,
        sandbox_root=box.root,
    )


@st.cache_resource(show_spinner=False, max_entries=64)
def client_for(
    fingerprint: str,
    organization_id: str | None,
    timeout: float,
    max_retries: int,
    _conn: Connection,
) -> EnvoyClient:
    """One pooled client per (credential, organization, timeout, retries) and server process:
    a client made with other settings is another client."""
    return EnvoyClient(
        _conn.base_url,
        api_key=_conn.api_key,
        bearer_token=_conn.bearer_token,
        organization_id=organization_id,
        timeout=_conn.timeout,
        max_retries=_conn.max_retries,
    )
