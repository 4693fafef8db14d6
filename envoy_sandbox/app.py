"""The sandbox's FastAPI app: Envoy's ``/api/v1`` routes plus the ``/_sandbox`` helpers.

Responses are the stored JSON wire form, written out directly; the routes declare
``envoy_api``'s models as their response models so ``/openapi.json`` documents the same schema
the client parses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from . import seed, store
from .api import sandbox
from .api.main import api_router
from .auth import RateLimiter, token_secret
from .config import SandboxSettings
from .contract import API_PREFIX
from .db import Database
from .errors import CrashMiddleware, install
from .faults import FaultMiddleware, Faults, Stats
from .limits import BodyLimitMiddleware
from .sender import Sender
from .ticker import Ticker

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    settings: SandboxSettings | None = None,
    *,
    start_sender: bool = True,
    public_base: str | None = None,
) -> FastAPI:
    """Build the app over ``settings.db_path`` (schema made, seeded if empty).

    The sender (unless ``start_sender`` is false or webhooks are off) and the activity ticker
    (when ``ticker_seconds`` is set) run while the app is being served.
    """
    settings = settings or SandboxSettings()
    db = Database(settings.db_path)
    seed.seed(db, settings)
    if public_base:
        store.rebase_receivers(db, public_base)
    sender = Sender(db, settings)
    app = FastAPI(
        title="Envoy API (sandbox)",
        version="1.0.0",
        description="A local stand-in for Envoy's REST API, with demo receivers and faults.",
        lifespan=_lifespan(
            db,
            sender if start_sender and settings.send_webhooks else None,
            Ticker(sender) if settings.ticker_seconds else None,
        ),
    )
    app.state.db, app.state.sender, app.state.settings = db, sender, settings
    app.state.faults, app.state.stats = Faults(), Stats()
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.token_secret = token_secret(db, settings.token_secret)
    install(app)
    app.add_middleware(FaultMiddleware, faults=app.state.faults, stats=app.state.stats)
    app.add_middleware(BodyLimitMiddleware)  # outside the faults: a refused body is never served
    app.add_middleware(CrashMiddleware)  # added last: the outermost, so it covers the others
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(sandbox.router)
    app.include_router(sandbox.open_router)
    return app


def _lifespan(db: Database, sender: Sender | None, ticker: Ticker | None) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if sender:
            sender.start()
        if ticker:
            ticker.start()
        try:
            yield
        finally:
            if ticker:
                ticker.stop()
            if sender:
                sender.stop()
            db.close()  # after the threads that use it have stopped

    return lifespan
