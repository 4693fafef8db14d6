"""What routes depend on: the app's shared objects, the authenticated caller, common parameters.

The shared objects live on ``app.state`` (``create_app`` puts them there), so routers hold no
globals and any number of apps can run side by side in one process.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import Response

from ..auth import Caller, RateLimiter, authenticate
from ..config import SandboxSettings
from ..db import Database
from ..errors import APIError
from ..faults import Faults, Stats
from ..sender import Sender


def _state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency that hands out ``app.state.<name>``, set up by the lifespan. Async: it never
    blocks, so it needs no worker thread."""

    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"get_{name}"
    return get


DbDep = Annotated[Database, Depends(_state("db"))]
SettingsDep = Annotated[SandboxSettings, Depends(_state("settings"))]
TokenSecretDep = Annotated[str, Depends(_state("token_secret"))]
SenderDep = Annotated[Sender, Depends(_state("sender"))]
FaultsDep = Annotated[Faults, Depends(_state("faults"))]
StatsDep = Annotated[Stats, Depends(_state("stats"))]


def get_caller(
    request: Request,
    db: DbDep,
    secret: TokenSecretDep,
    x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None,
    authorization: Annotated[str | None, Header()] = None,
    x_organization_id: Annotated[str | None, Header(alias="X-Organization-ID")] = None,
) -> Caller:
    """The authenticated caller and the organization it acts in, counted by the rate limiter.

    Sync on purpose: it reads SQLite, which must not hold up the event loop.
    """
    who = authenticate(db, secret, x_api_key, authorization, x_organization_id)
    limiter: RateLimiter = request.app.state.limiter
    limiter.check(who.credential)
    return who


CallerDep = Annotated[Caller, Depends(get_caller)]
# What a route behind CallerDep may answer besides success, documented on its router: no or a
# wrong credential, a foreign organization, a body over the size limit, a refused parameter
# (its header parameters alone make FastAPI document a 422) and the rate limit.
CALLER_ERRORS = (401, 403, 413, 422, 429)
# What a route adds with an id in its path: a malformed id (400), or none of the caller's (404).
ID_ERRORS = (400, 404)
# What a route adds with a JSON body: one that does not parse (400).
BODY_ERRORS = (400,)

# ---- parameters and responses the routers share ----

PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=100)]

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ID = re.compile(rf"^(?:([a-z]+)_)?({_UUID})$")


def parse_id(value: str, prefix: str, param: str) -> str:
    """``{prefix}_{uuid}`` or a bare uuid → the prefixed form; anything else → 400."""
    match = _ID.match(value.strip().lower())
    if match is None or (match.group(1) and match.group(1) != prefix):
        raise APIError(
            400,
            f"'{param}' must look like '{prefix}_<uuid>'.",
            code="invalid_id_format",
            param=param,
        )
    return f"{prefix}_{match.group(2)}"


def json_text(text: str, status: int = 200) -> Response:
    """Already-serialized JSON (stored wire forms), sent as is."""
    return Response(content=text, status_code=status, media_type="application/json")
