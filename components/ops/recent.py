"""The signed-in agent's recent searches and opened loads (``store.recent``).

Keyed by the user's email (the local single user's is ``local``) and the organization, so two
agents on one console never see each other's, and an organization's loads are offered only in
it. Remembering is a convenience: a database that fails loses the entry and is logged, and the
page the agent asked for still opens.
"""

from __future__ import annotations

import logging

import streamlit as st

from components import store
from components.domain.find import Query
from components.domain.rights import User

log = logging.getLogger("envoy_console.recent")
RECENT_SECONDS = 60  # how long another replica's or tab's new entry may take to show here


def note_search(user: User, organization_id: str | None, query: Query) -> None:
    """Remember a search (never an empty one or a pasted secret)."""
    if query.keepable:
        _remember(user, organization_id, "search", query.term, query.term)


def note_load(user: User, organization_id: str | None, load_id: str, load_number: str) -> None:
    """Remember an opened load, shown by its number."""
    _remember(user, organization_id, "load", load_id, load_number)


def _remember(user: User, org: str | None, kind: str, value: str, label: str) -> None:
    try:
        newest = next((e for e in _read(store.database_url(), user.email, org)
                       if e.kind == kind), None)  # fmt: skip
        if newest is not None and newest.value == value:
            return  # already on top: a rerun of the same search writes nothing
        store.remember(user.email, org, kind, value, label)
    except store.StoreError as exc:
        log.warning("a recent %s was not remembered: %s", kind, exc)
    _read.clear(store.database_url(), user.email, org)


# Read on every page's run (the sidebar offers them): kept for a while per database (tests
# switch it), user and organization, and forgotten on this replica when its agent remembers
# something new.
@st.cache_data(ttl=RECENT_SECONDS, max_entries=1000, show_spinner=False)
def _read(database: str, user_key: str, organization_id: str | None) -> list[store.Recent]:
    return store.recent(user_key, organization_id)


def recent(user: User, organization_id: str | None) -> tuple[list[store.Recent], str | None]:
    """(the user's recent entries, newest first; why they could not be read, or None)."""
    try:
        return _read(store.database_url(), user.email, organization_id), None
    except store.StoreError as exc:
        return [], str(exc)
