"""Alert rules: what change of an endpoint's health is news, how often the team hears of a
flapping endpoint, and what an alert says. Pure: the evaluator (``ops.alerts``) reads, stores
and sends; everything it decides is decided here, with the clock passed in.

An endpoint is judged by the health state the board shows (``deliveries.endpoint_state``).
The team is told when it turns Failing or Disabled ("problem") and when it leaves them again
("recovered"). What the team was last told is kept (``announced``): a problem is announced at
most once per endpoint per ``FLAP_WINDOW``; a problem that came back within the window waits
until the window has passed and is announced then if it still holds. Every announced problem
gets its one recovery message. A muted endpoint is watched but not announced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from components.domain.formats import interval, when

FLAP_WINDOW = timedelta(minutes=15)
PROBLEMS = ("Failing", "Disabled")
OK = "ok"  # what the team was last told of an endpoint that is not in a problem state
KINDS = ("failing", "disabled", "recovered", "job")
CHANNELS = ("webhook", "mail")  # where an alert is sent besides the Alerts view
TOP_LOADS = 5
BACKOFF_FIRST = 30.0  # seconds before a failed send is tried again; doubled each time
BACKOFF_MOST = 3600.0


def announced_as(state: str) -> str:
    """What the team hears of a state: the problem itself, or "ok"."""
    return state if state in PROBLEMS else OK


@dataclass(frozen=True)
class Watch:
    """What the console knows of one endpoint from its last look."""

    state: str  # the health state last seen
    announced: str  # the last thing the team was told: "Failing", "Disabled" or "ok"
    last_problem_at: datetime | None = None  # when a problem was last announced
    muted_until: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """What one look at an endpoint changes: the state to keep, and the alert to send (a kind
    of ``KINDS``) with what the team is told from now on."""

    state: str
    announced: str
    alert: str | None = None


def decide(before: Watch | None, state: str, now: datetime) -> Decision:
    """The one alert rule. ``before`` None: the endpoint was never seen (registered since the
    last look), judged as if it had been fine."""
    was = before or Watch(state="Unknown", announced=OK)
    told = announced_as(state)
    if told == was.announced:
        return Decision(state, was.announced)
    if was.muted_until is not None and now < was.muted_until:
        return Decision(state, was.announced)  # heard nothing; said once the mute ends
    if told == OK:
        return Decision(state, OK, "recovered")
    recent = was.last_problem_at is not None and now - was.last_problem_at < FLAP_WINDOW
    if recent:
        return Decision(state, was.announced)  # flapping: held until the window has passed
    return Decision(state, told, told.lower())


def backoff(tries: int) -> timedelta:
    """How long after its ``tries``-th failure a send is tried again: 30 s, 1 min, 2 min, …
    up to an hour."""
    return timedelta(seconds=min(BACKOFF_FIRST * 2 ** max(tries - 1, 0), BACKOFF_MOST))


# ---- what an alert says ----


@dataclass(frozen=True)
class Subject:
    """One endpoint as an alert names it, with what the evaluator found out about it."""

    organization_id: str | None
    organization: str  # as people say it
    endpoint_id: str
    name: str  # its description, or its URL without user info, query or fragment
    state: str
    failure: str  # the latest failure in words ("HTTP 503 from the receiver")
    failing_streak: int
    loads_affected: int
    top_loads: tuple[str, ...]  # load numbers (or ids), oldest unheard first


@dataclass(frozen=True)
class Message:
    """An alert as the channels send it: a title, lines of text and the link to act on."""

    title: str
    lines: tuple[str, ...]
    link: str


def deep_link(console_url: str, endpoint_id: str, organization_id: str | None) -> str:
    """The endpoint's undelivered messages on the Deliveries page, where a recovery job starts."""
    query = {"endpoint_id": endpoint_id, "status": "undelivered"}
    if organization_id:
        query["org"] = organization_id
    return f"{console_url.rstrip('/')}/deliveries?{urlencode(query)}"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret in it (a custom header value, a token) replaced by "…"."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "…")
    return re.sub(r"whsec_[A-Za-z0-9+/=]+", "whsec_…", text)


