"""Deterministic, realistic demo data: two organizations, loads, calls, verifications,
escalations, webhook endpoints and their delivery history.

The same seed and anchor time give the same rows. ``loads`` sizes the first organization; the
second gets a tenth of it. 100,000 loads seed well inside a minute.
"""

from __future__ import annotations

import base64
import os
import random
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from multiprocessing import get_context
from typing import Any, TypeVar

from envoy_api.signing import SECRET_PREFIX

from .auth import api_key_hash, password_hash
from .config import DEMO_EMAIL, DEMO_PASSWORD, SECOND_ORG_API_KEY, SandboxSettings
from .contract import (
    EVENT_TYPE_NAMES,
    ORG_A,
    ORG_B,
    ORG_NAMES,
    SOLO_EMAIL,
    SOLO_USER_ID,
    USER_ID,
    AttemptStatus,
    EndpointStatus,
    EscalationStatus,
    LoadTab,
)
from .db import SCHEMA, Database, dumps, now
from .store import refresh_tab_counts

T = TypeVar("T")

CITIES = [
    ("Chicago", "IL", 41.88, -87.63),
    ("Dallas", "TX", 32.78, -96.80),
    ("Atlanta", "GA", 33.75, -84.39),
    ("Los Angeles", "CA", 34.05, -118.24),
    ("Houston", "TX", 29.76, -95.37),
    ("Memphis", "TN", 35.15, -90.05),
    ("Columbus", "OH", 39.96, -82.99),
    ("Indianapolis", "IN", 39.77, -86.16),
    ("Kansas City", "MO", 39.10, -94.58),
    ("Denver", "CO", 39.74, -104.99),
    ("Phoenix", "AZ", 33.45, -112.07),
    ("Nashville", "TN", 36.16, -86.78),
    ("Charlotte", "NC", 35.23, -80.84),
    ("Jacksonville", "FL", 30.33, -81.66),
    ("Louisville", "KY", 38.25, -85.76),
    ("Salt Lake City", "UT", 40.76, -111.89),
    ("Seattle", "WA", 47.61, -122.33),
    ("Portland", "OR", 45.52, -122.68),
    ("Newark", "NJ", 40.74, -74.17),
    ("Harrisburg", "PA", 40.27, -76.88),
    ("Laredo", "TX", 27.51, -99.51),
    ("Fresno", "CA", 36.74, -119.79),
    ("Omaha", "NE", 41.26, -95.93),
    ("St. Louis", "MO", 38.63, -90.20),
    ("Minneapolis", "MN", 44.98, -93.27),
    ("Detroit", "MI", 42.33, -83.05),
    ("Savannah", "GA", 32.08, -81.09),
    ("Reno", "NV", 39.53, -119.81),
    ("Albuquerque", "NM", 35.08, -106.65),
    ("Oklahoma City", "OK", 35.47, -97.52),
    ("Little Rock", "AR", 34.75, -92.29),
    ("Birmingham", "AL", 33.52, -86.80),
    ("Boise", "ID", 43.62, -116.20),
    ("Allentown", "PA", 40.60, -75.49),
    ("Stockton", "CA", 37.96, -121.29),
    ("Green Bay", "WI", 44.51, -88.01),
]
CUSTOMERS = [
    "Acme Foods",
    "Northwind Grocers",
    "Summit Building Supply",
    "Great Plains Grain Co.",
    "Redwood Paper Products",
    "Bluewater Beverages",
    "Ironclad Steel",
    "Harvest Valley Produce",
    "Evergreen Home Goods",
    "Pioneer Auto Parts",
    "Coastal Seafood Traders",
    "Keystone Plastics",
    "Silverline Electronics",
    "Prairie Dairy Cooperative",
    "Granite State Furniture",
    "Sunbelt Chemicals",
    "Heartland Pet Supply",
    "Lone Star Packaging",
    "Cascade Lumber",
    "Magnolia Textiles",
]
CARRIER_WORDS = (
    [
        "Blue Ridge",
        "Red River",
        "Iron Horse",
        "Eagle",
        "Patriot",
        "Midwest",
        "Coastal",
        "Summit",
        "Prairie",
        "Lone Star",
        "Great Lakes",
        "Silver State",
        "Big Sky",
        "Cardinal",
        "Keystone",
        "Gulf Coast",
        "Rocky Mountain",
        "Heartland",
        "Liberty",
        "Frontier",
    ],
    ["Transport", "Freight Lines", "Logistics", "Trucking", "Carriers", "Express", "Haulers"],
)
FIRST = [
    "Dana",
    "Luis",
    "Maria",
    "James",
    "Priya",
    "Kevin",
    "Tasha",
    "Omar",
    "Linda",
    "Chen",
    "Rosa",
    "Derek",
    "Aisha",
    "Tom",
    "Grace",
    "Victor",
]
LAST = [
    "Lee",
    "Garcia",
    "Johnson",
    "Patel",
    "Nguyen",
    "Smith",
    "Brown",
    "Okafor",
    "Kim",
    "Martinez",
    "Davis",
    "Wilson",
    "Lopez",
    "Clark",
]
EQUIPMENT = ["VAN"] * 6 + ["REEFER"] * 3 + ["FLATBED"] * 2 + ["STEP_DECK", "POWER_ONLY"]
COMMODITIES = {
    "VAN": ["Dry groceries", "Paper goods", "Consumer electronics", "Auto parts", "Furniture"],
    "REEFER": ["Frozen poultry", "Fresh produce", "Dairy", "Ice cream", "Seafood"],
    "FLATBED": ["Steel coils", "Lumber", "Building materials", "Pipe"],
    "STEP_DECK": ["Machinery", "Tractors", "Transformers"],
    "POWER_ONLY": ["Preloaded trailer", "Drop trailer"],
}
# Each status tab, the load statuses shown under it, and its weight among seeded loads.
TAB_STATUS = [
    (LoadTab.AVAILABLE, ["Available", "Posted"], 25),
    (LoadTab.COVERED, ["Covered", "Dispatched"], 30),
    (LoadTab.IN_TRANSIT, ["In Transit", "At Pickup", "At Delivery"], 25),
    (LoadTab.DELIVERED, ["Delivered"], 20),
]
TAB_WEIGHTS = [w for _, _, w in TAB_STATUS]
SPECIAL_INSTRUCTIONS = [
    "Driver assist unload",
    "TWIC required",
    "No touch freight",
    "Call 1 hr ahead",
    "Tarps required",
    "Seal must stay intact",
]
VERIFICATION_REASONS = [
    "Insurance expired",
    "Missing W9 form",
    "Authority not active with FMCSA",
    "Cargo insurance below $100,000 minimum",
    "MC number under 6 months old",
    "Out-of-service order on file",
    "Unsatisfactory safety rating",
    "Double brokering suspected",
    "Phone number does not match FMCSA record",
    "Carrier not authorized for hire",
]
VERIFICATION_STAGES = ["Verification", "Insurance check", "Authority check", "Onboarding"]
ESCALATION_MESSAGES = [
    ("RATE_NEGOTIATION", "Carrier asks for ${amt} over max buy; needs approval."),
    ("APPOINTMENT", "Receiver cannot take the load at the booked appointment; reschedule needed."),
    ("DETENTION", "Driver held at shipper for over 3 hours; carrier requests detention pay."),
    ("TRACKING", "Driver not answering and tracking went dark near {city}."),
    ("COMPLIANCE", "Carrier's insurance certificate does not list the shipper as holder."),
    ("CUSTOMER_REQUEST", "Customer asks to add a stop; carrier wants a new rate."),
]
# Drawn uniformly: the repeats make ACTIVE twice as likely as each other status.
ESCALATION_STATUS_WEIGHTS = [
    EscalationStatus.ACTIVE,
    EscalationStatus.ACTIVE,
    EscalationStatus.RESPONDED,
    EscalationStatus.TIMED_OUT,
    EscalationStatus.CANCELLED,
]
AGENT_TYPES = ["CARRIER_SALES", "TRACKING", "CUSTOMER_SUPPORT", "APPOINTMENT_SCHEDULING"]
CALL_TYPES = [
    "Carrier Sales",
    "Check Call",
    "Customer Support",
    "Appointment Scheduling",
    "Driver Check-in",
]
CALL_STATUSES = ["COMPLETED"] * 10 + [
    "SCHEDULED",
    "IN_PROGRESS",
    "FAILED",
    "NO_ANSWER",
    "VOICEMAIL",
    "TRANSFERRED",
]


