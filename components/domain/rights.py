"""Who may do what: the console's rights, one rule for the screens and the actions alike.

Admins (``[console] admins`` when sign-in is configured, and the local single user without it)
may make every change; everyone else may read and replay a single message. Pure: the sign-in
that finds out who the user is lives in ``components.shell.access``.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCAL = "local"


@dataclass(frozen=True)
class User:
    email: str
    name: str
    is_admin: bool
    signed_in: bool  # False for the local single user (no [auth] configured)


def can(user: User, action: str) -> bool:
    """Every change needs an admin, except replaying one message."""
    return user.is_admin or action in {"read", "replay"}


def denied(action: str) -> str:
    return f"Only admins may {action}. Ask an admin listed in [console] admins."


class NotAllowed(PermissionError):
    """An action refused on the server side, whatever the screen offered."""

    def __init__(self, action: str) -> None:
        super().__init__(denied(action))
