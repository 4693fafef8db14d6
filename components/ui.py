"""Small render helpers every page uses the same way."""

from __future__ import annotations

import pandas as pd
import streamlit as st


def csv_download(frame: pd.DataFrame | bytes, label: str, file_name: str, key: str) -> None:
    """The one CSV download control: the rows the table shows (or prepared CSV bytes)."""
    body = frame if isinstance(frame, bytes) else frame.to_csv(index=False).encode()
    st.download_button(
        label, body, file_name=file_name, mime="text/csv", key=key, icon=":material/download:"
    )
