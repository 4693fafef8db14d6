"""What the alert evaluator looks at: every endpoint of an organization with its health, read
afresh (not through the cache: an alert must not wait for a cache entry to expire, and one
look a minute per organization is what the warm board costs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from components.data.cache import Ctx, client
from components.data.webhooks import day_of_attempts
from components.domain import deliveries
from components.domain.rules import REPLAYABLE
from envoy_api import DeliveryAttempt, EnvoyError, WebhookEndpoint

_NEVER = datetime.min.replace(tzinfo=UTC)  # a message with no time sorts first


@dataclass(frozen=True)
class Look:
    """One endpoint as the evaluator sees it now."""

    endpoint: WebhookEndpoint
    health: deliveries.Health | None  # None: its deliveries could not be read
    state: str  # deliveries.endpoint_state
    last_code: int | None  # the newest failed attempt's response code
    last_error: str | None  # or the sender's error when there was no answer
    loads: tuple[str, ...]  # the affected loads' numbers (or ids), oldest unheard first


def look(ctx: Ctx, now: datetime | None = None) -> list[Look]:
    """Every endpoint of ``ctx``'s organization, judged now. Raises ``EnvoyError`` when the
    endpoints cannot be listed; an endpoint whose attempts cannot be read is Unknown."""
    now = now or datetime.now(UTC)
    return [_look(ctx, ep, now) for ep in client(ctx).webhooks.list_endpoints()]


def _look(ctx: Ctx, endpoint: WebhookEndpoint, now: datetime) -> Look:
    try:
        rows, total = day_of_attempts(ctx, endpoint.id, now - timedelta(hours=24))
    except EnvoyError:
        return Look(
            endpoint, None, deliveries.endpoint_state(endpoint.status, None), None, None, ()
        )
    health = deliveries.health(rows, total, now)
    failed = next((a for a in rows if a.status in REPLAYABLE), None)
    return Look(
        endpoint,
        health,
        deliveries.endpoint_state(endpoint.status, health),
        failed.response_status_code if failed else None,
        failed.error_message if failed else None,
        _loads(rows),
    )


def _loads(rows: list[DeliveryAttempt]) -> tuple[str, ...]:
    """The loads of undelivered messages, the one waiting longest first."""
    stuck = [s for s in deliveries.message_states(rows) if s.needs_recovery and s.load_id]
    stuck.sort(key=lambda s: s.created_at or _NEVER)
    seen: dict[str, str] = {}
    for s in stuck:
        seen.setdefault(s.load_id or "", s.load_number or s.load_id or "")
    return tuple(seen.values())
