"""Parsing what agents type into forms, with messages that say what to fix."""

from __future__ import annotations

from envoy_api.ids import check_event_types, check_headers, check_url, header_problem


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
        problem = header_problem(name, value)
        if problem:
            raise ValueError(f"Header line {number}: {problem}")
        headers[name] = value
    return check_headers(headers) or {}


MASK = "••••••"


def format_headers(headers: dict[str, str] | None, *, masked: bool = False) -> str:
    return "\n".join(f"{k}: {MASK if masked else v}" for k, v in (headers or {}).items())


def endpoint_fields(
    url: str,
    event_types: list[str],
    description: str,
    headers: str,
    kept: dict[str, str] | None = None,
) -> dict[str, object]:
    """Validated fields for create/update; raises ValueError with the first problem. A header
    still showing the mask keeps its value from ``kept`` (the endpoint as it is)."""
    parsed = parse_headers(headers.replace(MASK, "x"))  # the mask is not a valid value itself
    masked = {line.partition(":")[0].strip() for line in headers.splitlines() if MASK in line}
    for name in masked:
        if kept is None or name not in kept:
            raise ValueError(f"Header '{name}' is masked but has no value to keep: type one.")
        parsed[name] = kept[name]
    return {
        "url": check_url(url),
        "event_types": check_event_types(event_types),
        "description": description.strip() or None,
        "headers": parsed or None,
    }
