"""Parsing what agents type into forms, with messages that say what to fix.

A form is checked whole: every problem is reported at once, keyed by the field it belongs to, so
the page can show each message next to its field instead of one error at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from envoy_api.ids import (
    MAX_HEADERS,
    check_event_types,
    check_headers,
    check_url,
    header_problem,
)

T = TypeVar("T")

# The endpoint form's fields, in the form's order, with the words a summary names them by.
ENDPOINT_FIELDS = {
    "url": "the URL",
    "event_types": "the event types",
    "description": "the description",
    "headers": "the custom headers",
}

Problems = dict[str, list[str]]  # field → what to fix in it, in the form's order


class FormProblems(ValueError):
    """Every problem a form has, by field; its message lists them all."""

    def __init__(self, problems: Problems) -> None:
        self.problems: Problems = {f: list(m) for f, m in problems.items() if m}
        super().__init__(" ".join(m for found in self.problems.values() for m in found))


def header_problems(text: str) -> tuple[dict[str, str], list[str]]:
    """'Name: value' per line → the headers and every bad line's problem (none: all good)."""
    headers: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            problems.append(f"Header line {number} must look like 'Name: value'.")
            continue
        problem = header_problem(name, value)
        if problem:
            problems.append(f"Header line {number}: {problem}")
            continue
        headers[name] = value
    if len(headers) > MAX_HEADERS:
        problems.append(f"At most {MAX_HEADERS} custom headers.")
    return headers, problems


def parse_headers(text: str) -> dict[str, str]:
    """'Name: value' per line → dict; raises FormProblems naming every bad line."""
    headers, problems = header_problems(text)
    if problems:
        raise FormProblems({"headers": problems})
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
    """Validated fields for create/update; raises FormProblems with every problem, by field
    (``ENDPOINT_FIELDS``). A header still showing the mask keeps its value from ``kept`` (the
    endpoint as it is)."""
    problems: Problems = {}

    def check(field: str, rule: Callable[[], T]) -> T | None:
        try:
            return rule()
        except ValueError as exc:
            problems.setdefault(field, []).append(str(exc))
            return None

    checked_url = check("url", lambda: check_url(url))
    checked_types = check("event_types", lambda: check_event_types(event_types))
    # The mask is not a valid value itself: parse with a stand-in, then put the kept value back.
    parsed, header_trouble = header_problems(headers.replace(MASK, "x"))
    masked = {line.partition(":")[0].strip() for line in headers.splitlines() if MASK in line}
    for name in sorted(masked):
        if kept is None or name not in kept:
            header_trouble.append(f"Header '{name}' is masked but has no value to keep: type one.")
        elif name in parsed:
            parsed[name] = kept[name]
    if header_trouble:
        problems["headers"] = header_trouble
    if problems:
        raise FormProblems({f: problems[f] for f in ENDPOINT_FIELDS if f in problems})
    return {
        "url": checked_url,
        "event_types": checked_types,
        "description": description.strip() or None,
        "headers": parsed or None,
    }


def to_fix(problems: Problems, fields: dict[str, str] = ENDPOINT_FIELDS) -> str:
    """The line above a form with problems: '2 things to fix: the URL and the event types.'"""
    count = sum(len(found) for found in problems.values())
    named = [fields[f] for f in fields if problems.get(f)]
    head = f"{count} thing{'' if count == 1 else 's'} to fix"
    if not named:
        return f"{head}."
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return f"{head}: {listed}."
