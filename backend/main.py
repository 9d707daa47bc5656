"""The FastAPI application: `create_app(settings)` builds it; nothing here is a global.

The lifespan opens the database engine (unless one is handed in), loads or creates the JWT
secret and the placement-tree cache, runs the background `workers` it is given (the chain
writer) for as long as the app serves, and disposes of the engine on shutdown. Schema and seeds
are `backend.bootstrap`'s job, which `lineage run` calls before serving.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager, ExitStack, asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from backend.api.routes import api_router
from backend.chain.deployment import NodeStatusProvider, not_configured
from backend.chain.reads import ChainReads
from backend.core.config import Settings, get_settings
from backend.core.db import make_engine
from backend.core.errors import install_error_handlers
from backend.core.limits import RequestLimits, restore_recursion_limit
from backend.core.security import load_or_create_secret, utcnow
from backend.genealogy.tree_cache import PlacementTreeCache
from backend.web.app import mount_pages

DESCRIPTION = """Back office for network-marketing companies: accounts and roles, distributors
and their placement genealogy (mirrored on chain through an outbox), catalog, warehouse stock
and orders. Log in at `/api/auth/token` (OAuth2 password flow) and send the bearer token.
Every error has the shape `{"error": {"code", "message", "details"}}`."""

# Routes whose bodies may be large (lists of records, uploads): they get `max_bulk_body_bytes`.
BULK_BODY_PATHS = ("/api/distributors/batch",)
# ... and uploads under a resource's id: a period's bank statement (API and finance page).
BULK_BODY_SUFFIXES = ("/bank-statement",)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    chain_status: NodeStatusProvider | None = None,
    chain_reads: ChainReads | None = None,
    clock: Callable[[], datetime] = utcnow,
    workers: Sequence[Callable[[Engine], AbstractContextManager[object]]] = (),
) -> FastAPI:
    settings = settings or get_settings()
    # The imports above (web3's py_ecc) raised it to 100,000, which the C stack cannot honour.
    restore_recursion_limit()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        app.state.engine = engine or make_engine(settings.resolved_database_url)
        app.state.jwt_secret = load_or_create_secret(settings)
        try:
            with ExitStack() as running:
                for worker in workers:
                    running.enter_context(worker(app.state.engine))
                yield
        finally:
            if own_engine:
                app.state.engine.dispose()

    app = FastAPI(
        title="Lineage back office",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.chain_status = chain_status or not_configured
    # The chain reads of the API, one set per app (never built per request).
    app.state.chain_reads = chain_reads or ChainReads(settings.resolved_deployment_file)
    app.state.placement_trees = PlacementTreeCache(
        width=settings.tree_width, root_id=settings.default_sponsor_id
    )
    install_error_handlers(app)
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.max_body_bytes,
        max_bulk_body_bytes=settings.max_bulk_body_bytes,
        max_json_depth=settings.max_json_depth,
        bulk_paths=BULK_BODY_PATHS,
        bulk_suffixes=BULK_BODY_SUFFIXES,
    )
    app.include_router(api_router)
    # The web pages: another entry point over the same services (`backend.web`).
    mount_pages(app)
    return app
