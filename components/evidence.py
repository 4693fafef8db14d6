"""The evidence pack: one ZIP per load for a dispute, built from what the load page shows.

It holds the load, its timeline, calls, failed verifications, active escalations, every webhook
message with its payload and every attempt, and the console's audit rows about it, with a README
saying when, by whom, for which organization and by which console version it was made. It holds
no secret: endpoints appear by description and by URL without query string or user info (where
receivers often carry tokens), and custom header values are never read into it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from typing import Any

import pandas as pd

from envoy_api import Call, CarrierVerification, Escalation, Load, WebhookEndpoint

from .story import Entry, Message, duration, name_of, safe_url


def console_version() -> str:
    try:
        return metadata.version("envoy-support-console")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Pack:
    load: Load
    calls: Sequence[Call]
    verifications: Sequence[CarrierVerification]
    escalations: Sequence[Escalation]
    messages: Sequence[Message]
    audit_rows: Sequence[dict[str, Any]]
    timeline: Sequence[Entry]
    endpoints: Sequence[WebhookEndpoint]
    generated_at: datetime
    generated_by: str
    organization: str


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    return str(pd.DataFrame(rows, columns=columns).to_csv(index=False))


def _models(items: Sequence[Any]) -> list[dict[str, Any]]:
    """Model rows as flat CSV rows: nested values as JSON text."""
    rows = []
    for item in items:
        row = item.model_dump(mode="json")
        rows.append({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()})
    return rows


def files(pack: Pack) -> dict[str, str]:
    """The pack's files by name (the ZIP is these, written in this order)."""
    names = {ep.id: f"{name_of(ep)} ({safe_url(ep.url)})" for ep in pack.endpoints}
    timeline = [
        {
            "time_utc": e.at,
            "kind": e.kind,
            "what": e.what,
            "who": e.who,
            "outcome": e.outcome,
            "ref": e.ref,
        }
        for e in pack.timeline
    ]
    messages = [
        {
            "message_id": m.id,
            "endpoint": names.get(m.endpoint_id, m.endpoint_id),
            "event_type": m.event_type,
            "event_id": m.payload.id if m.payload else None,
            "event_time_utc": m.at,
            "status": m.state.label,
            "attempts": len(m.attempts),
        }
        for m in pack.messages
    ]
    attempts = [
        {
            "message_id": m.id,
            "attempt": a.attempt,
            "status": a.status,
            "response_code": a.response_status_code,
            "latency_ms": a.duration_ms,
            "tried_at_utc": a.created_at,
            "delivered_at_utc": a.delivered_at,
            "response_excerpt": (a.response_body_excerpt or "")[:500],
            "error": a.error_message,
        }
        for m in pack.messages
        for a in m.attempts
    ]
    payloads = "".join(
        json.dumps(
            {
                "message_id": m.id,
                "endpoint": names.get(m.endpoint_id, m.endpoint_id),
                "payload": m.payload.model_dump(mode="json") if m.payload else None,
            }
        )
        + "\n"
        for m in pack.messages
    )
    audit = [
        {
            "at_utc": r["at"],
            "actor": r["actor"],
            "action": r["action"],
            "target": r["target"],
            "reason": r["reason"],
            "outcome": r["outcome"],
        }
        for r in pack.audit_rows
    ]
    calls = _models(pack.calls)
    for row, call in zip(calls, pack.calls, strict=True):
        row["duration"] = duration(call.duration_seconds)
    content = {
        "load.json": json.dumps(pack.load.model_dump(mode="json"), indent=2) + "\n",
        "timeline.csv": _csv(timeline, ["time_utc", "kind", "what", "who", "outcome", "ref"]),
        "calls.csv": _csv(calls, list(calls[0]) if calls else ["id"]),
        "verifications.csv": _csv(_models(pack.verifications), _columns(pack.verifications)),
        "escalations.csv": _csv(_models(pack.escalations), _columns(pack.escalations)),
        "messages.csv": _csv(
            messages,
            [
                "message_id",
                "endpoint",
                "event_type",
                "event_id",
                "event_time_utc",
                "status",
                "attempts",
            ],
        ),
        "attempts.csv": _csv(
            attempts,
            [
                "message_id",
                "attempt",
                "status",
                "response_code",
                "latency_ms",
                "tried_at_utc",
                "delivered_at_utc",
                "response_excerpt",
                "error",
            ],
        ),
        "payloads.jsonl": payloads,
        "audit.csv": _csv(audit, ["at_utc", "actor", "action", "target", "reason", "outcome"]),
    }
    counts = {
        "timeline.csv": len(timeline),
        "calls.csv": len(calls),
        "verifications.csv": len(pack.verifications),
        "escalations.csv": len(pack.escalations),
        "messages.csv": len(messages),
        "attempts.csv": len(attempts),
        "payloads.jsonl": len(pack.messages),
        "audit.csv": len(audit),
    }
    return {"README.md": _readme(pack, counts), **content}


def _columns(items: Sequence[Any]) -> list[str]:
    return list(items[0].model_dump()) if items else ["id"]


def _readme(pack: Pack, counts: dict[str, int]) -> str:
    rows = "\n".join(f"| `{name}` | {n:,} |" for name, n in counts.items())
    return f"""# Evidence pack: load {pack.load.load_number}

- Load id: `{pack.load.id}`
- Organization: {pack.organization}
- Generated: {pack.generated_at:%Y-%m-%d %H:%M:%S} UTC, by {pack.generated_by}
- Console version: {console_version()}

Every time in these files is UTC. `load.json` is the load as Envoy returned it when the pack was
made. `timeline.csv` is everything about the load in order; `messages.csv` lists each webhook
message (one per endpoint an event was sent to), `attempts.csv` every delivery attempt of them,
and `payloads.jsonl` the body each message carried. `audit.csv` holds the changes made through
the support console about this load (replays, with who, why and how they ended).

Calls, failed carrier verifications and active escalations are as Envoy lists them for the load.
Endpoints are named by description and by URL without its query string. No signing secret, API
key, token or custom header value is in this pack.

| file | rows |
|---|---|
{rows}
"""


def build_zip(pack: Pack) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files(pack).items():
            archive.writestr(f"{pack.load.load_number}/{name}", text)
    return buffer.getvalue()
