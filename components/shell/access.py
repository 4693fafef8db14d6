"""Who is using the console: sign-in, and the user the rights in ``domain.rights`` apply to.

With an ``[auth]`` table in ``.streamlit/secrets.toml`` the console requires ``st.login`` (OIDC)
before anything renders, and the emails in ``[console] admins`` may delete, rotate, register,
edit, pause and bulk-replay; everyone else may read and replay a single message. Without
``[auth]`` the console runs as one local user with every right, and says so. Tests patch
``current_user``.

Before the Sign in button is drawn, the ``[auth]`` table is checked (``domain.sign_in``), the
provider's discovery document fetched included: a table ``st.login`` cannot work with shows
every setting at fault instead of the button, never a traceback or Streamlit's bare
"Authentication error" page.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time

import httpx
import streamlit as st

from components.domain import sign_in
from components.domain.rights import LOCAL, User
from components.settings import secrets_table

METADATA_TIMEOUT = 5.0  # seconds to wait for the provider's discovery document
GOOD_FOR = 60.0  # seconds a discovery URL found good is not fetched again
BAD_FOR = 10.0  # ... and one found wrong: a fixed provider is seen within seconds
_MAX_BODY = 1 << 20  # a discovery document is a few kilobytes
_checked: dict[str, tuple[float, str | None]] = {}  # url: (until, fault)
_checking = threading.Lock()  # one fetch at a time: other sessions then read the result


def auth_configured() -> bool:
    return bool(secrets_table("auth"))


def admins() -> set[str]:
    return {str(e).strip().lower() for e in secrets_table("console").get("admins", []) if str(e)}


def current_user() -> User:
    """The signed-in user (asking them to sign in first), or the local single user."""
    if not auth_configured():
        return User(email=LOCAL, name="Local single user", is_admin=True, signed_in=False)
    if not st.user.get("is_logged_in", False):
        _sign_in_page()
    email = str(st.user.get("email") or "").lower()
    name = str(st.user.get("name") or email)
    return User(email=email, name=name, is_admin=email in admins(), signed_in=True)


def _sign_in_page() -> None:
    """The Sign in button, one per provider; or, when ``[auth]`` cannot work, what to fix."""
    auth = secrets_table("auth")
    st.title("Envoy Support Console")
    # An empty table means no sign-in (auth_configured); tests patch that with no table at all.
    port = int(st.get_option("server.port"))
    found = sign_in.problems(auth, metadata_fault, port=port) if auth else []
    if found:
        st.error(sign_in.message(found), icon=":material/error:")
        st.stop()
    st.info("Sign in with your company account to use the console.", icon=":material/lock:")
    providers = sign_in.providers(auth)
    for provider in providers:
        label = "Sign in"
        key = "sign_in"
        if len(providers) > 1:
            shown = provider.name or "company account"
            label = f"Sign in with {shown[:1].upper()}{shown[1:]}"
            key = f"sign_in:{provider.name or ''}"
        args = () if provider.name is None else (provider.name,)
        st.button(label, on_click=st.login, args=args, type="primary", key=key)
    st.stop()


def metadata_fault(url: str) -> str | None:
    """What is wrong with the discovery document at ``url`` (None: nothing), fetched at most
    once a minute while good and every few seconds while not."""
    with _checking:
        cached = _checked.get(url)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        fault = sign_in.metadata_fault(url, _fetch(url))
        _checked[url] = (time.monotonic() + (BAD_FOR if fault else GOOD_FOR), fault)
        return fault


def forget_metadata_checks() -> None:
    """Fetch every discovery document afresh (tests)."""
    with _checking:
        _checked.clear()


def _fetch(url: str) -> sign_in.Fetched:
    """What ``url`` answers (its first megabyte), or in a few words why it did not."""
    try:
        with (
            httpx.Client(timeout=METADATA_TIMEOUT) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > _MAX_BODY:
                    break
            return sign_in.Answer(response.status_code, body)
    except httpx.TimeoutException:
        return f"no answer within {METADATA_TIMEOUT:g} s"
    except Exception as exc:  # any other failure is "unreachable", said in a few words
        return _reason(exc)


def _reason(exc: BaseException) -> str:
    """A network failure in a few words, from the cause at the bottom of it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "host name not found"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, ssl.SSLCertVerificationError):
            return "its TLS certificate was not accepted"
        if isinstance(seen, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(seen, ConnectionResetError):
            return "connection reset"
        if isinstance(seen, TimeoutError):
            return f"no answer within {METADATA_TIMEOUT:g} s"
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection without a valid answer"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "not a URL that can be fetched"
    return "network error"
