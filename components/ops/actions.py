"""Every change the console makes, one function each: the right is checked here (whatever the
screen offered, so a reader refused on screen is refused here too), the call is made, and the
audit row is written with its outcome. Pages, the load's story and recovery jobs all come
through here; nothing else calls ``data``'s writes or creates a job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from components import data, store
from components.domain.rights import NotAllowed, User, can
from components.ops import audit
from envoy_api import MessageSummary, WebhookEndpoint, WebhookEndpointWithSecret

AuditRow = dict[str, Any]


def require(user: User, action: str, what: str | None = None) -> None:
    """Refuse ``action`` (said as ``what``) unless ``user`` has the right."""
    if not can(user, action):
        raise NotAllowed(what or action)


def replay(
    ctx: data.Ctx,
    user: User,
    message_id: str,
    endpoint_id: str,
    *,
    reason: str | None = None,
    load_id: str | None = None,
    job_id: str | None = None,
    keep: Callable[[AuditRow], None] | None = None,
) -> MessageSummary:
    """The one replay of one message, recorded with the load and job it belongs to. ``keep``
    takes the audit row instead of it being written now: a recovery job writes it together
    with the message's outcome, in one transaction."""
    require(user, "replay")

    def record(outcome: str) -> None:
        row = replay_row(ctx, user, message_id, endpoint_id, outcome, reason=reason,
                         load_id=load_id, job_id=job_id)  # fmt: skip
        (keep or audit.write_or_say)(row)

    try:
        summary = data.replay(ctx, message_id, endpoint_id)
    except Exception as exc:
        record(audit.failure(exc))
        raise
    record("ok")
    return summary


def replay_row(
    ctx: data.Ctx,
    user: User,
    message_id: str,
    endpoint_id: str,
    outcome: str,
    *,
    action: str = "replay",
    reason: str | None = None,
    load_id: str | None = None,
    job_id: str | None = None,
) -> AuditRow:
    """The audit row of one replay (also a resumed job's, for a replay sent before a crash), or
    with ``action="replay result"`` of how a job's replay ended ("delivered (200)", …)."""
    target = {"message_id": message_id, "endpoint_id": endpoint_id}
    if load_id:
        target["load_id"] = load_id
    if job_id:
        target["job_id"] = job_id
    return audit.row(user.email, action, target, outcome, reason, ctx.organization_id)


def start_recovery(
    ctx: data.Ctx,
    user: User,
    *,
    endpoint_id: str,
    messages: list[tuple[str, str, int]],
    reason: str,
    job_filter: dict[str, Any],
    load_id: str | None = None,
) -> str:
    """Start a recovery job over ``messages`` (message id, endpoint id, attempts so far); it
    replays each through ``replay`` on a worker. Returns the job's id."""
    require(user, "bulk replay", "bulk-replay")
    if not reason.strip():
        raise ValueError("Say why you replay these: the reason goes into the audit trail.")
    if not messages:
        raise ValueError("There is nothing to replay.")
    target: dict[str, Any] = {"endpoint_id": endpoint_id, "messages": len(messages)}
    if load_id:
        target["load_id"] = load_id
    with audit.action(user.email, "bulk replay", target, reason=reason.strip(),
                      organization_id=ctx.organization_id) as recorded:  # fmt: skip
        recorded["job_id"] = store.create_job(
            organization_id=ctx.organization_id,
            endpoint_id=endpoint_id,
            filter=job_filter,
            reason=reason.strip(),
            created_by=user.email,
            messages=messages,
        )
    job_id: str = recorded["job_id"]
    return job_id


def cancel_job(user: User, job: dict[str, Any]) -> None:
    require(user, "bulk replay", "cancel recovery jobs")
    with audit.action(user.email, "cancel job", {"job_id": job["id"]},
                      organization_id=job["organization_id"]):  # fmt: skip
        store.request_cancel(job["id"])


def register_endpoint(ctx: data.Ctx, user: User, **fields: Any) -> WebhookEndpointWithSecret:
    require(user, "register", "register endpoints")
    with _audited(ctx, user, "register", {"url": fields.get("url")}) as recorded:
        created = data.create_endpoint(ctx, **fields)
        recorded["endpoint_id"] = created.id
    return created


def update_endpoint(ctx: data.Ctx, user: User, endpoint_id: str, **fields: Any) -> WebhookEndpoint:
    """An edit, or a pause or resume when only the status changes."""
    status = fields.get("status") if set(fields) == {"status"} else None
    name = {"PAUSED": "pause", "ACTIVE": "resume"}.get(str(status), "update")
    require(user, name, "edit, pause or resume endpoints")
    target: dict[str, Any] = {"endpoint_id": endpoint_id}
    if name == "update":
        target["fields"] = sorted(fields)
    with _audited(ctx, user, name, target):
        return data.update_endpoint(ctx, endpoint_id, **fields)


def rotate_secret(ctx: data.Ctx, user: User, endpoint_id: str) -> WebhookEndpointWithSecret:
    require(user, "rotate", "rotate signing secrets")
    with _audited(ctx, user, "rotate", {"endpoint_id": endpoint_id}):
        return data.rotate_secret(ctx, endpoint_id)


def delete_endpoint(ctx: data.Ctx, user: User, endpoint: WebhookEndpoint) -> None:
    require(user, "delete", "delete endpoints")
    with _audited(ctx, user, "delete", {"endpoint_id": endpoint.id, "url": endpoint.url}):
        data.delete_endpoint(ctx, endpoint.id)


def send_test_event(ctx: data.Ctx, user: User, event_type: str, payload: dict[str, Any]) -> int:
    """Emit a test event through the sandbox; returns how many messages it queued."""
    require(user, "test event", "send test events")
    target = {"type": event_type, "load_id": payload.get("load_id")}
    with _audited(ctx, user, "test event", target):
        return data.send_test_event(ctx, event_type, payload)


def _audited(ctx: data.Ctx, user: User, name: str, target: dict[str, Any]) -> Any:
    return audit.action(user.email, name, target, organization_id=ctx.organization_id)


def acknowledge_alert(user: User, alert: dict[str, Any]) -> bool:
    """Acknowledge an alert (who and when, and its audit row in the same transaction); False
    when someone acknowledged it first."""
    require(user, "acknowledge alert", "acknowledge alerts")
    org = alert["organization"] or None
    target = {"alert_id": alert["id"], "endpoint_id": alert["endpoint_id"]}
    row = audit.row(user.email, "acknowledge alert", target, "ok", None, org)
    return store.acknowledge(alert["id"], user.email, row)


def mute_alerts(
    ctx: data.Ctx, user: User, endpoint_id: str, hours: float, reason: str
) -> datetime | None:
    """Mute an endpoint's alerts for ``hours`` (0: unmute), with a required reason, audited;
    when the mute ends."""
    require(user, "mute alerts", "mute alerts")
    if hours and not reason.strip():
        raise ValueError("Say why you mute it: the reason goes into the audit trail.")
    until = datetime.now(UTC) + timedelta(hours=hours) if hours > 0 else None
    target = {"endpoint_id": endpoint_id, "hours": hours}
    name = "mute alerts" if until else "unmute alerts"
    row = audit.row(user.email, name, target, "ok", reason.strip() or None, ctx.organization_id)
    try:
        store.mute(ctx.organization_id, endpoint_id, until, user.email, reason.strip(), row)
    except store.StoreError as exc:
        raise audit.AuditError(str(exc)) from exc
    return until
