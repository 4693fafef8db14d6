"""Parsing what agents type into forms, with messages that say what to fix."""

from __future__ import annotations

import re

from envoy_api.ids import check_event_types, check_url

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
RESERVED = {
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "content-length",
    "host",
}


def parse_headers(text: str) -> dict[str, str]:
    """'Name: value' per line → dict; raises ValueError naming the bad line."""
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise ValueError(f"Header line {number} must look like 'Name: value'.")
        if not _HEADER_NAME.match(name):
            raise ValueError(f"Header line {number}: '{name}' is not a valid header name.")
        if name.lower() in RESERVED:
            raise ValueError(
                f"Header line {number}: '{name}' is set by Envoy and cannot be overridden."
            )
        headers[name] = value
    return headers


def format_headers(headers: dict[str, str] | None) -> str:
    return "\n".join(f"{k}: {v}" for k, v in (headers or {}).items())


def endpoint_fields(
    url: str, event_types: list[str], description: str, headers: str
) -> dict[str, object]:
    """Validated fields for create/update; raises ValueError with the first problem."""
    return {
        "url": check_url(url),
        "event_types": check_event_types(event_types),
        "description": description.strip() or None,
        "headers": parse_headers(headers) or None,
    }
