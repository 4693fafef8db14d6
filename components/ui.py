"""Small render helpers every page uses the same way."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st


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
