"""The application factory: wires settings, database, routers and the in-process worker."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import ops
from app.access import HttpEdge
from app.api_docs import mount_api_docs
from app.audit.service import AUDIT_KEY
from app.db import make_engine
from app.errors import install_error_handlers
from app.exports import api as exports_api
from app.exports import views as exports_views
from app.fanout import api as fanout_api
from app.fanout.config import RUNTIME_KEY, FanoutRuntime, load_runtime
from app.flows import inbound
from app.identity import views as identity_views
from app.jobs import JobContext, Worker
from app.mail import api as mail_api
from app.mail import views as mail_views
from app.mail.smtpd import start_receiver
from app.paths import TEMPLATES_DIR
from app.requests import api as requests_api
from app.requests import views as requests_views
from app.settings import Settings, derived_key, process_environment
from app.ui import connectors as ui_connectors
from app.ui import dashboard as ui_dashboard
from app.ui import inbox as ui_inbox
from app.ui import login as ui_login
from app.ui import pages as ui_pages
from app.ui import queue as ui_queue
from app.ui import staff as ui_staff
from app.ui import ticket as ui_ticket
from app.wakeup import WAKEUP_KEY, Wakeup


def make_app_sessionmaker(
    settings: Settings, runtime: FanoutRuntime | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions on the configured database, carrying the audit key, the connectors and
    this process's wake-up events.

    Services reach them through `session.info`, so they stay free of HTTP and globals.
    """
    info: dict[str, object] = {
        AUDIT_KEY: derived_key(settings, "dsr-desk audit v1"),
        WAKEUP_KEY: Wakeup(),
    }
    if runtime is not None:
        info[RUNTIME_KEY] = runtime
    engine = make_engine(
        settings.database_url, pool_timeout=settings.database_pool_timeout
    )
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


def create_app(
    settings: Settings,
    *,
    run_worker: bool = False,
    smtp_host: str = "127.0.0.1",
    runtime: FanoutRuntime | None = None,
) -> FastAPI:
    """Build the web app; with `run_worker` it also runs the scheduler in-process.

    The connectors come from `runtime`, or from connectors.yaml (a bad file raises
    ConnectorsFileError). With `DSR_INBOUND_SMTP_PORT` set, the SMTP receiver for support@
    listens on `smtp_host`.
    """
    runtime = runtime or load_runtime(settings, process_environment())
    maker = make_app_sessionmaker(settings, runtime)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        receiver = None
        if settings.inbound_smtp_port:
            receiver = await start_receiver(
                maker, settings, ingest=inbound.ingest, hostname=smtp_host
            )
        worker = Worker(JobContext(settings, maker)) if run_worker else None
        if worker is not None:
            await worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            if receiver is not None:
                await receiver.stop()
            await app.state.engine.dispose()

    app = FastAPI(
        title="DSR Desk",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # app.api_docs serves Swagger UI from installed files
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.sessionmaker = maker
    app.state.engine = maker.kw["bind"]
    install_error_handlers(app)
    ui_pages.install(app)
    app.add_middleware(
        HttpEdge,
        https=settings.env == "production" and settings.base_url.startswith("https://"),
    )
    if settings.trusted_proxies:
        # Outermost, so rate limits and logs see the visitor's address, not the proxy's.
        app.add_middleware(
            ProxyHeadersMiddleware,
            trusted_hosts=[
                host.strip()
                for host in settings.trusted_proxies.split(",")
                if host.strip()
            ],
        )
    # The pages' stylesheets and script; served here so that no page needs inline ones.
    app.mount("/static", StaticFiles(directory=TEMPLATES_DIR / "static"), name="static")
    mount_api_docs(app)
    app.include_router(ops.router)
    app.include_router(requests_api.router)
    app.include_router(fanout_api.router)
    app.include_router(mail_api.router)
    app.include_router(exports_api.router)
    app.include_router(exports_views.router)
    app.include_router(requests_views.router)
    app.include_router(identity_views.router)
    app.include_router(ui_dashboard.router)
    app.include_router(ui_connectors.router)
    app.include_router(ui_staff.router)
    app.include_router(ui_login.router)
    app.include_router(ui_queue.router)
    app.include_router(ui_ticket.router)
    app.include_router(ui_inbox.router)
    if settings.is_dev:
        app.include_router(mail_views.router)
    return app
