"""Argument sentinels shared by the client and its resources: ``NotGiven`` and ``NOT_GIVEN``."""

from __future__ import annotations

from typing import Final

__all__ = ["NOT_GIVEN", "NotGiven"]


class NotGiven:
    """Sentinel for "argument not passed", distinct from ``None`` (which clears a field)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Final = NotGiven()
