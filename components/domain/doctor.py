"""The signature doctor: why a delivery's Standard Webhooks signature does not verify, step by
step, with the usual culprit named.

Pure: it takes the raw body, the headers as received and the receiver's secret, and returns the
steps. It keeps nothing; the page that calls it keeps the secret only for the run.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from components.domain.formats import interval
from envoy_api.signing import SECRET_PREFIX

TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its clock
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")

# The culprits the doctor names, as the page shows them.
RESERIALIZED = "Body re-serialized"
NEWLINE = "Trailing newline"
OLD_SECRET = "Old secret during a rotation"
WRONG_ENDPOINT = "Not this endpoint's secret"
STALE = "Timestamp outside the tolerance"
SECRET_FORMAT = "Secret malformed"
HEADER_MISSING = "Headers missing or malformed"


@dataclass(frozen=True)
class Step:
    title: str
    outcome: str  # "ok", "warn" or "fail"
    detail: str


@dataclass
class Diagnosis:
    steps: list[Step] = field(default_factory=list)
    verified: bool = False
    culprits: list[str] = field(default_factory=list)  # named causes, most likely first

    def add(self, title: str, outcome: str, detail: str) -> None:
        self.steps.append(Step(title, outcome, detail))


def parse_headers(text: str) -> dict[str, str]:
    """Headers as pasted: Name: value lines (curl -v's <  prefix allowed) or a JSON
    object; names lower-cased."""
    text = text.strip()
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            return {str(k).strip().lower(): str(v).strip() for k, v in loaded.items()}
    found: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.lstrip("<> ").partition(":")
        if sep and name.strip():
            found[name.strip().lower()] = value.strip()
    return found


def _signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _key(secret: str, d: Diagnosis) -> bytes | None:
    """The HMAC key from a whsec_ secret, saying what is wrong with it."""
    stripped = secret.strip()
    if stripped != secret:
        d.add(
            "Secret format",
            "warn",
            "The secret had spaces or a line break around it; they "
            "were ignored here. A receiver that keeps them computes a different signature.",
        )
    if not stripped:
        d.add("Secret format", "fail", "No secret given.")
        d.culprits.append(SECRET_FORMAT)
        return None
    raw = stripped.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        d.add(
            "Secret format",
            "fail",
            "After whsec_ the secret must be base64 (letters, digits, "
            "+ and /, = at the end): this one is not. Copy it again from where it was shown.",
        )
        d.culprits.append(SECRET_FORMAT)
        return None
    prefix = (
        "starts with whsec_"
        if stripped.startswith(SECRET_PREFIX)
        else ("has no whsec_ prefix (fine if the receiver's library expects the bare key)")
    )
    d.add("Secret format", "ok", f"The secret {prefix}; its key is {len(key)} bytes of base64.")
    return key


def _headers(headers: dict[str, str], d: Diagnosis) -> tuple[str, str, list[str]] | None:
    missing = [h for h in HEADERS if not headers.get(h)]
    if missing:
        d.add(
            "Headers",
            "fail",
            f"Missing: {', '.join(missing)}. Paste the headers exactly as "
            "the receiver got them (Standard Webhooks names, any case).",
        )
        d.culprits.append(HEADER_MISSING)
        return None
    msg_id, timestamp, raw = (headers[h] for h in HEADERS)
    problems = []
    if not re.fullmatch(r"\d{9,11}", timestamp):
        problems.append(f"webhook-timestamp “{timestamp[:40]}” is not Unix seconds")
    signatures = []
    for part in raw.split():
        version, sep, value = part.partition(",")
        if version == "v1" and sep and value:
            signatures.append(value)
        else:
            problems.append(f"“{part[:40]}” is not a v1,<base64> signature")
    if problems or not signatures:
        d.add("Headers", "fail", "; ".join(problems) or "webhook-signature holds no signature.")
        d.culprits.append(HEADER_MISSING)
        return None
    count = (
        f"{len(signatures)} signatures (a rotation's grace window: the new secret's first, "
        "the old one's second)"
        if len(signatures) > 1
        else "one signature"
    )
    d.add("Headers", "ok", f"webhook-id {msg_id}, webhook-timestamp {timestamp}, {count}.")
    return msg_id, timestamp, signatures


def _clock(timestamp: str, now: float, d: Diagnosis) -> None:
    off = now - int(timestamp)
    words = _span(abs(off))
    if abs(off) <= TOLERANCE:
        d.add(
            "Timestamp",
            "ok",
            f"{words} {'ago' if off >= 0 else 'ahead'}: inside the 5-minute tolerance.",
        )
        return
    d.add(
        "Timestamp",
        "warn",
        f"{words} {'ago' if off >= 0 else 'in the future'}: a receiver "
        "rejects it if it checks the 5-minute tolerance. Expected when you check an old "
        "delivery; for a live one, the receiver's clock is off (use NTP).",
    )
    d.culprits.append(STALE)


def _span(seconds: float) -> str:
    return interval(seconds)  # the console's one way of saying a length of time


def _variants(body: str) -> list[tuple[str, str]]:
    """What the sent body may have been, if the pasted one was changed on the way."""
    found: list[tuple[str, str]] = []
    for name, changed in ((NEWLINE, body.rstrip("\r\n")), (NEWLINE, body + "\n")):
        if changed != body:
            found.append((name, changed))
    try:
        parsed = json.loads(body)
    except ValueError:
        return found
    for sort_keys in (False, True):
        for separators in ((",", ":"), (", ", ": ")):
            for ascii_only in (False, True):
                text = json.dumps(
                    parsed, separators=separators, sort_keys=sort_keys, ensure_ascii=ascii_only
                )
                if text != body:
                    found.append((RESERIALIZED, text))
    return found


def _sorted_keys(body: str) -> bool:
    """Whether the body is JSON whose objects (at least one with two keys) all list their keys
    in alphabetical order."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    seen = [0]

    def walk(value: object) -> bool:
        if isinstance(value, dict):
            keys = list(value)
            seen[0] += len(keys) > 1
            return keys == sorted(keys) and all(walk(v) for v in value.values())
        if isinstance(value, list):
            return all(walk(v) for v in value)
        return True

    return walk(parsed) and seen[0] > 0


def diagnose(
    body: str,
    headers_text: str,
    secret: str,
    now: float,
    *,
    sent_to: str | None = None,
) -> Diagnosis:
    """Every step, in order; sent_to names the endpoint the delivery went to when known."""
    d = Diagnosis()
    parsed = _headers(parse_headers(headers_text), d)
    key = _key(secret, d)
    if parsed is None or key is None:
        return d
    msg_id, timestamp, offered = parsed
    _clock(timestamp, now, d)

    def match(text: str) -> int | None:
        """Which offered signature text as the body produces, if any."""
        mine = _signature(key, msg_id, timestamp, text.encode())
        return next((i for i, sig in enumerate(offered) if hmac.compare_digest(mine, sig)), None)

    index = match(body)
    if index is not None:
        d.verified = True
        if index == 0:
            d.add(
                "Signature",
                "ok",
                f"Computed over {msg_id}.{timestamp}.<body>, it matches "
                "the delivery's signature: this secret and body verify.",
            )
        else:
            d.add(
                "Signature",
                "warn",
                "It matches the second signature only: the old secret, "
                "during a rotation's grace window. It stops verifying when the window ends; "
                "switch the receiver to the new secret.",
            )
            d.culprits.insert(0, OLD_SECRET)
        return d
    _no_match(d, body, match, len(offered), sent_to)
    return d


def _no_match(
    d: Diagnosis, body: str, match: Callable[[str], int | None], offered: int, sent_to: str | None
) -> None:
    """Why no signature matched: a change to the body that explains it, or the secret."""
    for culprit, text in _variants(body):
        if match(text) is not None:
            how = (
                "a line break was added or removed at the end"
                if culprit == NEWLINE
                else "the JSON was parsed and written again (spacing, key order or unicode "
                "escapes changed)"
            )
            d.add(
                "Signature",
                "fail",
                f"The body pasted is not the body sent: {how}. Verify the "
                "raw bytes as received, before any JSON parsing or middleware.",
            )
            d.culprits.insert(0, culprit)
            return
    if _sorted_keys(body):
        d.add(
            "Signature",
            "fail",
            "No signature matches, and the body's keys are in alphabetical "
            "order at every level, which Envoy does not send: the JSON was most likely parsed "
            "and written again with sorted keys. Verify the raw bytes as received.",
        )
        d.culprits.insert(0, RESERIALIZED)
        return
    where = f" It was sent to {sent_to}, which signs with its own secret." if sent_to else ""
    rotation = (
        " The delivery carries two signatures (a rotation was under way); the secret "
        "matches neither."
        if offered > 1
        else ""
    )
    d.add(
        "Signature",
        "fail",
        "No signature matches, and no change to the body explains it: the "
        f"secret is not the one this delivery was signed with.{where}{rotation} Use the "
        "secret of that endpoint shown at its registration or last rotation.",
    )
    d.culprits.insert(0, WRONG_ENDPOINT)
