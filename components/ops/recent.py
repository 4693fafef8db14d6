"""The signed-in agent's recent searches and opened loads (``store.recent``).

Keyed by the user's email (the local single user's is ``local``) and the organization, so two
agents on one console never see each other's, and an organization's loads are offered only in
it. Remembering is a convenience: a database that fails loses the entry and is logged, and the
page the agent asked for still opens.
"""

from __future__ import annotations

import logging

from components import store
from components.domain.find import Query
from components.domain.rights import User

log = logging.getLogger("envoy_console.recent")


def note_search(user: User, organization_id: str | None, query: Query) -> None:
    """Remember a search (never an empty one or a pasted secret)."""
    if query.keepable:
        _remember(user, organization_id, "search", query.term, query.term)


def note_load(user: User, organization_id: str | None, load_id: str, load_number: str) -> None:
    """Remember an opened load, shown by its number."""
    _remember(user, organization_id, "load", load_id, load_number)


def _remember(user: User, org: str | None, kind: str, value: str, label: str) -> None:
    try:
        store.remember(user.email, org, kind, value, label)
    except store.StoreError as exc:
        log.warning("a recent %s was not remembered: %s", kind, exc)


def recent(user: User, organization_id: str | None) -> tuple[list[store.Recent], str | None]:
    """(the user's recent entries, newest first; why they could not be read, or None)."""
    try:
        return store.recent(user.email, organization_id), None
    except store.StoreError as exc:
        return [], str(exc)
