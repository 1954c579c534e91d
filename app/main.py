"""The application factory: wires settings, database, routers and the in-process worker."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import ops
from app.audit.service import AUDIT_KEY, audit_key_from_secret
from app.db import make_engine
from app.errors import install_error_handlers
from app.jobs import JobContext, build_scheduler
from app.requests import api as requests_api
from app.settings import Settings


def make_app_sessionmaker(settings: Settings) -> async_sessionmaker[AsyncSession]:
    """Sessions on the configured database, carrying the audit key for event hashes."""
    return async_sessionmaker(
        make_engine(settings.database_url),
        expire_on_commit=False,
        info={AUDIT_KEY: audit_key_from_secret(settings.secret())},
    )


def create_app(settings: Settings, *, run_worker: bool = False) -> FastAPI:
    """Build the web app; with `run_worker` it also runs the scheduler in-process."""
    maker = make_app_sessionmaker(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler = build_scheduler(JobContext(settings, maker)) if run_worker else None
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await app.state.engine.dispose()

    app = FastAPI(
        title="DSR Desk",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.sessionmaker = maker
    app.state.engine = maker.kw["bind"]
    install_error_handlers(app)
    app.include_router(ops.router)
    app.include_router(requests_api.router)
    return app