def endpoint_message(kind: str, subject: Subject, console_url: str) -> Message:
    """What the team reads about an endpoint that turned failing, was disabled or recovered."""
    where = f"{subject.name} ({subject.organization})"
    link = deep_link(console_url, subject.endpoint_id, subject.organization_id)
    if kind == "recovered":
        lines = [f"It is no longer failing (now {subject.state.lower()})."]
        if subject.loads_affected:
            lines.append(
                f"{_count(subject.loads_affected, 'load')} still wait for a delivery: "
                "replay what they missed from the link."
            )
        return Message(f"Recovered: {where}", tuple(lines), link)
    title = f"{'Disabled' if kind == 'disabled' else 'Failing'}: {where}"
    streak = f" ({_count(subject.failing_streak, 'attempt')} in a row)"
    lines = [f"Failing with {subject.failure}{streak if subject.failing_streak else ''}."]
    if kind == "disabled":
        lines.insert(0, "Envoy disabled the endpoint: nothing is sent to it until it is enabled.")
    lines.append(f"Loads affected: {subject.loads_affected:,}.")
    if subject.top_loads:
        lines.append(f"First {len(subject.top_loads)}: {', '.join(subject.top_loads)}.")
    lines.append("The link opens its undelivered messages, ready for a recovery job.")
    return Message(title, tuple(lines), link)


def failure_words(code: int | None, error: str | None) -> str:
    """The latest failure: "HTTP 503 from the receiver", the sender's error, or "no answer"."""
    if code:
        return f"HTTP {code} from the receiver"
    return " ".join((error or "no answer").split())[:160]


@dataclass(frozen=True)
class JobEnd:
    """A recovery job that ended with failures, as its alert tells it."""

    job_id: str
    organization_id: str | None
    organization: str
    endpoint_id: str
    name: str
    state: str
    total: int
    failed: int  # replays refused, failed again or unresolved
    created_by: str


def job_message(job: JobEnd, console_url: str) -> Message:
    title = f"Recovery job ended with failures: {job.name} ({job.organization})"
    lines = (
        f"{_count(job.failed, 'message')} of {job.total:,} did not arrive "
        f"(job {job.job_id}, started by {job.created_by}, {job.state}).",
        "The link opens what is still undelivered.",
    )
    return Message(title, lines, deep_link(console_url, job.endpoint_id, job.organization_id))


def job_failures(job: dict[str, Any]) -> int:
    """How many of a finished job's messages did not arrive."""
    return sum(int(job.get(k) or 0) for k in ("failed", "failed_again", "unresolved"))


def muted_words(until: datetime | None, now: datetime) -> str:
    """ "muted until Dec 5, 14:00 (3 h 12 min)", or "" when not muted."""
    if until is None or until <= now:
        return ""
    return f"muted until {when(until)} ({interval((until - now).total_seconds())})"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun if n == 1 else noun + 's'}"


@dataclass(frozen=True)
class Channels:
    """Where alerts go besides the Alerts view (``[alerts]`` in secrets, or the environment)."""

    webhook_url: str = ""
    smtp_url: str = ""
    mail_to: tuple[str, ...] = ()
    console_url: str = "http://localhost:8501"
    interval: float = 60.0  # seconds between evaluations

    @property
    def names(self) -> tuple[str, ...]:
        """The channels configured, of ``CHANNELS``."""
        mail = bool(self.smtp_url and self.mail_to)
        return tuple(
            c for c, on in zip(CHANNELS, (bool(self.webhook_url), mail), strict=True) if on
        )

    def describe(self, channel: str) -> str:
        """A channel for people, without its secrets (the webhook's token path, a password)."""
        if channel == "webhook":
            return f"chat webhook at {urlsplit(self.webhook_url).hostname or 'an unreadable URL'}"
        host = urlsplit(self.smtp_url).hostname or "an unreadable URL"
        return f"mail to {', '.join(self.mail_to)} through {host}"

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in an alert or a log line: the URLs, their passwords."""
        found = [self.webhook_url, self.smtp_url, urlsplit(self.webhook_url).path]
        found.append(urlsplit(self.smtp_url).password or "")
        return tuple(s for s in found if s and s != "/")
