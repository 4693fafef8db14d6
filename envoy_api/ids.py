"""Checks made before a request is sent: ids of the right kind, endpoint URLs, event types."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_BARE = re.compile(rf"^{_UUID}$")
_PREFIXED = re.compile(rf"^([a-z]+)_({_UUID})$")

KINDS = {
    "load": "a load id",
    "ep": "a webhook endpoint id",
    "msg": "a message id",
    "call": "a call id",
    "car": "a carrier id",
    "org": "an organization id",
}

MAX_URL_LENGTH = 2083


def check_id(value: str, prefix: str) -> str:
    """Return ``value`` as ``{prefix}_{uuid}`` (lower-case); raise ``ValueError`` otherwise.

    Bare uuids are accepted and given the prefix; an id of another kind is refused.
    """
    what = KINDS.get(prefix, f"a {prefix}_ id")
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"Expected {what} like '{prefix}_<uuid>', got an empty value.")
    text = value.strip()
    if _BARE.match(text):
        return f"{prefix}_{text.lower()}"
    match = _PREFIXED.match(text)
    if match is None:
        raise ValueError(f"Expected {what} like '{prefix}_<uuid>', got {text[:60]!r}.")
    if match.group(1) != prefix:
        raise ValueError(
            f"Expected {what} ('{prefix}_…'), got a '{match.group(1)}_…' id: {text[:60]!r}."
        )
    return f"{prefix}_{match.group(2).lower()}"


def check_url(url: str) -> str:
    """An endpoint URL must be absolute http(s) with a host and at most 2083 characters."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("The endpoint URL is empty.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"The endpoint URL is longer than {MAX_URL_LENGTH} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("The endpoint URL must start with http:// or https://.")
    if not parts.hostname:
        raise ValueError("The endpoint URL has no host.")
    if any(ch.isspace() for ch in url):
        raise ValueError("The endpoint URL must not contain spaces.")
    return url


def check_event_types(event_types: list[str]) -> list[str]:
    """At least one event type, each a non-empty string."""
    if isinstance(event_types, str):
        raise ValueError("event_types must be a list of event type names, not one string.")
    cleaned = [str(t).strip() for t in event_types or [] if str(t).strip()]
    if not cleaned:
        raise ValueError("Choose at least one event type.")
    return cleaned


# ---- custom endpoint headers: the one rule the client, the sandbox and the console share ----

MAX_HEADERS = 20
MAX_HEADER_VALUE = 1024
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # RFC 9110 token
_VALUE = re.compile(r"^[\x20-\x7e\t]*$")  # visible ASCII, space and tab
# Set by the sender or by HTTP itself: a receiver must be able to trust them.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
    }
)


def is_reserved_header(name: str) -> bool:
    """Whether the name is the sender's or HTTP's own (compared case-insensitively)."""
    low = name.lower()
    return low in RESERVED_HEADERS or low.startswith(("proxy-", "webhook-"))


def header_problem(name: str, value: str) -> str | None:
    """Why a custom header cannot be sent (None when it can)."""
    shown = name[:60].encode("unicode_escape").decode()
    if not isinstance(name, str) or not _TOKEN.match(name):
        return f"'{shown}' is not a valid header name (letters, digits and !#$%&'*+.^_`|~- only)."
    if is_reserved_header(name):
        return f"'{shown}' is set by Envoy or by HTTP itself and cannot be overridden."
    if not isinstance(value, str) or not _VALUE.match(value):
        return f"The value of '{shown}' must be visible ASCII characters, spaces or tabs."
    if len(value) > MAX_HEADER_VALUE:
        return f"The value of '{shown}' is longer than {MAX_HEADER_VALUE} characters."
    return None


def check_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    """Custom headers Envoy will accept; raise ``ValueError`` naming the first problem."""
    if not headers:
        return headers
    if len(headers) > MAX_HEADERS:
        raise ValueError(f"At most {MAX_HEADERS} custom headers.")
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem:
            raise ValueError(problem)
    return headers
