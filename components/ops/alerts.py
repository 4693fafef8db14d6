"""Failure alerts: the evaluator that watches every endpoint of every organization, and the
sender that takes its alerts to the team's chat and mail.

A thread in every replica (started with the first script run, like the recovery worker) tries
every ``interval`` seconds to hold the ``alerts`` lease in the console database; the replica
that holds it looks at each organization's endpoints (``data.watch``), applies the alert rules
(``domain.alerts``), records each transition with its alert in one transaction (so one alert per
transition whatever the replicas do) and sends what is due. A channel that fails is tried again
with back-off; the error it gave is kept for the Alerts view and the sidebar. Nothing here ever
logs or sends a secret: log lines name kinds of failure, alerts name endpoints by description
or by URL without user info or query, and every text is redacted of the endpoint's header
values and the channels' own URLs.
"""

from __future__ import annotations

import json
import logging
import smtplib
import socket
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from components import data, store
from components.data import watch
from components.data.connection import Connection, resolve_connection
from components.domain import alerts as rules
from components.domain.story import safe_url
from components.ops import background
from components.settings import setting

log = logging.getLogger("envoy_console.alerts")
OWNER = background.OWNER
LEASE = "alerts"
THREAD = "alert-evaluator"
PRIMED = ""  # the watch row that says an organization was looked at before
SEND_TIMEOUT = 10.0
JOB_LOOKBACK = timedelta(hours=1)  # jobs that ended longer ago are not news


def channels() -> rules.Channels:
    """The configured channels: the environment first, then ``[alerts]`` in secrets."""
    mail_to = setting("alerts", "mail_to", "ENVOY_ALERTS_MAIL_TO")
    return rules.Channels(
        webhook_url=setting("alerts", "webhook_url", "ENVOY_ALERTS_WEBHOOK_URL"),
        smtp_url=setting("alerts", "smtp_url", "ENVOY_ALERTS_SMTP_URL"),
        mail_to=tuple(a.strip() for a in mail_to.split(",") if a.strip()),
        console_url=setting(
            "alerts", "console_url", "ENVOY_ALERTS_CONSOLE_URL", "http://localhost:8501"
        ),
        interval=float(
            setting("alerts", "interval_seconds", "ENVOY_ALERTS_INTERVAL_SECONDS", "60")
        ),
    )


def lease_seconds(config: rules.Channels) -> float:
    """Long enough to outlive a slow round; short enough that another replica takes over soon
    after the holder died."""
    return max(3 * config.interval, 15.0)


# ---- one round ----


def run_once(now: datetime | None = None, conn: Connection | None = None) -> bool:
    """Evaluate and send, if this replica holds the lease; False when another one does."""
    config = channels()
    if not store.hold_lease(LEASE, OWNER, lease_seconds(config), now):
        return False
    conn = conn or resolve_connection()
    for org_id, org_name in organizations(conn):
        try:  # one organization failing (a revoked key) leaves the others watched
            evaluate(data.register(conn, org_id), org_name, config, now)
        except Exception as exc:
            log.warning(
                "could not evaluate the alert rules of an organization: %s", type(exc).__name__
            )
    deliver(config, now)
    return True


def organizations(conn: Connection) -> list[tuple[str | None, str]]:
    """Every organization the connection can see, as (id, how people say it)."""
    if not conn.organizations:
        return [(None, "the API key's organization")]
    return [(o.id, o.name if o.name == o.id else f"{o.name} ({o.id})") for o in conn.organizations]


def evaluate(
    ctx: data.Ctx, org_name: str, config: rules.Channels, now: datetime | None = None
) -> list[int]:
    """Look at every endpoint of the organization, record what changed and raise its alerts;
    the ids of the alerts raised. The first look at an organization only records: what already
    failed then is on the attention board, and alerts start with the next change."""
    now = now or datetime.now(UTC)
    org = ctx.organization_id
    looks = watch.look(ctx, now)
    known = store.watches(org)
    if PRIMED not in known:
        for found in looks:
            if found.endpoint.id not in known:
                state = found.state
                store.record_look(
                    org, found.endpoint.id, None, state, rules.announced_as(state), now=now
                )
        store.record_look(org, PRIMED, None, "primed", rules.OK, now=now)
        return []
    raised = [a for found in looks if (a := _judge(found, known, org, org_name, config, now))]
    names = {found.endpoint.id: _name(found.endpoint) for found in looks}
    return raised + _job_alerts(org, org_name, names, config, now)


