"""``WebhooksResource`` (``client.webhooks``): endpoints, signing secrets, delivery attempts,
replay and the event-type catalogue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .. import ids
from .._resource import APIResource
from .._types import NOT_GIVEN, NotGiven
from ..models import (
    DeliveryAttempt,
    EventType,
    MessageSummary,
    Page,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)

__all__ = ["WebhooksResource"]


def _iso(value: datetime | str | None) -> str | None:
    """ISO 8601 with a zone, as Envoy wants it: a naive datetime is taken to be UTC."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class WebhooksResource(APIResource):
    """``client.webhooks``: endpoints, secrets, delivery attempts, replay and event types."""

    def list_endpoints(self) -> list[WebhookEndpoint]:
        """Every endpoint of the organization: walks the pages of the envelope (one request when
        they fit in one page, or when the API answers with a bare array)."""
        first = self._page(WebhookEndpoint, "webhooks/endpoints", {}, 1, 100)
        return list(first.iter_all())

    def create_endpoint(
        self,
        *,
        url: str,
        event_types: list[str],
        description: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> WebhookEndpointWithSecret:
        """Register an endpoint; the response carries the signing secret, this once only."""
        payload: dict[str, Any] = {
            "url": ids.check_url(url),
            "event_types": ids.check_event_types(event_types),
        }
        if description is not None:
            payload["description"] = description
        if headers is not None:
            payload["headers"] = ids.check_headers(dict(headers))
        body = self._request("POST", "webhooks/endpoints", json_body=payload)
        return self._parse(WebhookEndpointWithSecret, body)

    def retrieve_endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        """One endpoint (never with its secret)."""
        endpoint_id = ids.check_id(endpoint_id, "ep")
        body = self._request("GET", f"webhooks/endpoints/{endpoint_id}")
        return self._parse(WebhookEndpoint, body)

    def update_endpoint(
        self,
        endpoint_id: str,
        *,
        url: str | NotGiven = NOT_GIVEN,
        event_types: list[str] | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        headers: dict[str, str] | NotGiven | None = NOT_GIVEN,
        status: str | NotGiven = NOT_GIVEN,
    ) -> WebhookEndpoint:
        """Change only the fields passed: ``description=None`` clears it, omitting it leaves it."""
        endpoint_id = ids.check_id(endpoint_id, "ep")
        payload: dict[str, Any] = {}
        if not isinstance(url, NotGiven):
            payload["url"] = ids.check_url(url)
        if not isinstance(event_types, NotGiven):
            payload["event_types"] = ids.check_event_types(event_types)
        if not isinstance(description, NotGiven):
            payload["description"] = description
        if not isinstance(headers, NotGiven):
            payload["headers"] = ids.check_headers(dict(headers)) if headers is not None else None
        if not isinstance(status, NotGiven):
            if status not in ("ACTIVE", "PAUSED"):
                raise ValueError("status can be set to ACTIVE or PAUSED only")
            payload["status"] = status
        body = self._request("PATCH", f"webhooks/endpoints/{endpoint_id}", json_body=payload)
        return self._parse(WebhookEndpoint, body)

    def delete_endpoint(self, endpoint_id: str) -> None:
        """Delete an endpoint; its pending retries are cancelled."""
        endpoint_id = ids.check_id(endpoint_id, "ep")
        self._request("DELETE", f"webhooks/endpoints/{endpoint_id}")

    def rotate_secret(self, endpoint_id: str) -> WebhookEndpointWithSecret:
        """A new signing secret; the old one keeps signing for 24 hours."""
        endpoint_id = ids.check_id(endpoint_id, "ep")
        body = self._request(
            "POST", f"webhooks/endpoints/{endpoint_id}/rotate-secret", json_body={}
        )
        return self._parse(WebhookEndpointWithSecret, body)

    def list_endpoint_attempts(
        self,
        endpoint_id: str,
        *,
        status: str | list[str] | None = None,
        event_type: str | None = None,
        load_id: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[DeliveryAttempt]:
        """Delivery attempts for one endpoint, newest first, with the contract's filters."""
        endpoint_id = ids.check_id(endpoint_id, "ep")
        statuses = [status] if isinstance(status, str) else list(status or [])
        params: dict[str, Any] = {
            "status": statuses or None,
            "event_type": event_type or None,
            "load_id": ids.check_id(load_id, "load") if load_id else None,
            "since": _iso(since),
            "until": _iso(until),
        }
        path = f"webhooks/endpoints/{endpoint_id}/messages"
        return self._page(DeliveryAttempt, path, params, page, page_size)

    def list_message_attempts(self, message_id: str) -> list[DeliveryAttempt]:
        """Every attempt of one message, oldest first."""
        message_id = ids.check_id(message_id, "msg")
        body = self._request("GET", f"webhooks/messages/{message_id}/attempts")
        return self._parse_list(DeliveryAttempt, body)

    def replay(self, message_id: str, *, endpoint_id: str) -> MessageSummary:
        """Queue the message again (same ``webhook-id``); a replay already pending queues none."""
        message_id = ids.check_id(message_id, "msg")
        endpoint_id = ids.check_id(endpoint_id, "ep")
        body = self._request(
            "POST",
            f"webhooks/messages/{message_id}/replay",
            json_body={"endpoint_id": endpoint_id},
        )
        return self._parse(MessageSummary, body)

    def list_event_types(self) -> list[EventType]:
        """The catalogue of subscribable event types."""
        body = self._request("GET", "webhooks/event-types")
        return self._parse_list(EventType, body)
