"""Changes that must always be audited, written once: a replay is recorded with the send, so
every replay that went out has its row, whatever happens to the page afterwards."""

from __future__ import annotations

from envoy_api import MessageSummary

from . import audit, data
from .access import User


def replay(
    ctx: data.Ctx,
    user: User,
    message_id: str,
    endpoint_id: str,
    *,
    reason: str | None = None,
    load_id: str | None = None,
) -> MessageSummary:
    """Replay one message and record it (with the load it is about, when the caller knows)."""
    target = {"message_id": message_id, "endpoint_id": endpoint_id}
    if load_id:
        target["load_id"] = load_id
    with audit.action(
        user.email, "replay", target, reason=reason, organization_id=ctx.organization_id
    ):
        return data.replay(ctx, message_id, endpoint_id)
