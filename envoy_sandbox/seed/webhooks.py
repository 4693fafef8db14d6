"""Webhook history generators: demo endpoints, three days of events, stories and attempts.

Each organization gets three endpoints pointed at the sandbox's demo receivers (healthy, flaky,
down) and events about its seeded loads, each with the delivery attempts its receiver's
behaviour implies. The stories (loads whose endpoints were told different things) are drawn
from a generator of their own, so adding them left the rest of the seed as it was.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from envoy_api.signing import SECRET_PREFIX

from ..config import SandboxSettings
from ..contract import EVENT_TYPE_NAMES, AttemptStatus, EndpointStatus
from ..db import Database, dumps
from .common import Rng, iso, rand_uuid
from .words import VERIFICATION_REASONS


def receiver_url(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/_sandbox/receivers/{name}"


RECEIVER_BASE_PLACEHOLDER = "http://127.0.0.1:8787"


def _event_data(rng: Rng, kind: str, load: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"load_id": load["id"], "load_number": load["number"]}
    carrier = load["carrier"] or {"id": "car_" + rand_uuid(rng), "name": "Unbooked"}
    if kind == "load.created":
        data |= {
            "customer_name": load["customer"],
            "origin": load["origin"],
            "destination": load["destination"],
        }
    elif kind == "load.updated":
        data["changed_fields"] = rng.sample(["posted_rate", "stops", "special_instructions"], 1)
    elif kind == "load.status_changed":
        path = status_path(load["status"])
        data |= {"from_status": path[-2] if len(path) > 1 else None, "to_status": path[-1]}
    elif kind == "load.covered":
        data |= {"carrier_id": carrier["id"], "carrier_name": carrier["name"], "rate": load["rate"]}
    elif kind.startswith("call."):
        data |= {
            "call_id": "call_" + rand_uuid(rng),
            "call_direction": "OUTBOUND",
            "status": "COMPLETED",
            "duration_seconds": rng.ri(30, 600),
            "recording_status": "AVAILABLE",
        }
    elif kind == "carrier.verification_failed":
        data |= {"carrier_id": carrier["id"], "reasons": rng.sample(VERIFICATION_REASONS, 2)}
    elif kind.startswith("escalation."):
        data |= {
            "escalation_id": "esc_" + rand_uuid(rng),
            "message": "Carrier needs approval",
            "status": "RESPONDED",
        }
    elif kind.startswith("offer."):
        data |= {
            "offer_id": "ofr_" + rand_uuid(rng),
            "carrier_id": carrier["id"],
            "amount": load["rate"] + 100,
        }
    return data


def seed_webhooks(
    db: Database,
    rng: Rng,
    org: str,
    loads: list[dict[str, Any]],
    anchor: datetime,
    settings: SandboxSettings,
) -> None:
    """Three demo endpoints (healthy, flaky, down receivers) and three days of deliveries."""
    endpoints = _seed_endpoints(db, rng, org, anchor)
    n_events = min(max(30, len(loads) // 2), 4000)
    msg_rows: list[tuple[Any, ...]] = []
    att_rows: list[tuple[Any, ...]] = []
    window = timedelta(days=3)
    for k in range(n_events):
        load = rng.pick(loads)
        kind = rng.pick(EVENT_TYPE_NAMES)
        frac = k / n_events
        if frac < 0.9:  # most of the history over three days, the last tenth in 15 minutes
            at = anchor - window + (window - timedelta(minutes=15)) * (frac / 0.9)
        else:
            at = anchor - timedelta(minutes=15) * (1 - frac) / 0.1
        evt = {
            "id": "evt_" + rand_uuid(rng),
            "type": kind,
            "timestamp": iso(at),
            "data": _event_data(rng, kind, load),
        }
        payload = dumps(evt)
        recent = anchor - at < timedelta(minutes=20)
        for ep_id, name, subscribed in endpoints:
            if kind not in subscribed:
                continue
            message = ("msg_" + rand_uuid(rng), org, ep_id, kind, load["id"], payload, iso(at))
            msg_rows.append(message)
            outcome = _outcome(rng, name, recent)
            att_rows += _attempt_rows(rng, settings, anchor, message, at, name, outcome)
    stories = _seed_stories(Rng(f"{settings.seed}:{org}:stories"), org, loads, endpoints, anchor,
                            settings, msg_rows, att_rows)  # fmt: skip
    with db.write() as w:
        w.execute("INSERT INTO meta VALUES (?, ?)", (f"stories:{org}", dumps(stories)))
        w.executemany("INSERT INTO messages VALUES (?,?,?,?,?,?,?)", msg_rows)
        w.executemany("INSERT INTO attempts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", att_rows)


# The order a load's status moves through; ``status_path`` is the way to where a load is now.
STATUS_CHAIN = ["Available", "Posted", "Covered", "Dispatched", "At Pickup", "In Transit",
                "At Delivery", "Delivered"]  # fmt: skip


def status_path(status: str) -> list[str]:
    """The statuses a load went through to reach ``status`` (Posted only when it is there)."""
    if status not in STATUS_CHAIN:
        return [status]
    path = STATUS_CHAIN[: STATUS_CHAIN.index(status) + 1]
    return [s for s in path if s != "Posted" or status == "Posted"]


# Seeded stories: loads whose status events reached one endpoint and not another. ``divergent``:
# the broker portal (flaky) missed the first status change (later superseded by a delivered
# one) and the newest (DEAD), so it was last told an older status than the load's. ``caught_up``:
# a failure that its retry delivered; every receiver but the down one is up to date.
STORIES = {"divergent": {1: "dead", -1: "dead"}, "caught_up": {1: "retried"}}


def _seed_stories(
    rng: Rng,
    org: str,
    loads: list[dict[str, Any]],
    endpoints: list[tuple[str, str, set[str]]],
    anchor: datetime,
    settings: SandboxSettings,
    msg_rows: list[tuple[Any, ...]],
    att_rows: list[tuple[Any, ...]],
) -> dict[str, str]:
    """Add each story's events to two In Transit loads no random event touched; returns
    {story: load id}. Its own generator: the rest of the seed stays as it was."""
    touched = {row[4] for row in msg_rows}
    moving = [ld for ld in loads if ld["status"] == "In Transit"]
    chosen = [ld for ld in moving if ld["id"] not in touched][: len(STORIES)]
    stories: dict[str, str] = {}
    for (story, flaky_fate), load in zip(STORIES.items(), chosen, strict=False):
        stories[story] = load["id"]
        path = status_path(load["status"])
        start = max(load["created"], anchor - timedelta(days=2))
        step = (anchor - timedelta(hours=1) - start) / len(path)
        events: list[tuple[str, dict[str, Any]]] = [("load.created", {})]
        for before, after in pairwise(path):
            events.append(("load.status_changed", {"from_status": before, "to_status": after}))
            if after == "Covered":
                events.append(("load.covered", {}))
        changes = 0
        for k, (kind, extra) in enumerate(events):
            at = start + step * k
            data = _event_data(rng, kind, load) | extra
            payload = dumps({"id": "evt_" + rand_uuid(rng), "type": kind, "timestamp": iso(at),
                             "data": data})  # fmt: skip
            if kind == "load.status_changed":
                changes += 1
            last = changes == len(path) - 1 and kind == "load.status_changed"
            fate = (
                flaky_fate.get(-1 if last else changes) if kind == "load.status_changed" else None
            )
            for ep_id, name, subscribed in endpoints:
                if kind not in subscribed:
                    continue
                message = ("msg_" + rand_uuid(rng), org, ep_id, kind, load["id"], payload, iso(at))
                msg_rows.append(message)
                outcome = _story_outcome(name, fate)
                att_rows += _attempt_rows(rng, settings, anchor, message, at, name, outcome)
    return stories


def _story_outcome(receiver: str, fate: str | None) -> list[AttemptStatus]:
    ok, failed, dead = AttemptStatus.SUCCEEDED, AttemptStatus.FAILED, AttemptStatus.DEAD
    if receiver == "down" or (receiver == "flaky" and fate == "dead"):
        return [failed] * 4 + [dead]
    if receiver == "flaky" and fate == "retried":
        return [failed, ok]
    return [ok]


def _seed_endpoints(
    db: Database, rng: Rng, org: str, anchor: datetime
) -> list[tuple[str, str, set[str]]]:
    """(id, receiver name, subscribed event types) of each demo endpoint."""
    specs = [
        ("ok", "TMS sync (healthy receiver)", EVENT_TYPE_NAMES),
        (
            "flaky",
            "Broker portal (flaky receiver)",
            ["load.status_changed", "load.covered", "call.completed", "escalation.created"],
        ),
        (
            "down",
            "Legacy EDI bridge (receiver down)",
            ["load.created", "load.status_changed", "carrier.verification_failed"],
        ),
    ]
    endpoints: list[tuple[str, str, set[str]]] = []
    with db.write() as w:
        for i, (name, desc, types) in enumerate(specs):
            ep_id = "ep_" + rand_uuid(rng)
            created = anchor - timedelta(days=30 - i)
            secret = SECRET_PREFIX + _b64(rng.getrandbits(192).to_bytes(24, "big"))
            headers = {"X-Envoy-Env": "sandbox"} if name == "ok" else None
            w.execute(
                "INSERT INTO endpoints (id, org_id, url, description, event_types, headers, status,"
                " disabled_reason, secret, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    ep_id,
                    org,
                    receiver_url(RECEIVER_BASE_PLACEHOLDER, name),
                    desc,
                    dumps(types),
                    dumps(headers) if headers else None,
                    EndpointStatus.ACTIVE,
                    None,
                    secret,
                    iso(created),
                    iso(created),
                ),
            )
            endpoints.append((ep_id, name, set(types)))
    return endpoints


def _attempt_rows(
    rng: Rng,
    settings: SandboxSettings,
    anchor: datetime,
    message: tuple[Any, ...],
    at: datetime,
    receiver: str,
    outcome: list[AttemptStatus],
) -> list[tuple[Any, ...]]:
    """The attempts of one seeded message sent at ``at``, one per status of ``outcome``."""
    msg_id, org, ep_id, kind, load_id = message[:5]
    rows = []
    t = at
    for n, result in enumerate(outcome, start=1):
        created = t
        row: dict[str, Any] = dict.fromkeys(("next", "code", "excerpt", "error", "dur", "deliv"))
        if result == AttemptStatus.SUCCEEDED:
            row |= {
                "code": 200,
                "excerpt": '{"received":true}',
                "dur": rng.ri(40, 400),
                "deliv": iso(t),
            }
        elif result in (AttemptStatus.FAILED, AttemptStatus.DEAD):
            row |= _failure(rng, receiver)
            if result == AttemptStatus.FAILED:
                t = t + timedelta(seconds=settings.retry_delay(n) or 1)
                row["next"] = iso(t)
        due = iso(t) if result == AttemptStatus.PENDING else None
        if result == AttemptStatus.PENDING and t < anchor:
            due = iso(anchor + timedelta(seconds=rng.ri(30, 300)))
        rows.append(
            ("atmp_" + rand_uuid(rng), msg_id, ep_id, org, n, settings.max_attempts, result,
             row["next"], row["code"], row["excerpt"], row["error"], row["dur"], row["deliv"],
             iso(created), due, kind, load_id, None)
        )  # fmt: skip
    return rows


def _failure(rng: Rng, receiver: str) -> dict[str, Any]:
    """How a failed attempt failed: refused, 503 (always so for the down receiver) or 500."""
    if receiver == "down" or rng.random() < 0.3:
        if rng.random() < 0.2:
            return {"error": "Connection refused", "dur": rng.ri(1, 5)}
        return {"code": 503, "excerpt": "Service Unavailable", "dur": rng.ri(20, 200)}
    return {"code": 500, "excerpt": '{"error":"internal"}', "dur": rng.ri(50, 900)}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _outcome(rng: Rng, receiver: str, recent: bool) -> list[AttemptStatus]:
    """The attempt statuses of one seeded message, oldest first."""
    ok, failed, pending, dead = (
        AttemptStatus.SUCCEEDED,
        AttemptStatus.FAILED,
        AttemptStatus.PENDING,
        AttemptStatus.DEAD,
    )
    if receiver == "ok":
        return [ok] if rng.random() < 0.97 else [failed, ok]
    if receiver == "flaky":
        r = rng.random()
        if recent and r < 0.3:
            return [failed, pending]
        if r < 0.55:
            return [ok]
        if r < 0.85:
            return [failed] * rng.ri(1, 3) + [ok]
        return [failed] * 4 + [dead]
    if recent:
        return [failed] * rng.ri(1, 3) + [pending]
    return [failed] * 4 + [dead]