class _Rng(random.Random):
    """``random.Random`` with cheaper integer and choice helpers (seeding makes millions)."""

    def ri(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]


def iso(value: datetime) -> str:
    """``db.iso`` for the UTC datetimes made here, without strftime's cost."""
    return value.isoformat(timespec="milliseconds")[:23] + "Z"


def _uuid(rng: _Rng) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _phone(rng: _Rng) -> str:
    return f"+1{rng.ri(201, 989)}555{rng.ri(1000, 9999)}"


class _Carriers:
    def __init__(self, rng: _Rng, count: int, anchor: datetime) -> None:
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
                    "id": "car_" + _uuid(rng),
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


def seed(db: Database, settings: SandboxSettings, *, anchor: datetime | None = None) -> None:
    """Fill an empty database; does nothing when it already holds data."""
    conn = db.connect()
    if conn.execute("SELECT 1 FROM organizations LIMIT 1").fetchone():
        return
    anchor = (anchor or now()).replace(microsecond=0)
    rng = _Rng(settings.seed)
    with db.write() as w:
        w.execute(
            "INSERT INTO meta VALUES ('anchor', ?), ('seed', ?)", (iso(anchor), str(settings.seed))
        )
        for org, name in ORG_NAMES.items():
            w.execute("INSERT INTO organizations VALUES (?, ?)", (org, name))
        w.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            (USER_ID, DEMO_EMAIL, password_hash(DEMO_PASSWORD), "Avery Quinn"),
        )
        w.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            (SOLO_USER_ID, SOLO_EMAIL, password_hash(DEMO_PASSWORD), "Sam Solo"),
        )
        w.executemany(
            "INSERT INTO memberships VALUES (?, ?, ?)",
            [(USER_ID, ORG_A, 0), (USER_ID, ORG_B, 1), (SOLO_USER_ID, ORG_B, 0)],
        )
        w.executemany(
            "INSERT INTO api_keys VALUES (?, ?, ?)",
            [
                (api_key_hash(settings.api_key), ORG_A, "demo"),
                (api_key_hash(SECOND_ORG_API_KEY), ORG_B, "demo second org"),
            ],
        )
    # Bulk inserts are much faster with the secondary indexes built once, afterwards.
    conn = db.connect()
    deferred = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('loads', 'calls', 'verifications', 'escalations', 'messages',"
            " 'attempts')"
        )
    ]
    for name in deferred:
        conn.execute(f"DROP INDEX {name}")
    carriers = _Carriers(rng, 80, anchor)
    for org, count, prefix in (
        (ORG_A, settings.loads, "LD"),
        (ORG_B, max(10, settings.loads // 10), "PF"),
    ):
        loads = _seed_loads(db, rng, org, count, prefix, carriers, anchor)
        if settings.seed_history:
            _seed_webhooks(db, rng, org, loads, anchor, settings)
    conn.executescript(SCHEMA)  # recreates the deferred indexes
    refresh_tab_counts(db)


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


def _seed_loads(
    db: Database,
    rng: _Rng,
    org: str,
    count: int,
    prefix: str,
    carriers: _Carriers,
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
    rng = _Rng(seed_key)
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
    rng: _Rng,
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
    rng: _Rng, o: tuple[Any, ...], d: tuple[Any, ...], pickup: datetime, transit_h: int
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
    rng: _Rng,
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
    load_id = "load_" + _uuid(rng)
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


def _gen_calls(rng: _Rng, load: _Load, anchor: datetime, showcase: bool) -> list[tuple[Any, ...]]:
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
        call_id = "call_" + _uuid(rng)
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
    rng: _Rng, load: _Load, carrier_rows: list[dict[str, Any]], showcase: bool
) -> list[tuple[Any, ...]]:
    """Failed vettings of carriers offered on the load (one load in 25 has any)."""
    if not (showcase or rng.random() < 0.04):
        return []
    rows = []
    for _ in range(rng.ri(1, 2)):
        c = rng.pick(carrier_rows)
        vt = load.created + timedelta(minutes=rng.ri(5, 600))
        v = {
            "id": _uuid(rng),
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
    rng: _Rng, load: _Load, calls: list[tuple[Any, ...]], showcase: bool
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
            "id": "esc_" + _uuid(rng),
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


def receiver_url(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/_sandbox/receivers/{name}"


RECEIVER_BASE_PLACEHOLDER = "http://127.0.0.1:8787"


def _event_data(rng: _Rng, kind: str, load: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"load_id": load["id"], "load_number": load["number"]}
    carrier = load["carrier"] or {"id": "car_" + _uuid(rng), "name": "Unbooked"}
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
            "call_id": "call_" + _uuid(rng),
            "call_direction": "OUTBOUND",
            "status": "COMPLETED",
            "duration_seconds": rng.ri(30, 600),
            "recording_status": "AVAILABLE",
        }
    elif kind == "carrier.verification_failed":
        data |= {"carrier_id": carrier["id"], "reasons": rng.sample(VERIFICATION_REASONS, 2)}
    elif kind.startswith("escalation."):
        data |= {
            "escalation_id": "esc_" + _uuid(rng),
            "message": "Carrier needs approval",
            "status": "RESPONDED",
        }
    elif kind.startswith("offer."):
        data |= {
            "offer_id": "ofr_" + _uuid(rng),
            "carrier_id": carrier["id"],
            "amount": load["rate"] + 100,
        }
    return data


def _seed_webhooks(
    db: Database,
    rng: _Rng,
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
            "id": "evt_" + _uuid(rng),
            "type": kind,
            "timestamp": iso(at),
            "data": _event_data(rng, kind, load),
        }
        payload = dumps(evt)
        recent = anchor - at < timedelta(minutes=20)
        for ep_id, name, subscribed in endpoints:
            if kind not in subscribed:
                continue
            message = ("msg_" + _uuid(rng), org, ep_id, kind, load["id"], payload, iso(at))
            msg_rows.append(message)
            outcome = _outcome(rng, name, recent)
            att_rows += _attempt_rows(rng, settings, anchor, message, at, name, outcome)
    stories = _seed_stories(_Rng(f"{settings.seed}:{org}:stories"), org, loads, endpoints, anchor,
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
    rng: _Rng,
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
            payload = dumps({"id": "evt_" + _uuid(rng), "type": kind, "timestamp": iso(at),
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
                message = ("msg_" + _uuid(rng), org, ep_id, kind, load["id"], payload, iso(at))
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
    db: Database, rng: _Rng, org: str, anchor: datetime
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
            ep_id = "ep_" + _uuid(rng)
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
    rng: _Rng,
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
            ("atmp_" + _uuid(rng), msg_id, ep_id, org, n, settings.max_attempts, result,
             row["next"], row["code"], row["excerpt"], row["error"], row["dur"], row["deliv"],
             iso(created), due, kind, load_id, None)
        )  # fmt: skip
    return rows


def _failure(rng: _Rng, receiver: str) -> dict[str, Any]:
    """How a failed attempt failed: refused, 503 (always so for the down receiver) or 500."""
    if receiver == "down" or rng.random() < 0.3:
        if rng.random() < 0.2:
            return {"error": "Connection refused", "dur": rng.ri(1, 5)}
        return {"code": 503, "excerpt": "Service Unavailable", "dur": rng.ri(20, 200)}
    return {"code": 500, "excerpt": '{"error":"internal"}', "dur": rng.ri(50, 900)}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _outcome(rng: _Rng, receiver: str, recent: bool) -> list[AttemptStatus]:
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
