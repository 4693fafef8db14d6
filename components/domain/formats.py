"""The console's one way of writing times, durations, ages and state colours.

Times are UTC, said once per page. ``TIME_TEXT`` (strftime) and ``TIME_FORMAT`` (the table
columns' moment.js pattern) write the same text, "Nov 29, 16:41"; charts read ``TIME_TEXT``
too (d3 and strftime agree on it). A duration is ``m:ss`` rounded to the nearest second, so
59.6 s reads "1:00" in the story, the tables and the evidence pack alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

TIME_TEXT = "%b %d, %H:%M"
TIME_FORMAT = "MMM D, HH:mm"
UNKNOWN_TIME = "an unknown time"

# Attempt statuses, by meaning: delivered green, waiting on a retry amber, given up red, queued
# blue, in flight purple; anything the console does not know is neutral grey.
STATUS_COLORS = {
    "SUCCEEDED": "#2e7d32",
    "FAILED": "#f9a825",
    "DEAD": "#c62828",
    "PENDING": "#1565c0",
    "SENDING": "#6a1b9a",
}
NEUTRAL = "#78909c"
# Endpoint health states, by how urgently a human is needed.
STATE_COLORS = {
    "Disabled": "#c62828",
    "Failing": "#e53935",
    "Paused": "#9e9e9e",
    "Degraded": "#fb8c00",
    "Unknown": "#90a4ae",
    "Healthy": "#43a047",
}


def when(value: datetime | None, missing: str = UNKNOWN_TIME) -> str:
    """A time in the console's one format (``missing`` when there is none)."""
    return f"{value:{TIME_TEXT}}" if value is not None else missing


def duration(seconds: float | None) -> str:
    """``m:ss`` rounded to the nearest second, or "" when unknown."""
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def age(then: datetime | None, now: datetime | None = None) -> str:
    """'3 h 12 min', '2 d 4 h': how long ago ``then`` was ("" when unknown)."""
    if then is None:
        return ""
    seconds = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
