"""One table of ``.streamlit/secrets.toml``, read the same way everywhere."""

from __future__ import annotations

import os
from functools import cache
from typing import Any


@cache
def _secrets_paths(cwd: str) -> tuple[str, ...]:
    """Where Streamlit looks for secrets (the project's file is relative to ``cwd``)."""
    import streamlit as st

    return tuple(st.get_option("secrets.files"))


def secrets_table(name: str) -> dict[str, Any]:
    """``[name]`` from the secrets file; empty when there is no file, no such table, or a file
    that does not parse (the console then says what to configure instead of failing).

    With no file, Streamlit looks for one again on every read, under a lock all sessions share
    (and raises): a team configured by its environment read it twice a run, 7 % of the script
    runs' thread time at 50 agents (py-spy). A look at the paths first costs two ``stat`` calls."""
    try:
        import streamlit as st  # here, not at the top: the store is used outside the app too

        parsed = getattr(st.secrets, "_secrets", None)  # Streamlit 1.67: the tables once read
        if parsed is None and not any(os.path.exists(path) for path in _secrets_paths(os.getcwd())):
            return {}
        table = st.secrets.get(name, {})
    except Exception:
        return {}
    return dict(table) if table else {}


def setting(table: str, key: str, env: str, default: str = "") -> str:
    """One setting: the environment variable ``env`` first, then ``[table] key`` in secrets."""
    value = os.environ.get(env) or secrets_table(table).get(key) or default
    return str(value).strip()
