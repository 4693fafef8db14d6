"""Load generators: carriers, then loads with their calls, verifications and escalations.

Loads are made in chunks of ``CHUNK``, each chunk from its own generator seeded off the main
stream, and in parallel processes when there are several; rows are written as each chunk comes
back. The draws within a generator run in a fixed order: moving one changes every later row.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing import get_context
from typing import Any

from ..config import DEMO_EMAIL
from ..contract import USER_ID, EscalationStatus, LoadTab
from ..db import Database, dumps
from .common import Rng, iso, rand_uuid
from .words import (
    AGENT_TYPES,
    CALL_STATUSES,
    CALL_TYPES,
    CARRIER_WORDS,
    CITIES,
    COMMODITIES,
    CUSTOMERS,
    EQUIPMENT,
    ESCALATION_MESSAGES,
    ESCALATION_STATUS_WEIGHTS,
    FIRST,
    LAST,
    SPECIAL_INSTRUCTIONS,
    TAB_STATUS,
    TAB_WEIGHTS,
    VERIFICATION_REASONS,
    VERIFICATION_STAGES,
)


def _phone(rng: Rng) -> str:
    return f"+1{rng.ri(201, 989)}555{rng.ri(1000, 9999)}"


class Carriers:
    """The carriers both organizations' loads are booked with, drawn once before any load."""

    def __init__(self, rng: Rng, count: int, anchor: datetime) -> None:
        self.rows: list[dict[str, Any]] = []
        for i in range(count):
            name = f"{rng.pick(CARRIER_WORDS[0])} {rng.pick(CARRIER_WORDS[1])}"
            if i >= len(CARRIER_WORDS[0]):
                name += f" {rng.pick(['LLC', 'Inc.', 'Co.'])}"
            expired = rng.random() < 0.15
            expires = anchor + timedelta(days=rng.ri(-120, -1) if expired else rng.ri(30, 500))
            first, last = rng.pick(FIRST), rng.pick(LAST)
            slug = name.lower().replace(" ", "").replace(".", "")[:18]
            created = anchor - timedelta(days=rng.ri(60, 1500))
            self.rows.append(
                {
                    "id": "car_" + rand_uuid(rng),
                    "name": name,
                    "mc_number": f"MC{rng.ri(100000, 1499999)}",
                    "dot_number": str(rng.ri(1000000, 3999999)),
                    "email": f"dispatch@{slug}.example",
                    "phone": _phone(rng),
                    "dispatcher_name": f"{first} {last}",
                    "dispatcher_phone": _phone(rng),
                    "dispatcher_email": f"{first.lower()}@{slug}.example",
                    "is_active": True,
                    "provider": rng.pick(["Highway", "RMIS", "Carrier Assure"]),
                    "ingestion_method": rng.pick(["api", "csv_import", "manual"]),
                    "equipment_types": sorted(set(rng.sample(EQUIPMENT, 2))),
                    "insurance_expiration": expires.date().isoformat(),
                    "w9_on_file": rng.random() > 0.1,
                    "authorized_for_hire": rng.random() > 0.05,
                    "on_time_pickup_pct": round(rng.uniform(78, 99.5), 1),
                    "on_time_delivery_pct": round(rng.uniform(80, 99.5), 1),
                    "tracking_compliance_pct": round(rng.uniform(60, 99), 1),
                    "avg_response_time_min": round(rng.uniform(2, 45), 1),
                    "total_loads_hauled": rng.ri(3, 900),
                    "is_onboarded": True,
                    "carrier_rep_user_id": USER_ID,
                    "carrier_rep_name": "Avery Quinn",
                    "carrier_rep_email": DEMO_EMAIL,
                    "is_verified": not expired,
                    "verified_date": (created + timedelta(days=3)).date().isoformat(),
                    "created_at": iso(created),
                    "updated_at": iso(created + timedelta(days=30)),
                }
            )


