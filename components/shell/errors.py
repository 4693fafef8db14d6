"""API errors as one short message that names the cause and the next step."""

from __future__ import annotations

import streamlit as st

from components.data.connection import ConfigurationError
from components.domain.markup import md
from envoy_api import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)


def describe(error: BaseException, what: str = "this data") -> str:
    """The message an agent sees for ``error`` while loading ``what``."""
    # The server's words are data: escaped before they reach Markdown.
    message = md(getattr(error, "message", "") or "")
    param = md(getattr(error, "param", "") or "")
    if isinstance(error, ConfigurationError):
        return md(error)
    if isinstance(error, AuthenticationError):
        return (
            "The API key was rejected (401). Check ENVOY_API_KEY (or ENVOY_BEARER_TOKEN) in the "
            "environment or in .streamlit/secrets.toml, then reload."
        )
    if isinstance(error, PermissionDeniedError):
        return (
            f"This credential may not read {what} (403: {message}). Check "
            "ENVOY_ORGANIZATION_ID, or pick another organization in the sidebar."
        )
    if isinstance(error, NotFoundError):
        return (
            f"Not found (404): {message} It may have been deleted, or belong to "
            "another organization."
        )
    if isinstance(error, RateLimitError):
        wait = f" in {error.retry_after:.0f} s" if error.retry_after else " in a moment"
        return f"Envoy is rate limiting this console (429). Try again{wait}."
    if isinstance(error, BadRequestError | UnprocessableEntityError):
        where = f" ({param})" if param else ""
        return f"Envoy refused the request{where}: {message}"
    if isinstance(error, APIStatusError):
        return (
            f"Envoy failed while loading {what} ({error.status_code}: {message}). "
            "Try again with Refresh data; if it keeps failing, check Envoy's status."
        )
    if isinstance(error, APITimeoutError):
        return f"Envoy did not answer in time while loading {what}. Try Refresh data."
    if isinstance(error, APIConnectionError):
        return (
            f"Could not reach the Envoy API ({message}). Check ENVOY_BASE_URL and the "
            "network, then reload."
        )
    if isinstance(error, APIResponseValidationError):
        return (
            f"Envoy sent {what} in a shape this console cannot read: {message} Try Refresh "
            "data; if it keeps happening, the API has changed: tell the console's maintainers."
        )
    if isinstance(error, ValueError):  # ours, but it quotes what the agent typed
        return md(error)
    return f"Something went wrong while loading {what}: {type(error).__name__}."


def show(error: BaseException, what: str = "this data") -> None:
    """Render one error message (never a traceback)."""
    st.error(describe(error, what), icon=":material/error:")
