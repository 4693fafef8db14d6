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

from components.domain.formats import duration
from components.domain.story import Entry, Message, name_of, safe_url
from envoy_api import Call, CarrierVerification, Escalation, Load, WebhookEndpoint


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


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return str(pd.DataFrame(list(rows), columns=list(columns)).to_csv(index=False))


def _models(items: Sequence[Any]) -> tuple[list[str], list[list[Any]]]:
    """Model rows as flat CSV rows (nested values as JSON text), with their columns."""
    dumped = [item.model_dump(mode="json") for item in items]
    columns = list(dumped[0]) if dumped else ["id"]
    rows = [[json.dumps(v) if isinstance(v, dict | list) else v for v in d.values()]
            for d in dumped]  # fmt: skip
    return columns, rows


def _tables(pack: Pack, names: dict[str, str]) -> dict[str, tuple[list[str], list[Any]]]:
    """Each CSV file of the pack: its columns and rows."""
    calls_columns, calls = _models(pack.calls)
    for row, call in zip(calls, pack.calls, strict=True):
        row.append(duration(call.duration_seconds))
    return {
        "timeline.csv": (
            ["time_utc", "kind", "what", "who", "outcome", "ref"],
            [(e.at, e.kind, e.what, e.who, e.outcome, e.ref) for e in pack.timeline],
        ),
        "calls.csv": ([*calls_columns, "duration"] if pack.calls else calls_columns, calls),
        "verifications.csv": _models(pack.verifications),
        "escalations.csv": _models(pack.escalations),
        "messages.csv": (
            ["message_id", "endpoint", "event_type", "event_id", "event_time_utc", "status",
             "attempts"],
            [(m.id, names.get(m.endpoint_id, m.endpoint_id), m.event_type,
              m.payload.id if m.payload else None, m.at, m.state.label, len(m.attempts))
             for m in pack.messages],
        ),
        "attempts.csv": (
            ["message_id", "attempt", "status", "response_code", "latency_ms", "tried_at_utc",
             "delivered_at_utc", "response_excerpt", "error"],
            [(m.id, a.attempt, a.status, a.response_status_code, a.duration_ms, a.created_at,
              a.delivered_at, (a.response_body_excerpt or "")[:500], a.error_message)
             for m in pack.messages for a in m.attempts],
        ),
        "audit.csv": (
            ["at_utc", "actor", "action", "target", "reason", "outcome"],
            [(r["at"], r["actor"], r["action"], r["target"], r["reason"], r["outcome"])
             for r in pack.audit_rows],
        ),
    }  # fmt: skip


def files(pack: Pack) -> dict[str, str]:
    """The pack's files by name (the ZIP is these, written in this order)."""
    names = {ep.id: f"{name_of(ep)} ({safe_url(ep.url)})" for ep in pack.endpoints}
    tables = _tables(pack, names)
    payloads = "".join(
        json.dumps({"message_id": m.id, "endpoint": names.get(m.endpoint_id, m.endpoint_id),
                    "payload": m.payload.model_dump(mode="json") if m.payload else None}) + "\n"
        for m in pack.messages
    )  # fmt: skip
    counts = {name: len(rows) for name, (_, rows) in tables.items()}
    counts["payloads.jsonl"] = len(pack.messages)
    content = {
        "load.json": json.dumps(pack.load.model_dump(mode="json"), indent=2) + "\n",
        **{name: _csv(columns, rows) for name, (columns, rows) in tables.items()},
        "payloads.jsonl": payloads,
    }
    return {"README.md": _readme(pack, counts), **content}


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