def load_search_text(body: dict[str, Any]) -> str:
    """What a load search matches: number, customer, carrier, and each stop as the console's
    Lane column shows it ("Dallas, TX"), so "Dallas, TX" and "TX" find it too."""
    stops = body.get("stops") or []
    parts = [body.get("load_number"), body.get("customer_name"), body.get("carrier_name")]
    for stop in stops:
        place = stop.get("location") or {}
        parts.append(", ".join(p for p in (place.get("city"), place.get("state")) if p))
    return " | ".join(p for p in parts if p).lower()


CHUNK = 10_000


def seed_loads(
    db: Database,
    rng: Rng,
    org: str,
    count: int,
    prefix: str,
    carriers: Carriers,
    anchor: datetime,
) -> list[dict[str, Any]]:
    """Generate ``count`` loads in chunks (in parallel processes when there are several), each
    chunk from its own seeded generator so the result does not depend on the scheduling."""
    base_number = 100_000 + rng.ri(0, 800_000)
    chunk_seed = rng.getrandbits(64)
    jobs = [
        (f"{chunk_seed}:{start}", org, start, min(CHUNK, count - start), count, prefix,
         base_number, carriers.rows, anchor)
        for start in range(0, count, CHUNK)
    ]  # fmt: skip
    loads: list[dict[str, Any]] = []
    if len(jobs) == 1:
        results: Iterable[_Chunk] = [_gen_chunk(*jobs[0])]
        return _store(db, results, loads)
    workers = min(len(jobs), max(1, os.cpu_count() or 1))
    # spawn, not fork: the caller may be a threaded server (Streamlit, uvicorn).
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return _store(db, pool.map(_gen_chunk, *zip(*jobs, strict=True)), loads)


_Chunk = tuple[
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    list[tuple[Any, ...]],
    list[dict[str, Any]],
]


