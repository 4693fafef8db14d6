"""One table of ``.streamlit/secrets.toml``, read the same way everywhere."""

from __future__ import annotations

import os
from typing import Any


def secrets_table(name: str) -> dict[str, Any]:
    """``[name]`` from the secrets file; empty when there is no file, no such table, or a file
    that does not parse (the console then says what to configure instead of failing)."""
    try:
        import streamlit as st  # here, not at the top: the store is used outside the app too

        table = st.secrets.get(name, {})
    except Exception:
        return {}
    return dict(table) if table else {}


def setting(table: str, key: str, env: str, default: str = "") -> str:
    """One setting: the environment variable ``env`` first, then ``[table] key`` in secrets."""
    value = os.environ.get(env) or secrets_table(table).get(key) or default
    return str(value).strip()
