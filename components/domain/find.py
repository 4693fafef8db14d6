"""Find anything from one box: what a pasted term is, and how its hits are ranked.

A broker reads out whatever is in front of them (a load number, a ``msg_…`` from their
receiver's ``webhook-id`` header, an ``evt_…`` from their logs, their endpoint's URL), often
with quotes or a full stop around it. ``read`` cleans the term and names its kind by prefix
and shape, so the data layer asks the API only what that kind needs; ``rank`` orders what came
back into one list grouped by kind, the best match first. Pure: no Streamlit, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from components.domain.formats import words
from components.domain.story import safe_url
from envoy_api import Load, WebhookEndpoint

LIMIT = 200  # characters searched (the API's own bound on a load search)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_PREFIXED = re.compile(rf"([a-z]+)_({UUID})", re.IGNORECASE)
_BARE = re.compile(UUID, re.IGNORECASE)
_QUOTES = "\"'`“”‘’«»„"
_LABEL = re.compile(r"^(?:webhook-id|message[ _-]?id|event[ _-]?id|id)\s*[:=]\s*", re.IGNORECASE)
_PAIR = re.compile(r"^(.+?)\s+(?:to|→|->|=>|>|–|—|-)\s+(.+)$", re.IGNORECASE)
_SECRET = re.compile(r"^(?:whsec_|envai_|Bearer\s|eyJ)", re.IGNORECASE)


class Kind(StrEnum):
    EMPTY = "empty"
    SECRET = "secret"  # a signing secret or credential: never searched, never kept
    UNSEARCHABLE = "unsearchable"  # an id of a kind the console cannot look up
    LOAD = "load"
    MESSAGE = "message"
    EVENT = "event"
    ATTEMPT = "attempt"
    ENDPOINT = "endpoint"
    CALL = "call"
    ESCALATION = "escalation"
    UUID = "uuid"  # a bare uuid: a load, a message or an endpoint
    URL = "url"
    CITY_PAIR = "city_pair"
    TEXT = "text"


PREFIXES = {
    "load": Kind.LOAD,
    "msg": Kind.MESSAGE,
    "evt": Kind.EVENT,
    "atmp": Kind.ATTEMPT,
    "ep": Kind.ENDPOINT,
    "call": Kind.CALL,
    "esc": Kind.ESCALATION,
}
# Ids Envoy has that the console has no way to look up, as an agent says them.
OTHER_IDS = {
    "car": "a carrier",
    "org": "an organization",
    "usr": "a user",
    "ofr": "an offer",
    "otr": "an offer",
    "con": "a contact",
    "key": "an API key",
}
SEARCHABLE = (
    "load numbers, customer, carrier or city names (or a pair: “Dallas to Memphis”), "
    "load_…, msg_… (the webhook-id header), evt_…, atmp_…, ep_…, call_… and esc_… ids, "
    "an endpoint's URL or description"
)


@dataclass(frozen=True)
class Query:
    """A cleaned term and its kind. ``cut`` says the term was longer than ``LIMIT``; ``what``
    names an unsearchable id's kind; ``pair`` is a city pair's two cities."""

    term: str
    kind: Kind
    cut: bool = False
    what: str = ""
    pair: tuple[str, str] = ("", "")

    @property
    def keepable(self) -> bool:
        """Whether it may go into the agent's recent searches (never a secret or nothing)."""
        return self.kind not in (Kind.EMPTY, Kind.SECRET)


def clean(raw: str) -> tuple[str, bool]:
    """The term without surrounding spaces, quotes, a trailing full stop or comma, or a
    ``webhook-id:`` label; and whether it had to be cut to ``LIMIT`` characters."""
    text = " ".join(raw.split())
    cut = len(text) > LIMIT
    text = text[:LIMIT]
    before = None
    while before != text:
        before = text
        text = _LABEL.sub("", text.strip().strip(_QUOTES).rstrip(".,;").strip())
    return text, cut


def read(raw: str) -> Query:
    """The kind of a pasted term, by prefix and shape."""
    term, cut = clean(raw)
    if not term:
        return Query("", Kind.EMPTY, cut)
    if _SECRET.match(term):
        return Query("", Kind.SECRET, cut)
    if m := _PREFIXED.fullmatch(term):
        prefix, uuid = m.group(1).lower(), m.group(2).lower()
        if prefix in PREFIXES:
            return Query(f"{prefix}_{uuid}", PREFIXES[prefix], cut)
        return Query(f"{prefix}_{uuid}", Kind.UNSEARCHABLE, cut, OTHER_IDS.get(prefix, ""))
    if _BARE.fullmatch(term):
        return Query(term.lower(), Kind.UUID, cut)
    if re.match(r"^https?://", term, re.IGNORECASE):
        return Query(term, Kind.URL, cut)
    if (m := _PAIR.match(term)) and not any(c.isdigit() for c in term):
        return Query(term, Kind.CITY_PAIR, cut, pair=(m.group(1).strip(), m.group(2).strip()))
    return Query(term, Kind.TEXT, cut)


