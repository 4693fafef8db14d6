"""Loads: the tab counts, the filtered and searched list, one load and what hangs off it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from envoy_api import models as m

from .. import store
from ..auth import Caller
from ..contract import TAB_KEYS
from ..db import Database, dumps
from ..errors import APIError, error_responses, not_found
from .deps import (
    CALLER_ERRORS,
    ID_ERRORS,
    CallerDep,
    DbDep,
    PageNumber,
    PageSize,
    json_text,
    parse_id,
)

router = APIRouter(prefix="/loads", tags=["loads"], responses=error_responses(*CALLER_ERRORS))
WITH_ID = error_responses(*ID_ERRORS)


def _load(db: Database, who: Caller, load_id: str) -> tuple[str, str]:
    """(prefixed id, stored JSON) of a load of the caller's organization.

    Another organization's load is a 404, not a 403: nothing says that it exists.
    """
    lid = parse_id(load_id, "load", "load_id")
    body = store.load_body(db, who.org_id, lid)
    if body is None:
        raise not_found("load", "load_id")
    return lid, body


@router.get("/tab-counts", response_model=dict[str, int])
def get_tab_counts(who: CallerDep, db: DbDep) -> Response:
    return json_text(dumps(store.tab_counts(db, who.org_id)))


@router.get("", response_model=m.Page[m.Load])
def list_loads(
    who: CallerDep,
    db: DbDep,
    tab: Annotated[str | None, Query(max_length=50)] = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response:
    if tab and tab not in TAB_KEYS:
        raise APIError(422, f"Unknown tab '{tab}'.", code="validation_error", param="tab")
    return json_text(store.list_loads(db, who.org_id, tab, search, page, page_size))


@router.get("/{load_id}", response_model=m.Load, responses=WITH_ID)
def get_load(who: CallerDep, db: DbDep, load_id: str) -> Response:
    return json_text(_load(db, who, load_id)[1])


@router.get("/{load_id}/calls", response_model=list[m.Call], responses=WITH_ID)
def get_load_calls(who: CallerDep, db: DbDep, load_id: str) -> Response:
    return json_text(store.load_calls(db, _load(db, who, load_id)[0]))


@router.get(
    "/{load_id}/verifications", response_model=list[m.CarrierVerification], responses=WITH_ID
)
def get_load_failed_verifications(who: CallerDep, db: DbDep, load_id: str) -> Response:
    return json_text(store.failed_verifications(db, _load(db, who, load_id)[0]))


@router.get("/{load_id}/escalations", response_model=list[m.Escalation], responses=WITH_ID)
def get_load_active_escalations(who: CallerDep, db: DbDep, load_id: str) -> Response:
    return json_text(store.active_escalations(db, _load(db, who, load_id)[0]))
