"""Is the ``[auth]`` table of ``.streamlit/secrets.toml`` one that ``st.login`` can work with?

Streamlit checks it only when the Sign in button is pressed, and then shows a traceback, a bare
"Authentication error" page or nothing at all. These rules check it before the button is drawn,
and name the setting at fault (``[auth] cookie_secret``, ``[auth.google] client_id``) in plain
words. What Streamlit requires (``streamlit.auth_util.validate_auth_credentials`` and the auth
routes) is:

- ``redirect_uri`` and ``cookie_secret`` in ``[auth]`` itself;
- per provider, ``client_id``, ``client_secret`` and ``server_metadata_url``: either in ``[auth]``
  (the unnamed provider, ``st.login()``) or in an ``[auth.<name>]`` table (``st.login(name)``),
  whose name may not hold an underscore;
- an OpenID discovery document at ``server_metadata_url``, fetched when the user signs in.

Pure: the shell (``components.shell.access``) fetches the discovery document and passes what
came back. A message never holds a secret's value (``client_secret``, ``cookie_secret``); URLs
and names are shown as literal text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from components.domain.markup import md

PER_PROVIDER = ("client_id", "client_secret", "server_metadata_url")
DISCOVERY_KEYS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
MIN_COOKIE_SECRET = 16
CALLBACK = "/oauth2callback"
TOKENS = ("id", "access")  # what expose_tokens may name

# What each setting holds, said when it is missing.
_HOLDS = {
    "redirect_uri": "this console's own address followed by /oauth2callback, for example "
    "`https://console.example.com/oauth2callback`",
    "cookie_secret": "a long random secret (for example the output of `openssl rand -hex 32`), "
    "the same on every replica",
    "client_id": "the client ID of this console's app registration at the identity provider",
    "client_secret": "the client secret of this console's app registration at the identity "
    "provider",
    "server_metadata_url": "the identity provider's OpenID discovery URL, which usually ends in "
    "`/.well-known/openid-configuration`",
}


@dataclass(frozen=True)
class Problem:
    setting: str  # as the user finds it in the file: "[auth] client_id", "[auth.google]"
    what: str  # plain words, Markdown-safe: what is wrong and what to do

    def __str__(self) -> str:
        return f"{_setting(self.setting)}: {self.what}"


@dataclass(frozen=True)
class Provider:
    """One way to sign in: the unnamed provider in ``[auth]`` or a named ``[auth.<name>]``."""

    name: str | None  # None: ``st.login()``; else ``st.login(name)``
    table: str  # "[auth]" or "[auth.<name>]"
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class Answer:
    """What the discovery URL answered (the shell fetched it)."""

    status: int
    body: bytes


# What the shell's fetch gives back: an answer, or in a few words why there was none
# ("connection refused", "no answer within 5 s").
Fetched = Answer | str


def _setting(setting: str) -> str:
    return f"`{setting}`" if "`" not in setting else md(setting)


def providers(auth: Mapping[str, Any]) -> list[Provider]:
    """The providers ``auth`` configures, as ``st.login`` finds them: every sub-table (but
    ``client_kwargs``) is a named provider; ``[auth]`` itself is one when it holds a provider
    setting, or when there is no named one (whose missing settings are then reported)."""
    named = [
        Provider(str(key), f"[auth.{key}]", value)
        for key, value in auth.items()
        if isinstance(value, Mapping) and key != "client_kwargs"
    ]
    if any(key in auth for key in PER_PROVIDER) or not named:
        return [Provider(None, "[auth]", auth), *named]
    return named


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _present(
    table: str, settings: Mapping[str, Any], key: str
) -> tuple[str | None, Problem | None]:
    """The setting's text, or the problem of its being missing, empty or not text."""
    setting = f"{table} {key}"
    if key not in settings:
        return None, Problem(setting, f"is missing. Add it: {_HOLDS[key]}.")
    value = settings[key]
    if _blank(value):
        return None, Problem(setting, f"is empty. Set it to {_HOLDS[key]}.")
    if not isinstance(value, str):
        return None, Problem(setting, f"must be text, in quotes: {_HOLDS[key]}.")
    return value.strip(), None


def shown_url(url: str) -> str:
    """``url`` as a message may show it: literal text, any password in it hidden."""
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[1]
            url = urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    except ValueError:
        pass
    return md(url)


def _absolute_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _redirect_problem(url: str, port: int) -> Problem | None:
    setting = "[auth] redirect_uri"
    url = url.replace("{port}", str(port))  # as Streamlit fills it in
    if not _absolute_http(url):
        return Problem(
            setting,
            f"is {shown_url(url)}, which is not an absolute http(s) URL. Set it to "
            f"{_HOLDS['redirect_uri']}.",
        )
    if not urlsplit(url).path.endswith(CALLBACK):
        return Problem(
            setting,
            f"is {shown_url(url)}, whose path does not end in `{CALLBACK}`, the address "
            "Streamlit receives the identity provider's answer at. Set it to "
            f"{_HOLDS['redirect_uri']}, and register the same URL at the identity provider.",
        )
    return None