@dataclass(frozen=True)
class Hit:
    """One thing found: what it is, why it matched, and where it opens (a view's name in
    ``components.shell.nav`` and its URL parameters)."""

    kind: str  # "Loads", "Messages", "Endpoints", "Calls", "Escalations": its group
    label: str
    why: str
    view: str  # "load", "deliveries" or "webhooks"
    params: tuple[tuple[str, str], ...]
    score: int = 50  # higher first: an exact id 100, an exact number 90, a part of a name 40
    key: str = ""  # what makes two hits the same thing (its id)


GROUPS = ("Loads", "Messages", "Endpoints", "Calls", "Escalations")


def rank(hits: Sequence[Hit]) -> list[tuple[str, list[Hit]]]:
    """One list grouped by kind: the group with the best match first (then the usual order of
    kinds), and within a group the best match first; one row per thing found."""
    unique: dict[str, Hit] = {}
    for hit in hits:
        seen = unique.get(hit.key or hit.label)
        if seen is None or hit.score > seen.score:
            unique[hit.key or hit.label] = hit
    groups: dict[str, list[Hit]] = {}
    for hit in unique.values():
        groups.setdefault(hit.kind, []).append(hit)
    for rows in groups.values():
        rows.sort(key=lambda h: (-h.score, h.label))
    order = {g: i for i, g in enumerate(GROUPS)}
    return sorted(groups.items(), key=lambda g: (-g[1][0].score, order.get(g[0], len(order))))


def load_hit(load: Load, why: str, score: int) -> Hit:
    label = f"Load {load.load_number} · {load.customer_name or 'no customer'}"
    return Hit("Loads", label, why, "load", (("load_id", load.id),), score, load.id)


def _cities(load: Load) -> list[str]:
    return [s.location.city or "" for s in load.stops or []]


def _bare(text: str) -> str:
    """``text`` as a term is compared: case and a trailing full stop aside (``clean`` drops it)."""
    return text.casefold().rstrip(". ")


def load_match(load: Load, term: str) -> Hit:
    """Why a load the API's search returned matched ``term``, ranked: its number exactly, a
    name exactly, the start of a name, or a part of one (a city)."""
    t = _bare(term)
    number = _bare(load.load_number or "")
    names = {"customer": load.customer_name or "", "carrier": load.carrier_name or ""}
    if number == t:
        return load_hit(load, f"load number is {load.load_number}", 90)
    for role, name in names.items():
        if _bare(name) == t:  # "Acme Co." read out as "Acme Co"
            return load_hit(load, f"{role} is {name}", 70)
    if t in number:
        return load_hit(load, f"load number {load.load_number} contains “{term}”", 60)
    for role, name in names.items():
        if t in name.casefold():
            return load_hit(load, f"{role} {name} contains “{term}”", 50)
    stops = [c for c in _cities(load) if t in c.casefold()]
    if stops:
        return load_hit(load, f"a stop is in {stops[0]}", 40)
    return load_hit(load, f"Envoy's load search matched “{term}”", 30)


def pair_match(load: Load, origin: str, destination: str) -> Hit | None:
    """A load whose stops go from ``origin`` to ``destination`` (in that order), or None."""
    cities = [c.casefold() for c in _cities(load)]
    first = next((i for i, c in enumerate(cities) if origin.casefold() in c), None)
    if first is None or not any(destination.casefold() in c for c in cities[first + 1 :]):
        return None
    return load_hit(load, f"goes from {origin} to {destination}", 80)


def endpoint_hit(ep: WebhookEndpoint, why: str, score: int) -> Hit:
    label = f"Endpoint {ep.description or safe_url(ep.url)} · {words(ep.status)}"
    return Hit("Endpoints", label, why, "webhooks", (("endpoint_id", ep.id),), score, ep.id)


def endpoint_match(ep: WebhookEndpoint, term: str) -> Hit | None:
    """An endpoint whose id, URL (without query or user info: where tokens live) or
    description matches ``term``, or None."""
    t = term.casefold().rstrip("/")
    url = safe_url(ep.url)
    if ep.id == t:
        return endpoint_hit(ep, "endpoint id", 100)
    if url.casefold().rstrip("/") == t:
        return endpoint_hit(ep, f"URL is {url}", 90)
    if t and t in url.casefold():
        return endpoint_hit(ep, f"URL {url} contains “{term}”", 50)
    if t and t in (ep.description or "").casefold():
        return endpoint_hit(ep, f"description “{ep.description}” contains “{term}”", 45)
    return None


def message_hit(message_id: str, endpoint_id: str, event: str, why: str, score: int) -> Hit:
    label = f"Message {message_id} · {event}"
    params = (("endpoint_id", endpoint_id), ("message_id", message_id))
    return Hit("Messages", label, why, "deliveries", params, score, message_id)


def entry_hit(group: str, entry_id: str, load: Load, why: str) -> Hit:
    """A call or an escalation: it opens as its entry on its load's page."""
    label = f"{group[:-1]} {entry_id} · load {load.load_number}"
    params = (("load_id", load.id), ("entry", entry_id))
    return Hit(group, label, why, "load", params, 100, entry_id)
