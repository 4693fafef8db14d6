"""The cached read layer over ``envoy_api``, and every write to Envoy: the one place that knows
cache lifetimes, freshness and invalidation (``cache``).

Pages and widgets call the names below as ``data.<name>``; each lives in the module of its
resource: ``loads``, ``webhooks``, ``board`` (the attention board), ``sandbox`` (what only the
sandbox offers, through ``extras``, the console's own HTTP client of its routes); ``connection``
turns settings into a client, and starts the embedded sandbox when nothing is configured.

May import ``domain``, ``settings`` and ``envoy_api``.
"""

from __future__ import annotations

from components.data.board import (
    BOARD_LOADS,
    Board,
    Impact,
    board,
    board_ready,
    forget_boards,
    impact,
)
from components.data.cache import (
    FETCHED,
    TTL,
    Ctx,
    Fetched,
    Outcome,
    PageResult,
    ahead,
    client,
    forget_warm,
    register,
)
from components.data.loads import (
    LARGE_EXPORT,
    LoadAttempts,
    LoadDetail,
    LoadsView,
    detail_warm,
    forget_load_attempts,
    iter_all_loads,
    load_detail,
    loads_page,
    loads_view,
)
from components.data.sandbox import demo_secret, last_demo_delivery, send_test_event
from components.data.webhooks import (
    HEALTH_PAGES,
    MESSAGE_PAGES,
    STORY_PAGES,
    AttemptFilter,
    Messages,
    attempt_sample,
    attempts_page,
    create_endpoint,
    delete_endpoint,
    endpoint_health,
    endpoints,
    event_types,
    message_attempts,
    messages,
    replay,
    rotate_secret,
    update_endpoint,
    walk_attempts,
)

__all__ = [
    "BOARD_LOADS",
    "FETCHED",
    "HEALTH_PAGES",
    "LARGE_EXPORT",
    "MESSAGE_PAGES",
    "STORY_PAGES",
    "TTL",
    "AttemptFilter",
    "Board",
    "Ctx",
    "Fetched",
    "Impact",
    "LoadAttempts",
    "LoadDetail",
    "LoadsView",
    "Messages",
    "Outcome",
    "PageResult",
    "ahead",
    "attempt_sample",
    "attempts_page",
    "board",
    "board_ready",
    "clear_caches",
    "client",
    "create_endpoint",
    "delete_endpoint",
    "demo_secret",
    "detail_warm",
    "endpoint_health",
    "endpoints",
    "event_types",
    "forget_load_attempts",
    "impact",
    "iter_all_loads",
    "last_demo_delivery",
    "load_detail",
    "loads_page",
    "loads_view",
    "message_attempts",
    "messages",
    "register",
    "replay",
    "rotate_secret",
    "send_test_event",
    "update_endpoint",
    "walk_attempts",
]


def clear_caches() -> None:
    """Forget every cached read and every view made of them (tests, the benchmark); the
    connections (and the embedded sandbox) stay."""
    import streamlit as st

    from components.data import loads, webhooks

    st.cache_data.clear()
    for resource in (webhooks._messages, webhooks._load_attempts, loads._story, loads._loads_view):
        resource.clear()
    forget_boards()
    forget_warm()
