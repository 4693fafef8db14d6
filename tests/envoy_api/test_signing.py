"""Our Standard Webhooks signing against the independent ``standardwebhooks`` package."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from envoy_api import signing

from . import payloads as P

BODY = json.dumps(P.PAYLOAD)
MSG = P.MSG_ID


def headers(sig: str, ts: int | None = None) -> dict[str, str]:
    return {
        "webhook-id": MSG,
        "webhook-timestamp": str(int(time.time()) if ts is None else ts),
        "webhook-signature": sig,
    }


def test_ours_verifies_with_standardwebhooks() -> None:
    ts = int(time.time())
    sig = signing.sign(P.SECRET, MSG, ts, BODY)
    assert sig.startswith("v1,")
    assert Webhook(P.SECRET).verify(BODY, headers(sig, ts)) == P.PAYLOAD


def test_theirs_verifies_with_ours() -> None:
    now = datetime.now(UTC)
    sig = Webhook(P.SECRET).sign(MSG, now, BODY)
    assert signing.verify([P.SECRET], headers(sig, int(now.timestamp())), BODY) == 0


def test_tampered_body_wrong_secret_stale_timestamp() -> None:
    ts = int(time.time())
    sig = signing.sign(P.SECRET, MSG, ts, BODY)
    with pytest.raises(signing.WebhookVerificationError):
        signing.verify(P.SECRET, headers(sig, ts), BODY.replace("LD1", "LD9"))
    other = signing.generate_secret()
    with pytest.raises(signing.WebhookVerificationError):
        signing.verify(other, headers(sig, ts), BODY)
    old = ts - 600
    stale = signing.sign(P.SECRET, MSG, old, BODY)
    with pytest.raises(signing.WebhookVerificationError, match="tolerance"):
        signing.verify(P.SECRET, headers(stale, old), BODY)
    # and the independent package agrees
    with pytest.raises(WebhookVerificationError):
        Webhook(P.SECRET).verify(BODY.replace("LD1", "LD9"), headers(sig, ts))


@pytest.mark.parametrize("bad", ["", "v1", "nonsense", "v2,abc"])
def test_malformed_signature_header(bad: str) -> None:
    with pytest.raises(signing.WebhookVerificationError):
        signing.verify(P.SECRET, headers(bad), BODY)


def test_missing_header_and_bad_timestamp() -> None:
    with pytest.raises(signing.WebhookVerificationError, match="missing"):
        signing.verify(P.SECRET, {"webhook-id": MSG}, BODY)
    with pytest.raises(signing.WebhookVerificationError, match="integer"):
        signing.verify(P.SECRET, headers("v1,x", None) | {"webhook-timestamp": "soon"}, BODY)


def test_two_secrets_in_one_header_both_verify() -> None:
    old, new = P.SECRET, signing.generate_secret()
    ts = int(time.time())
    header = f"{signing.sign(new, MSG, ts, BODY)} {signing.sign(old, MSG, ts, BODY)}"
    h = headers(header, ts)
    assert signing.verify([new], h, BODY) == 0
    assert signing.verify([old], h, BODY) == 0
    assert signing.verify(["whsec_" + "A" * 32, old], h, BODY) == 1
    Webhook(old).verify(BODY, h)
    Webhook(new).verify(BODY, h)


def test_generated_secret_shape() -> None:
    secret = signing.generate_secret()
    assert secret.startswith("whsec_") and len(secret) > 30