def _store(
    db: Database, results: Iterable[_Chunk], loads: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    for load_rows, call_rows, ver_rows, esc_rows, summaries in results:
        _flush(db, load_rows, call_rows, ver_rows, esc_rows)
        loads += summaries
    return loads


def _gen_chunk(
    seed_key: str,
    org: str,
    start: int,
    size: int,
    count: int,
    prefix: str,
    base_number: int,
    carrier_rows: list[dict[str, Any]],
    anchor: datetime,
) -> _Chunk:
    rng = Rng(seed_key)
    chunk: _Chunk = ([], [], [], [], [])
    load_rows, call_rows, ver_rows, esc_rows, loads = chunk
    span_minutes = max(60 * 24 * 30, count * 3)
    for i in range(start, start + size):
        load = _gen_load(rng, org, f"{prefix}{base_number + i}", carrier_rows, anchor, span_minutes)
        # The newest-numbered load of each organization shows every section (a demo favourite).
        showcase = i == 0
        calls = _gen_calls(rng, load, anchor, showcase)
        verifications = _gen_verifications(rng, load, carrier_rows, showcase)
        escalations = _gen_escalations(rng, load, calls, showcase)
        call_rows += calls
        ver_rows += verifications
        esc_rows += escalations
        n_active = sum(row[3] == EscalationStatus.ACTIVE for row in escalations)
        body = load.body
        load_rows.append(
            (
                body["id"],
                org,
                body["load_number"],
                load.tab,
                body["updated_at"],
                load_search_text(body),
                n_active,
                len(verifications),
                dumps(body),
            )
        )
        loads.append(
            {
                "id": body["id"],
                "number": body["load_number"],
                "tab": load.tab,
                "carrier": load.carrier,
                "created": load.created,
                "customer": body["customer_name"],
                "origin": load.origin[0],
                "destination": load.destination[0],
                "rate": body["posted_rate"],
                "status": body["load_status"],
            }
        )
    return chunk


@dataclass
class _Load:
    """A generated load and what its calls, verifications and escalations are made from."""

    body: dict[str, Any]
    tab: str
    created: datetime
    updated: datetime
    carrier: dict[str, Any] | None
    origin: tuple[str, str, float, float]
    destination: tuple[str, str, float, float]


def _gen_load(
    rng: Rng,
    org: str,
    number: str,
    carrier_rows: list[dict[str, Any]],
    anchor: datetime,
    span_minutes: int,
) -> _Load:
    tab, statuses, _ = rng.choices(TAB_STATUS, TAB_WEIGHTS)[0]
    equipment = rng.pick(EQUIPMENT)
    o, d = rng.sample(CITIES, 2)
    transit_h = rng.ri(10, 60)
    # Pickups follow the status: ahead for open loads, behind for moving and delivered ones.
    hour = anchor.replace(minute=0, second=0)
    if tab in (LoadTab.AVAILABLE, LoadTab.COVERED):
        pickup = hour + timedelta(hours=rng.ri(4, 24 * 6))
    elif tab == LoadTab.IN_TRANSIT:
        pickup = hour - timedelta(hours=rng.ri(1, transit_h))
    else:
        pickup = hour - timedelta(hours=rng.ri(transit_h + 2, 24 * 20))
    created = min(
        anchor - timedelta(minutes=rng.ri(30, span_minutes)),
        pickup - timedelta(hours=rng.ri(12, 72)),
    )
    updated = min(
        anchor - timedelta(minutes=rng.ri(1, 600)),
        created + timedelta(minutes=rng.ri(5, 60 * 24 * 3)),
    )
    updated = max(updated, created)
    stops = _gen_stops(rng, o, d, pickup, transit_h)
    carrier = rng.pick(carrier_rows) if tab != LoadTab.AVAILABLE else None
    body = _load_body(rng, org, number, tab, statuses, equipment, carrier, stops, created, updated)
    return _Load(body, tab, created, updated, carrier, o, d)


def _gen_stops(
    rng: Rng, o: tuple[Any, ...], d: tuple[Any, ...], pickup: datetime, transit_h: int
) -> list[dict[str, Any]]:
    n_stops = 2 if rng.random() < 0.85 else 3
    cities = [o] + ([rng.pick(CITIES)] if n_stops == 3 else []) + [d]
    stops = []
    t = pickup
    for seq, city in enumerate(cities, start=1):
        stops.append(
            {
                "location": {"city": city[0], "state": city[1]},
                "type": "pickup" if seq == 1 else "dropoff",
                "sequence": seq,
                "appointment_start": iso(t),
                "appointment_end": iso(t + timedelta(hours=2)),
            }
        )
        t += timedelta(hours=transit_h // (n_stops - 1))
    return stops


def _load_body(
    rng: Rng,
    org: str,
    number: str,
    tab: str,
    statuses: list[str],
    equipment: str,
    carrier: dict[str, Any] | None,
    stops: list[dict[str, Any]],
    created: datetime,
    updated: datetime,
) -> dict[str, Any]:
    """The load's wire JSON, fields in the contract's order."""
    rate = rng.ri(9, 60) * 50
    load_id = "load_" + rand_uuid(rng)
    reefer = equipment == "REEFER"
    last = rng.pick(CITIES) if tab == LoadTab.IN_TRANSIT else None
    rep_first, rep_last = rng.pick(FIRST), rng.pick(LAST)
    # The rng calls run in field order: the same seed must keep making the same loads.
    body: dict[str, Any] = {
        "id": load_id,
        "load_number": number,
        "organization_id": org,
        "equipment_type": equipment,
        "mode": "FTL" if rng.random() < 0.92 else "LTL",
        "load_status": rng.pick(statuses),
        "tms_status": tab.upper(),
        "tms_load_id": f"TMS-{rng.ri(1_000_000, 9_999_999)}",
        "external_id": f"EXT-{rng.ri(10000, 99999)}",
        "weight": rng.ri(8, 44) * 1000,
        "distance": rng.ri(120, 2400),
        "commodity": rng.pick(COMMODITIES[equipment]),
        "po_numbers": [f"PO{rng.ri(100000, 999999)}" for _ in range(rng.ri(1, 2))],
        "posted_rate": rate,
        "max_buy_rate": rate + rng.ri(2, 8) * 50,
        "suggested_market_rate": rate + rng.ri(-4, 6) * 25,
        "length_feet": 53 if equipment in ("VAN", "REEFER") else 48,
        "special_instructions": rng.sample(SPECIAL_INSTRUCTIONS, rng.ri(0, 2)),
        "is_posted": tab == LoadTab.AVAILABLE,
        "temperature_setting_minimum": 33 if reefer else None,
        "temperature_setting_maximum": 38 if reefer else None,
        "temperature_run_type": "CONTINUOUS" if reefer else None,
        "last_reported_city": last[0] if last else None,
        "last_reported_state": last[1] if last else None,
        "last_reported_lat": last[2] if last else None,
        "last_reported_long": last[3] if last else None,
        "tms_carrier_id": carrier["id"] if carrier else None,
        "carrier_name": carrier["name"] if carrier else None,
        "customer_name": rng.pick(CUSTOMERS),
        "carrier_rep": {
            "type": "CarrierSalesRep",
            "first_name": rep_first,
            "last_name": rep_last,
            "phone": _phone(rng),
            "email": f"{rep_first.lower()}.{rep_last.lower()}@envoy.example",
        },
        "driver": (
            {
                "type": "Driver",
                "first_name": rng.pick(FIRST),
                "last_name": rng.pick(LAST),
                "phone": _phone(rng),
                "email": None,
            }
            if tab in (LoadTab.IN_TRANSIT, LoadTab.DELIVERED)
            else None
        ),
        "stops": stops,
        "offer_count": rng.ri(0, 9) if tab == LoadTab.AVAILABLE else rng.ri(1, 6),
        "max_offer_amount": None,
        "created_at": iso(created),
        "updated_at": iso(updated),
    }
    if body["offer_count"]:
        body["max_offer_amount"] = rate + rng.ri(-3, 10) * 25
    return body


def _gen_calls(rng: Rng, load: _Load, anchor: datetime, showcase: bool) -> list[tuple[Any, ...]]:
    body, created = load.body, load.created
    minutes = max(2, int((load.updated - created).total_seconds() // 60))
    rows = []
    for _ in range(rng.ri(3, 8) if showcase else rng.ri(0, 8)):
        ct = created + timedelta(minutes=rng.ri(1, minutes))
        direction = rng.pick(["INBOUND", "OUTBOUND"])
        status = rng.pick(CALL_STATUSES)
        if status == "SCHEDULED":  # a scheduled call lies ahead, not behind
            ct = anchor + timedelta(minutes=rng.ri(30, 60 * 48))
        ours, theirs = "+14155550001", _phone(rng)
        ended = status in ("COMPLETED", "FAILED", "TRANSFERRED", "VOICEMAIL", "NO_ANSWER")
        dur = rng.ri(20, 900) if status in ("COMPLETED", "TRANSFERRED") else rng.ri(5, 40)
        call_id = "call_" + rand_uuid(rng)
        started = ct + timedelta(seconds=rng.ri(1, 9)) if status != "SCHEDULED" else None
        call = {
            "id": call_id,
            "status": status,
            "call_time": iso(ct),
            "created_at": iso(ct),
            "updated_at": iso(ct + timedelta(seconds=dur + 30)),
            "call_direction": direction,
            "phone_number": theirs,
            "to_number": ours if direction == "INBOUND" else theirs,
            "from_number": theirs if direction == "INBOUND" else ours,
            "call_start_time": iso(started) if started else None,
            "call_end_time": iso(started + timedelta(seconds=dur)) if started and ended else None,
            "call_type": rng.pick(CALL_TYPES),
            "load_id": body["id"],
            "organization_id": body["organization_id"],
            "created_by_id": USER_ID,
            "recording_status": (
                "AVAILABLE"
                if status == "COMPLETED"
                else rng.pick([None, "PROCESSING", "NOT_RECORDED"])
            ),
            "load_number": body["load_number"],
        }
        rows.append((call_id, body["organization_id"], body["id"], call["call_time"], dumps(call)))
    return rows


def _gen_verifications(
    rng: Rng, load: _Load, carrier_rows: list[dict[str, Any]], showcase: bool
) -> list[tuple[Any, ...]]:
    """Failed vettings of carriers offered on the load (one load in 25 has any)."""
    if not (showcase or rng.random() < 0.04):
        return []
    rows = []
    for _ in range(rng.ri(1, 2)):
        c = rng.pick(carrier_rows)
        vt = load.created + timedelta(minutes=rng.ri(5, 600))
        v = {
            "id": rand_uuid(rng),
            "source": rng.pick(["email_outreach", "inbound_call", "load_board", "api"]),
            "created_at": iso(vt),
            "carrier_id": c["id"],
            "status": rng.pick(["BLOCKED", "BLOCKED", "FAILED"]),
            "reasons": rng.sample(VERIFICATION_REASONS, rng.ri(1, 3)),
            "error_stage": rng.pick(VERIFICATION_STAGES),
            "error_message": "Carrier did not pass compliance checks for this load",
            "carrier": c,
        }
        rows.append((v["id"], load.body["organization_id"], load.body["id"], v["status"],
                     v["created_at"], dumps(v)))  # fmt: skip
    return rows


def _gen_escalations(
    rng: Rng, load: _Load, calls: list[tuple[Any, ...]], showcase: bool
) -> list[tuple[Any, ...]]:
    """Escalations to a human (one load in 12 has any); the showcase load has an active one."""
    if not (showcase or rng.random() < 0.08):
        return []
    rows = []
    for k in range(rng.ri(1, 3)):
        kind, text = rng.pick(ESCALATION_MESSAGES)
        status = rng.pick(ESCALATION_STATUS_WEIGHTS)
        if showcase and k == 0:
            status = EscalationStatus.ACTIVE
        et = load.created + timedelta(minutes=rng.ri(5, 900))
        responded = status == EscalationStatus.RESPONDED
        e = {
            "id": "esc_" + rand_uuid(rng),
            "load_id": load.body["id"],
            "agent_type": rng.pick(AGENT_TYPES),
            "message": text.format(amt=rng.ri(2, 8) * 50, city=load.origin[0]),
            "status": status,
            "created_at": iso(et),
            "call_id": rng.pick(calls)[0] if calls else None,
            "escalation_type": kind,
            "response_message": "Approved, go ahead." if responded else None,
            "response_user_id": USER_ID if responded else None,
            "responded_at": iso(et + timedelta(minutes=12)) if responded else None,
            "resolved_at": (
                iso(et + timedelta(minutes=30)) if status != EscalationStatus.ACTIVE else None
            ),
        }
        rows.append((e["id"], load.body["organization_id"], load.body["id"], status,
                     e["created_at"], dumps(e)))  # fmt: skip
    return rows


def _flush(
    db: Database,
    loads: list[tuple[Any, ...]],
    calls: list[tuple[Any, ...]],
    vers: list[tuple[Any, ...]],
    escs: list[tuple[Any, ...]],
) -> None:
    with db.write() as w:
        w.executemany("INSERT INTO loads VALUES (?,?,?,?,?,?,?,?,?)", loads)
        w.executemany("INSERT INTO calls VALUES (?,?,?,?,?)", calls)
        w.executemany("INSERT INTO verifications VALUES (?,?,?,?,?,?)", vers)
        w.executemany("INSERT INTO escalations VALUES (?,?,?,?,?,?)", escs)
    for rows in (loads, calls, vers, escs):
        rows.clear()
