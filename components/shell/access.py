"""Who is using the console: sign-in, and the user the rights in ``domain.rights`` apply to.

With an ``[auth]`` table in ``.streamlit/secrets.toml`` the console requires ``st.login`` (OIDC)
before anything renders, and the emails in ``[console] admins`` may delete, rotate, register,
edit, pause and bulk-replay; everyone else may read and replay a single message. Without
``[auth]`` the console runs as one local user with every right, and says so. Tests patch
``current_user``.
"""

from __future__ import annotations

import streamlit as st

from components.domain.rights import LOCAL, User
from components.settings import secrets_table


def auth_configured() -> bool:
    return bool(secrets_table("auth"))


def admins() -> set[str]:
    return {str(e).strip().lower() for e in secrets_table("console").get("admins", []) if str(e)}


def current_user() -> User:
    """The signed-in user (asking them to sign in first), or the local single user."""
    if not auth_configured():
        return User(email=LOCAL, name="Local single user", is_admin=True, signed_in=False)
    if not st.user.get("is_logged_in", False):
        st.title("Envoy Support Console")
        st.info("Sign in with your company account to use the console.", icon=":material/lock:")
        st.button("Sign in", on_click=st.login, type="primary", key="sign_in")
        st.stop()
    email = str(st.user.get("email") or "").lower()
    name = str(st.user.get("name") or email)
    return User(email=email, name=name, is_admin=email in admins(), signed_in=True)
