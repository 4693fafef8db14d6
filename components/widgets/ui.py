"""Small render helpers every page uses the same way."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components.domain import rights


def csv_download(
    frame: pd.DataFrame | bytes | Callable[[], pd.DataFrame], label: str, file_name: str, key: str
) -> None:
    """The one CSV download control: the rows the table shows (or prepared CSV bytes). Given a
    function, the rows are made only when the agent clicks (for tables too long to show whole)."""
    body: bytes | Callable[[], bytes]
    if isinstance(frame, bytes):
        body = frame
    elif isinstance(frame, pd.DataFrame):
        body = frame.to_csv(index=False).encode()
    else:
        make = frame
        body = lambda: make().to_csv(index=False).encode()  # noqa: E731
    st.download_button(
        label, body, file_name=file_name, mime="text/csv", key=key, icon=":material/download:"
    )


# The code block's copy button shows only on hover; for a secret shown once it must be in sight.
_COPY_VISIBLE = (
    "<style>[data-testid=stCode] button{opacity:1 !important;visibility:visible}</style>"
)


def copyable(text: str) -> None:
    """``text`` in a code block whose copy button is always visible."""
    st.html(_COPY_VISIBLE)
    st.code(text, language=None, wrap_lines=True)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 message``, ``2 messages``: a count that agrees with its noun."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def figures(*items: tuple[str, object, str | None]) -> None:
    """A row of metrics (label, value, help) that wraps onto another line on a narrow screen
    instead of cutting a figure short: each metric is as wide as its own text."""
    with st.container(horizontal=True, gap="medium"):
        for label, value, help_ in items:
            st.metric(label, value, help=help_, width="content")  # type: ignore[arg-type]


def admins_only(allowed: bool, what: str, *, lead: str = "") -> bool:
    """Whether to draw the admin controls that follow. Anyone else sees none of them (the
    actions refuse them on the server side too), only one line in their place saying who may
    (``what``: "register endpoints"), after ``lead`` when given."""
    if not allowed:
        said = " ".join(part for part in (lead, rights.denied(what)) if part)
        st.caption(f":material/lock: {said}")
    return allowed
