"""Standard Webhooks signing, as contract §2.4 fixes it.

``sign`` makes one ``v1,<base64 HMAC-SHA256>`` signature over ``"{id}.{timestamp}.{body}"``;
``verify`` checks a delivery's headers against one or more secrets (several during a rotation's
grace window) and returns the index of the secret that matched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Mapping, Sequence
from datetime import datetime

__all__ = [
    "SECRET_PREFIX",
    "WebhookVerificationError",
    "generate_secret",
    "sign",
    "verify",
]

SECRET_PREFIX = "whsec_"


class WebhookVerificationError(ValueError):
    """The delivery could not be verified: bad signature, stale timestamp or malformed header."""


def generate_secret() -> str:
    """A new ``whsec_`` secret with 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (ValueError, TypeError) as exc:
        raise WebhookVerificationError("the signing secret is not valid base64") from exc


def _to_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def sign(secret: str, msg_id: str, timestamp: int | datetime, body: bytes | str) -> str:
    """Return the ``v1,<signature>`` value for one secret."""
    ts = int(timestamp.timestamp()) if isinstance(timestamp, datetime) else int(timestamp)
    to_sign = f"{msg_id}.{ts}.".encode() + _to_bytes(body)
    digest = hmac.new(_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing header {name}")


def verify(
    secrets: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> int:
    """Verify a delivery; return the index in ``secrets`` of the first secret that matched.

    Raises ``WebhookVerificationError`` on a missing or malformed header, a timestamp more than
    ``tolerance`` seconds off, or no matching signature.
    """
    candidates = [secrets] if isinstance(secrets, str) else list(secrets)
    msg_id = _header(headers, "webhook-id")
    raw_ts = _header(headers, "webhook-timestamp")
    raw_sigs = _header(headers, "webhook-signature")
    try:
        ts = int(raw_ts)
    except ValueError as exc:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from exc
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
    offered: list[str] = []
    for part in raw_sigs.split():
        version, sep, sig = part.partition(",")
        if not sep or not sig:
            raise WebhookVerificationError("webhook-signature is malformed")
        if version == "v1":
            offered.append(sig)
    if not offered:
        raise WebhookVerificationError("webhook-signature holds no v1 signature")
    for index, secret in enumerate(candidates):
        expected = sign(secret, msg_id, ts, body).partition(",")[2]
        if any(hmac.compare_digest(expected, sig) for sig in offered):
            return index
    raise WebhookVerificationError("no signature matched")
