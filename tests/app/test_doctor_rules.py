"""The signature doctor on crafted deliveries: a good one verifies, and each usual culprit is
diagnosed by name."""

from __future__ import annotations

import json
import time

from components.domain import doctor
from envoy_api.signing import generate_secret, sign

SECRET, OLD, OTHER = generate_secret(), generate_secret(), generate_secret()
BODY = json.dumps({"id": "evt_1", "type": "load.status_changed", "data": {
    "load_id": "load_1", "to_status": "In Transit", "note": "café"}},
    separators=(",", ":"), ensure_ascii=False)  # fmt: skip
NOW = time.time()


def headers(*secrets: str, ts: float = NOW, body: str = BODY) -> str:
    signatures = " ".join(sign(s, "msg_1", int(ts), body) for s in secrets)
    return f"webhook-id: msg_1\nWebhook-Timestamp: {int(ts)}\nwebhook-signature: {signatures}\n"


def check(body: str, head: str, secret: str = SECRET) -> doctor.Diagnosis:
    return doctor.diagnose(body, head, secret, NOW, sent_to="Broker portal")


def test_a_good_delivery_verifies_step_by_step() -> None:
    d = check(BODY, headers(SECRET))
    assert d.verified and d.culprits == []
    assert [s.title for s in d.steps] == ["Headers", "Secret format", "Timestamp", "Signature"]
    assert {s.outcome for s in d.steps} == {"ok"}


def test_headers_pasted_as_json_or_from_curl_verify_too() -> None:
    as_json = json.dumps(doctor.parse_headers(headers(SECRET)))
    assert check(BODY, as_json).verified
    curl = "\n".join("< " + line for line in headers(SECRET).splitlines())
    assert check(BODY, curl).verified


def test_a_trailing_newline_is_named() -> None:
    d = check(BODY + "\n", headers(SECRET))
    assert not d.verified and d.culprits[0] == doctor.NEWLINE


def test_a_re_serialized_body_is_named() -> None:
    for changed in (
        json.dumps(json.loads(BODY), indent=None),  # spaces after , and :
        json.dumps(json.loads(BODY), sort_keys=True, separators=(",", ":")),  # key order
        json.dumps(json.loads(BODY), separators=(",", ":")),  # é as \\u00e9
    ):
        assert changed != BODY
        d = check(changed, headers(SECRET))
        assert not d.verified and d.culprits[0] == doctor.RESERIALIZED, changed


def test_the_old_secret_in_a_rotation_grace_window_is_named() -> None:
    d = check(BODY, headers(SECRET, OLD), secret=OLD)
    assert d.verified and d.culprits[0] == doctor.OLD_SECRET
    assert d.steps[-1].outcome == "warn" and "second signature" in d.steps[-1].detail


def test_another_endpoints_secret_is_named_with_where_it_went() -> None:
    d = check(BODY, headers(SECRET), secret=OTHER)
    assert not d.verified and d.culprits[0] == doctor.WRONG_ENDPOINT
    assert "sent to Broker portal" in d.steps[-1].detail


def test_a_stale_timestamp_is_named_and_how_far_off() -> None:
    d = check(BODY, headers(SECRET, ts=NOW - 3 * 3600))
    assert d.verified and doctor.STALE in d.culprits
    step = next(s for s in d.steps if s.title == "Timestamp")
    assert step.outcome == "warn" and step.detail.startswith("3 h 0 min ago")


def test_a_malformed_secret_or_missing_header_stops_early_and_says_so() -> None:
    d = check(BODY, headers(SECRET), secret="whsec_not base64!")
    assert not d.verified and d.culprits == [doctor.SECRET_FORMAT]
    d = check(BODY, "webhook-id: msg_1\n")
    assert d.culprits[0] == doctor.HEADER_MISSING
    assert "webhook-timestamp, webhook-signature" in d.steps[0].detail
    d = check(BODY, headers(SECRET), secret=" " + SECRET + "\n")
    assert d.verified and d.steps[1].outcome == "warn"