def _judge(
    found: watch.Look,
    known: dict[str, dict[str, Any]],
    org: str | None,
    org_name: str,
    config: rules.Channels,
    now: datetime,
) -> int | None:
    before = known.get(found.endpoint.id)
    if found.health is None and found.endpoint.status not in ("DISABLED", "PAUSED"):
        return None  # its deliveries could not be read: no news either way, not a recovery
    was = (
        None
        if before is None
        else rules.Watch(
            before["state"], before["announced"], before["last_problem_at"], before["muted_until"]
        )
    )
    decided = rules.decide(was, found.state, now)
    if was is not None and (decided.state, decided.announced) == (was.state, was.announced):
        return None
    alert = None
    if decided.alert is not None:
        message = rules.endpoint_message(
            decided.alert, _subject(found, org, org_name), config.console_url
        )
        alert = _alert(decided.alert, message, _secrets(found, config))
    return store.record_look(
        org, found.endpoint.id, before, decided.state, decided.announced, alert, config.names, now
    )


def _subject(found: watch.Look, org: str | None, org_name: str) -> rules.Subject:
    h = found.health
    return rules.Subject(
        organization_id=org,
        organization=org_name,
        endpoint_id=found.endpoint.id,
        name=_name(found.endpoint),
        state=found.state,
        failure=rules.failure_words(found.last_code, found.last_error),
        failing_streak=h.failing_streak if h else 0,
        loads_affected=len(h.affected_loads) if h else 0,
        top_loads=found.loads[: rules.TOP_LOADS],
    )


def _name(endpoint: Any) -> str:
    description = " ".join((endpoint.description or "").split())
    return description[:120] or safe_url(endpoint.url)


def _secrets(found: watch.Look, config: rules.Channels) -> list[str]:
    """What an alert about this endpoint must not say: its header values, the channels' URLs."""
    values = [str(v) for v in (found.endpoint.headers or {}).values()]
    return [*values, *config.secrets]


def _alert(kind: str, message: rules.Message, secrets: list[str]) -> dict[str, Any]:
    return {
        "kind": kind,
        "title": rules.redact(message.title, secrets),
        "body": rules.redact("\n".join(message.lines), secrets),
        "link": message.link,
    }


def _job_alerts(
    org: str | None, org_name: str, names: dict[str, str], config: rules.Channels, now: datetime
) -> list[int]:
    """An alert for each recovery job that ended with failures in the last hour (once)."""
    raised = []
    for job in store.jobs(org, limit=50):
        ended = job.get("finished_at")
        failures = rules.job_failures(job)
        if ended is None or now - ended > JOB_LOOKBACK:
            continue
        if job["state"] not in ("finished", "failed") or (
            job["state"] == "finished" and not failures
        ):
            continue
        end = rules.JobEnd(
            job["id"],
            org,
            org_name,
            job["endpoint_id"],
            names.get(job["endpoint_id"], job["endpoint_id"]),
            job["state"],
            job["total"],
            failures or job["total"] - job["done"],
            job["created_by"],
        )
        alert = _alert("job", rules.job_message(end, config.console_url), list(config.secrets))
        found = store.raise_alert(
            org, job["endpoint_id"], alert, config.names, f"job:{job['id']}", now
        )
        if found is not None:
            raised.append(found)
    return raised


# ---- sending ----


def deliver(config: rules.Channels, now: datetime | None = None) -> int:
    """Send every alert due on a configured channel; how many went out."""
    now = now or datetime.now(UTC)
    sent = 0
    for due in store.due_sends(now):
        error = send(config, due["channel"], due["title"], due["body"], due["link"])
        retry = now + rules.backoff(due["tries"] + 1) if error is not None else None
        store.record_send(due["alert_id"], due["channel"], error, retry, now)
        if error is None:
            sent += 1
        else:
            log.warning("an alert could not be sent to the %s channel", due["channel"])
    return sent


