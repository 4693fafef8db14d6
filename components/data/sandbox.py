"""What the console offers only when connected to a sandbox: the newest signed demo delivery and
its endpoint's secret (for the signature doctor's example) and emitting a test event. Each first
checks that the connection is to a sandbox."""

from __future__ import annotations

from typing import Any

from components.data.cache import Ctx, _changed, client, connection_of
from components.data.extras import Extras
from envoy_api import EnvoyError


def _extras(ctx: Ctx) -> Extras:
    """The sandbox's extras for this agent (only when connected to the sandbox)."""
    conn = connection_of(ctx)
    if conn.sandbox_root is None:
        raise ValueError("Test events need the sandbox; this console is connected to Envoy.")
    return Extras(conn.sandbox_root, api_key=conn.api_key, bearer_token=conn.bearer_token,
                  organization_id=ctx.organization_id)  # fmt: skip


def last_demo_delivery(ctx: Ctx) -> dict[str, Any] | None:
    """The newest signed delivery a demo receiver accepted, with its headers (sandbox only)."""
    api = client(ctx).webhooks
    with _extras(ctx) as extras:
        for name in ("ok", "flaky"):
            for receipt in extras.received(name, limit=10):
                if not (receipt["verified"] and receipt["webhook_id"]):
                    continue
                try:  # the receivers are shared: the delivery must be this organization's
                    api.list_message_attempts(receipt["webhook_id"])
                except EnvoyError:
                    continue
                return dict(receipt)
    return None


def demo_secret(ctx: Ctx, message_id: str) -> str:
    """The current secret of the endpoint ``message_id`` went to (sandbox only; never cached)."""
    attempts = client(ctx).webhooks.list_message_attempts(message_id)
    endpoint_id = attempts[0].endpoint_id if attempts else None
    if not endpoint_id:
        raise ValueError(f"No attempt of {message_id} names its endpoint.")
    with _extras(ctx) as extras:
        secrets: list[str] = extras.endpoint_secrets(endpoint_id)
    return secrets[0]


def send_test_event(ctx: Ctx, event_type: str, payload: dict[str, Any]) -> int:
    """Emit an event through the sandbox (offered only when connected to one); returns how many
    messages it queued."""
    with _extras(ctx) as extras:
        try:
            return len(extras.emit(event_type, payload)["messages"])
        finally:
            _changed(ctx)
