"""Credentials: API keys bound to one organization, bearer tokens for users in several.

Also how keys and passwords are stored (digests; the seeder writes them, login checks them) and
the per-credential rate limiter (a fixed one-minute window, generous by default).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass

from .config import TOKEN_TTL
from .db import Database
from .errors import APIError


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_hash(password: str) -> str:
    return hashlib.sha256(("envoy-sandbox:" + password).encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    org_id: str
    credential: str  # a digest naming the key or user, for rate limiting; never the secret
    user_id: str | None = None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_secret(db: Database, configured: str | None) -> str:
    """The secret that signs bearer tokens: ``configured``, or the database's own.

    The database's is made at random the first time and kept in ``meta``: a fixed default
    would let anyone who read this code mint tokens for any sandbox.
    """
    if configured:
        return configured
    with db.write() as w:
        w.execute(
            "INSERT OR IGNORE INTO meta VALUES ('token_secret', ?)", (secrets.token_urlsafe(32),)
        )
        row = w.execute("SELECT value FROM meta WHERE key = 'token_secret'").fetchone()
    return str(row[0])


def issue_token(secret: str, user_id: str, ttl: int = TOKEN_TTL) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = _b64(json.dumps({"sub": user_id, "exp": int(time.time()) + ttl}).encode())
    sig = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64(sig)}"


def read_token(secret: str, token: str) -> str | None:
    """The user id in a valid, unexpired token; None otherwise."""
    try:
        header, claims, sig = token.split(".")
        expected = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256)
        if not hmac.compare_digest(_b64(expected.digest()), sig):
            return None
        data = json.loads(_unb64(claims))
        if int(data.get("exp", 0)) < time.time():
            return None
        sub = data.get("sub")
        return sub if isinstance(sub, str) else None
    except (ValueError, TypeError, json.JSONDecodeError):
        return None


def login(db: Database, secret: str, email: str, password: str, ttl: int = TOKEN_TTL) -> str:
    row = (
        db.connect()
        .execute("SELECT id, password FROM users WHERE email = ?", (email.strip().lower(),))
        .fetchone()
    )
    if row is None or not hmac.compare_digest(row["password"], password_hash(password)):
        raise APIError(401, "Wrong email or password.")
    return issue_token(secret, row["id"], ttl)


def authenticate(
    db: Database,
    secret: str,
    api_key: str | None,
    authorization: str | None,
    organization_id: str | None,
) -> Caller:
    """Resolve the caller's organization; 401 for bad credentials, 403 for a foreign org."""
    conn = db.connect()
    org_header = (organization_id or "").strip() or None
    if api_key:
        digest = api_key_hash(api_key)
        row = conn.execute("SELECT org_id FROM api_keys WHERE key_hash = ?", (digest,)).fetchone()
        if row is None:
            raise APIError(401, "The API key is not valid.")
        if org_header and org_header != row["org_id"]:
            raise APIError(
                403, "This API key does not belong to that organization.", param="X-Organization-ID"
            )
        return Caller(org_id=row["org_id"], credential="key:" + digest[:16])
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise APIError(401, "Use 'Authorization: Bearer <token>'.")
        user_id = read_token(secret, token.strip())
        if user_id is None:
            raise APIError(401, "The bearer token is invalid or expired.")
        orgs = [
            r["org_id"]
            for r in conn.execute(
                "SELECT org_id FROM memberships WHERE user_id = ? ORDER BY position", (user_id,)
            )
        ]
        if not orgs:
            raise APIError(403, "This user belongs to no organization.")
        if org_header and org_header not in orgs:
            raise APIError(
                403, "You are not a member of that organization.", param="X-Organization-ID"
            )
        return Caller(org_id=org_header or orgs[0], credential="user:" + user_id, user_id=user_id)
    raise APIError(401, "Send an X-API-Key header or an Authorization: Bearer token.")


class RateLimiter:
    """At most ``per_minute`` requests per credential in each one-minute window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def check(self, credential: str) -> None:
        if self.per_minute <= 0:
            return
        now = time.time()
        window = int(now // 60)
        with self._lock:
            start, count = self._windows.get(credential, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._windows[credential] = (start, count)
        if count > self.per_minute:
            retry = max(1, math.ceil((window + 1) * 60 - now))
            raise APIError(
                429,
                f"Rate limit of {self.per_minute} requests a minute exceeded.",
                headers={"Retry-After": str(retry)},
            )
