"""The console's one way of writing enumerations, times, durations, ages and state colours.

Enumerations read as words (``words``): "CUSTOMER_REQUEST" is "Customer request" on every page,
and a delivery attempt's status says what happened to the message (``attempt_words``):
"Delivered", "Failed, will retry", "Dead".

Times are UTC, said once per page, and read "Dec 4, 13:54": the month's abbreviation, the day
without a leading zero, the 24-hour time. ``TIME_TEXT`` is that pattern for strftime and for
the charts' d3 formats (both read ``%-d`` as the day without padding; the console runs where
the C library does, Linux and macOS), and ``TIME_FORMAT`` the same for the tables' moment.js
columns. Where seconds matter (a story tooltip) ``TIME_SECONDS`` adds ":ss" and nothing else. A
duration is ``m:ss`` rounded to the nearest second, so 59.6 s reads "1:00" in the story, the
tables and the evidence pack alike; an age or an interval reads "3 h 12 min" (``age``,
``interval``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

TIME_TEXT = "%b %-d, %H:%M"  # strftime and d3: "Dec 4, 13:54"
TIME_SECONDS = "%b %-d, %H:%M:%S"  # the same with seconds: "Dec 4, 13:54:07"
DAY_TEXT = "%b %-d"  # the same, the day alone (a chart's daily buckets): "Dec 4"
TIME_FORMAT = "MMM D, HH:mm"  # moment.js, for st.column_config: "Dec 4, 13:54"
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
# What an agent reads for each attempt status (the words the tables, charts and sentences use).
STATUS_WORDS = {
    "SUCCEEDED": "Delivered",
    "FAILED": "Failed, will retry",
    "DEAD": "Dead",
    "PENDING": "Queued",
    "SENDING": "Sending",
}
# The same colours by the words shown: a chart coloured by ``attempt_words`` uses these.
WORD_COLORS = {STATUS_WORDS[s]: colour for s, colour in STATUS_COLORS.items()}
# Endpoint health states, by how urgently a human is needed.
STATE_COLORS = {
    "Disabled": "#c62828",
    "Failing": "#e53935",
    "Paused": "#9e9e9e",
    "Degraded": "#fb8c00",
    "Unknown": "#90a4ae",
    "Healthy": "#43a047",
}

# Abbreviations people say as letters: kept in capitals wherever they stand in a value.
ACRONYMS = frozenset({"AI", "API", "BOL", "DOT", "EDI", "ETA", "FTL", "HTTP", "ID", "LTL", "MC",
                      "OK", "PO", "POD", "SMS", "TMS", "URL", "UTC"})  # fmt: skip
_IDENTIFIER = re.compile(r"[A-Za-z0-9]+(?:[_ ]+[A-Za-z0-9]+)*")


def words(value: object, *, capital: bool = True) -> str:
    """An enumeration as words: ``words("CUSTOMER_REQUEST") == "Customer request"``.

    - An identifier (letters and digits joined by underscores or spaces, with an underscore or
      in capitals only: "STEP_DECK", "email_outreach", "REEFER") becomes lower-case words, the
      first capitalized: "Step deck", "Email outreach", "Reefer".
    - Abbreviations said as letters (``ACRONYMS``: "FTL", "LTL", "API", "OK", …) stay in
      capitals, alone or within a value: "FTL", "api" -> "API", "ok" -> "OK", "LOAD_ID" ->
      "Load ID".
    - Anything else is already words ("In Transit", "Check Call", "bulk replay", an error
      message) and is kept as it is, its first letter capitalized.
    - None and "" read "".

    ``capital=False`` leaves the first letter as the rule makes it, for a value inside a
    sentence: ``words("PAUSED", capital=False) == "paused"``.

    For enumerations only: ids (``load_…``, ``msg_…``) and event types (``load.updated``) are
    what the broker sees in their logs and are shown as they are, never through this.
    """
    if value is None:
        return ""
    return _words(str(value), capital)


# Tables put the same few enumerations through ``words`` row after row on every rerun (the
# board's escalations: three per row); a regular expression each time was most of their cells.
@lru_cache(maxsize=4096)
def _words(value: str, capital: bool) -> str:
    text = " ".join(value.split())
    if not text:
        return ""
    if text.upper() in ACRONYMS:
        return text.upper()
    if _IDENTIFIER.fullmatch(text) and ("_" in text or text.isupper()):
        parts = re.split(r"[_ ]+", text)
        text = " ".join(p.upper() if p.upper() in ACRONYMS else p.lower() for p in parts)
    return text[0].upper() + text[1:] if capital else text


def attempt_words(status: str | None, *, had_failure: bool = False) -> str:
    """A delivery attempt's (or a message's newest attempt's) status as an agent reads it:
    SUCCEEDED "Delivered", FAILED "Failed, will retry", DEAD "Dead", PENDING "Queued", SENDING
    "Sending". A PENDING attempt after a failure is a retry on its way: "Failed, will retry".
    A status the console does not know reads as ``words`` make it."""
    if status == "PENDING" and had_failure:
        return STATUS_WORDS["FAILED"]
    return STATUS_WORDS.get(status or "") or words(status)


def status_color(shown: str) -> str:
    """The colour of an attempt status, by its raw value or its words; grey when unknown."""
    return STATUS_COLORS.get(shown) or WORD_COLORS.get(shown) or NEUTRAL


def when(value: datetime | None, missing: str = UNKNOWN_TIME, *, seconds: bool = False) -> str:
    """A time in the console's one format, "Dec 4, 13:54" (with ``seconds``, "Dec 4, 13:54:07");
    ``missing`` when there is none."""
    if value is None:
        return missing
    return f"{value:{TIME_SECONDS if seconds else TIME_TEXT}}"


def span(start: datetime | None, end: datetime | None, missing: str = UNKNOWN_TIME) -> str:
    """A time range in the one format: "Dec 5, 11:00 – 13:00" within a day, else
    "Dec 5, 22:00 – Dec 6, 02:00"; a range without an end is its start."""
    if start is None:
        return when(end, missing)
    if end is None:
        return when(start)
    if end.date() == start.date():
        return f"{when(start)} – {end:%H:%M}"
    return f"{when(start)} – {when(end)}"


def duration(seconds: float | None) -> str:
    """``m:ss`` rounded to the nearest second, or "" when unknown."""
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def interval(seconds: float) -> str:
    """'45 s', '3 min', '3 h 12 min', '2 d 4 h': a length of time (seconds under 2 minutes)."""
    whole = max(0, int(seconds))
    if whole < 120:
        return f"{whole} s"
    return _minutes(whole)


def age(then: datetime | None, now: datetime | None = None) -> str:
    """'3 h 12 min', '2 d 4 h': how long ago ``then`` was ("" when unknown)."""
    if then is None:
        return ""
    return _minutes(max(0, int(((now or datetime.now(UTC)) - then).total_seconds())))


def _minutes(seconds: int) -> str:
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