def send(config: rules.Channels, channel: str, title: str, body: str, link: str) -> str | None:
    """Send one alert; None when the channel took it, else its error in words (redacted)."""
    if channel not in config.names:
        return f"the {channel} channel is no longer configured"
    try:
        if channel == "webhook":
            _post(config.webhook_url, title, body, link)
        else:
            _mail(config, title, body, link)
    except Exception as exc:
        return rules.redact(_said(exc), config.secrets)
    return None


class ChannelError(Exception):
    """A channel answered, but not with yes."""


def _said(exc: Exception) -> str:
    if isinstance(exc, ChannelError | smtplib.SMTPResponseException):
        return str(exc)[:300]
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"no answer within {SEND_TIMEOUT:g} s"
    return f"could not reach it ({type(exc).__name__})"


def payload(title: str, body: str, link: str) -> dict[str, Any]:
    """A Slack-compatible incoming webhook's JSON (Mattermost and Teams take the same)."""
    text = "\n".join((title, body, f"Open: {link}"))
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "url": link,
                    "text": {"type": "plain_text", "text": "Open in the console"},
                }
            ],
        },
    ]
    return {"text": text, "blocks": blocks}


def _post(url: str, title: str, body: str, link: str) -> None:
    content = json.dumps(payload(title, body, link))
    answer = httpx.post(
        url, content=content, headers={"Content-Type": "application/json"}, timeout=SEND_TIMEOUT
    )
    if answer.status_code >= 300:
        raise ChannelError(f"HTTP {answer.status_code}: {' '.join(answer.text.split())[:120]}")


def _mail(config: rules.Channels, title: str, body: str, link: str) -> None:
    parts = urlsplit(config.smtp_url)
    secure = parts.scheme == "smtps"
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ChannelError("the SMTP URL must be smtp://host:port or smtps://host:port")
    user = unquote(parts.username or "")
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = user if "@" in user else f"envoy-console@{socket.gethostname()}"
    message["To"] = ", ".join(config.mail_to)
    message.set_content(f"{body}\n\nOpen: {link}\n")
    smtp_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
    port = parts.port or (465 if secure else 25)
    with smtp_class(parts.hostname, port, timeout=SEND_TIMEOUT) as smtp:
        if not secure and parse_qs(parts.query).get("starttls") == ["1"]:
            smtp.starttls()
        if user:
            smtp.login(user, unquote(parts.password or ""))
        smtp.send_message(message)


# ---- what the screens show ----

_trouble: tuple[float, list[str]] = (0.0, [])
TROUBLE_SECONDS = 5.0  # how long a replica reuses what it read of the channels


def trouble() -> list[str]:
    """One short line per channel whose latest send failed ("Chat webhook failing: HTTP 500;
    retrying"); read at most every few seconds per replica."""
    global _trouble
    at, lines = _trouble
    if time.monotonic() - at < TROUBLE_SECONDS:
        return lines
    try:
        status = store.channel_status()
    except store.StoreError:
        status = {}
    lines = [
        f"{'Chat webhook' if c == 'webhook' else 'Mail'} alerts failing: "
        f"{(s['error'] or '')[:60]}; retrying"
        for c, s in sorted(status.items())
        if s["state"] == "failed"
    ]
    _trouble = (time.monotonic(), lines)
    return lines


# ---- the thread ----


def ensure_evaluator() -> None:
    """Start this process's evaluator thread once (``ENVOY_ALERTS_WORKER=0``: none)."""
    background.start_once(THREAD, "ENVOY_ALERTS_WORKER", _loop, quiet=True)


def _loop() -> None:
    while True:
        interval = 60.0
        try:
            interval = channels().interval
            run_once()
        except Exception as exc:  # the database or Envoy away for a moment: next round
            log.warning("the alert evaluator could not finish a round: %s", type(exc).__name__)
        time.sleep(max(interval, 0.5))