def _cookie_secret_problem(secret: str) -> Problem | None:
    if len(secret) >= MIN_COOKIE_SECRET:
        return None
    return Problem(
        "[auth] cookie_secret",
        f"is shorter than {MIN_COOKIE_SECRET} characters. It signs the sign-in cookie, so it "
        "must be long and random (for example the output of `openssl rand -hex 32`), and every "
        "replica must share the same one, or a user signed in through one replica is signed out "
        "by the next.",
    )


def _expose_tokens_problem(value: Any) -> Problem | None:
    listed = [value] if isinstance(value, str) else value
    if isinstance(listed, list) and listed and all(t in TOKENS for t in listed):
        return None
    return Problem(
        "[auth] expose_tokens",
        'may only be "id", "access" or a list of them, such as `["id", "access"]`; remove it '
        "to expose no token.",
    )


def metadata_fault(url: str, fetched: Fetched) -> str | None:
    """What is wrong with the discovery document at ``url``, as fetched; None when it will do."""
    where = shown_url(url)
    fix = "Check the URL, and that this server can reach the identity provider."
    if isinstance(fetched, str):
        return f"could not be fetched from {where} ({fetched}). {fix}"
    if fetched.status != 200:
        return f"answered HTTP {fetched.status} at {where} instead of the discovery document. {fix}"
    try:
        document = json.loads(fetched.body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return (
            f"answered at {where} with something that is not an OpenID discovery document "
            "(a JSON object). Use the provider's discovery URL, which usually ends in "
            "`/.well-known/openid-configuration`."
        )
    lacking = [key for key in DISCOVERY_KEYS if not document.get(key)]
    if lacking:
        return (
            f"answered at {where} with JSON that lacks {', '.join(lacking)}, so it is not an "
            "OpenID discovery document. Use the provider's discovery URL, which usually ends "
            "in `/.well-known/openid-configuration`."
        )
    return None


def problems(
    auth: Mapping[str, Any],
    check_metadata: Callable[[str], str | None],
    port: int = 8501,
) -> list[Problem]:
    """Every problem with ``auth`` (the ``[auth]`` table), in file order: the shared settings,
    then each provider's. ``check_metadata(url)`` says what is wrong with a well-formed
    discovery URL (None when nothing is); ``port`` fills in a ``{port}`` in ``redirect_uri``."""
    found: list[Problem] = []
    redirect, problem = _present("[auth]", auth, "redirect_uri")
    found += [problem] if problem else []
    if redirect is not None and (problem := _redirect_problem(redirect, port)):
        found.append(problem)
    secret, problem = _present("[auth]", auth, "cookie_secret")
    found += [problem] if problem else []
    if secret is not None and (problem := _cookie_secret_problem(secret)):
        found.append(problem)
    if "expose_tokens" in auth and (problem := _expose_tokens_problem(auth["expose_tokens"])):
        found.append(problem)
    for provider in providers(auth):
        found += _provider_problems(provider, check_metadata)
    return found


def _provider_problems(
    provider: Provider, check_metadata: Callable[[str], str | None]
) -> list[Problem]:
    found: list[Problem] = []
    if provider.name is not None and "_" in provider.name:
        found.append(
            Problem(
                provider.table,
                "has an underscore in its name, which Streamlit's sign-in does not allow. "
                "Rename the table without one.",
            )
        )
    values: dict[str, str] = {}
    for key in PER_PROVIDER:
        value, problem = _present(provider.table, provider.settings, key)
        found += [problem] if problem else []
        if value is not None:
            values[key] = value
    kwargs = provider.settings.get("client_kwargs")
    if kwargs is not None and not isinstance(kwargs, Mapping):
        found.append(
            Problem(
                f"{provider.table} client_kwargs",
                "must be a table of OpenID parameters, such as "
                '`client_kwargs = { prompt = "login" }`.',
            )
        )
    url = values.get("server_metadata_url")
    if url is not None:
        setting = f"{provider.table} server_metadata_url"
        if not _absolute_http(url):
            found.append(
                Problem(
                    setting,
                    f"is {shown_url(url)}, which is not an absolute http(s) URL. Set it to "
                    f"{_HOLDS['server_metadata_url']}.",
                )
            )
        elif fault := check_metadata(url):
            found.append(Problem(setting, fault))
    return found


def message(found: list[Problem]) -> str:
    """The error the sign-in page shows for ``found``: every problem, and where to fix it."""
    lines = "\n".join(f"- {problem}" for problem in found)
    return (
        "**Sign-in is configured but cannot work.** Fix these settings in "
        "`.streamlit/secrets.toml` (the same on every replica), then reload this page:\n\n"
        f"{lines}"
    )
