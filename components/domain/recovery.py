"""What a recovery job did, in words: its state as an agent reads it and its results.

A job is "finished" only when every replay's attempt has ended; one whose replays did not all
arrive is "finished with failures", never shown as a plain success.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

LIVE = frozenset({"queued", "running"})


def troubles(job: Mapping[str, Any]) -> int:
    """Messages the job could not get delivered: refused, failed again or unresolved."""
    return int(job["failed"]) + int(job["failed_again"]) + int(job["unresolved"])


def state(job: Mapping[str, Any]) -> str:
    """The job's state in words: "running: 3 replays to follow", "finished with failures"."""
    if job["state"] in LIVE and job["cancel_requested"]:
        return f"{job['state']} (cancelling)"
    following = waiting(job)
    if job["state"] == "running" and job["done"] >= job["total"] and following > 0:
        return f"running: following {following} {_s(following, 'replay')}"
    if job["state"] == "finished" and troubles(job):
        return "finished with failures"
    return str(job["state"])


def waiting(job: Mapping[str, Any]) -> int:
    """Messages whose end the job does not know yet (not replayed, or replayed and on the way)."""
    done = sum(int(job[k]) for k in ("failed", "delivered", "failed_again", "unresolved"))
    return int(job["total"]) - done


def summary(job: Mapping[str, Any], messages: Sequence[Mapping[str, Any]] = ()) -> str:
    """ "9 delivered, 3 failed again (503 from the receiver)": what the job's replays did."""
    parts = []
    if job["delivered"]:
        parts.append(f"{job['delivered']} delivered")
    if job["failed_again"]:
        codes = Counter(m["status_code"] for m in messages if m.get("result") == "failed_again")
        said = ", ".join(
            f"{code} from the receiver" if code else "no answer" for code, _ in codes.most_common(3)
        )
        parts.append(f"{job['failed_again']} failed again" + (f" ({said})" if said else ""))
    if job["unresolved"]:
        parts.append(f"{job['unresolved']} with no end yet")
    if job["failed"]:
        parts.append(f"{job['failed']} refused by Envoy")
    if waiting(job) > 0 and job["state"] in LIVE:
        parts.append(f"{waiting(job)} to go")
    return ", ".join(parts) or "nothing replayed yet"


def replay_words(message: Mapping[str, Any]) -> str:
    """What the job's replay of one message did and how its attempt ended."""
    outcome = message.get("outcome")
    if outcome is None:
        return "not replayed yet"
    if outcome == "failed":
        return f"refused by Envoy: {message.get('detail') or 'no detail'}"
    if message.get("result") is None:
        return f"attempt {message.get('attempt') or '?'} queued, waiting for its end"
    return str(message.get("result_detail") or message["result"])


def _s(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"
