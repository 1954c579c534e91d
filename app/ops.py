"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    generate_latest,
)
from sqlalchemy import func, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from app.db import utcnow
from app.enums import OPEN_STATUSES
from app.fanout.models import ConnectorTask
from app.mail.models import Message
from app.migrations import schema_problem
from app.requests.models import DsrRequest
from app.web import SessionDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is current."""
    engine: AsyncEngine = request.app.state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        problem = await schema_problem(engine)
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse(
            {"status": "unavailable", "detail": type(exc).__name__}, status_code=503
        )
    if problem:
        return JSONResponse(
            {"status": "unavailable", "detail": problem}, status_code=503
        )
    return JSONResponse({"status": "ok"})


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(session: SessionDep) -> Response:
    """Prometheus metrics, computed from the database at scrape time."""
    registry = CollectorRegistry()
    open_tickets = Gauge(
        "dsr_requests_open", "Open requests", ["status", "type"], registry=registry
    )
    overdue = Gauge(
        "dsr_requests_overdue", "Open requests past due", ["type"], registry=registry
    )
    tasks = Gauge("dsr_tasks", "Connector tasks", ["status"], registry=registry)
    mail = Gauge("dsr_mail_messages", "Messages by state", ["state"], registry=registry)
    is_open = col(DsrRequest.status).in_(OPEN_STATUSES)
    rows = await session.execute(
        select(DsrRequest.status, DsrRequest.type, func.count())
        .where(is_open)
        .group_by(col(DsrRequest.status), col(DsrRequest.type))
    )
    for status, kind, count in rows:
        open_tickets.labels(status=status, type=kind).set(count)
    due = func.coalesce(col(DsrRequest.extended_due_at), col(DsrRequest.due_at))
    rows_overdue = await session.execute(
        select(DsrRequest.type, func.count())
        .where(is_open, due < utcnow())
        .group_by(col(DsrRequest.type))
    )
    for kind, count in rows_overdue:
        overdue.labels(type=kind).set(count)
    for status, count in await session.execute(
        select(ConnectorTask.status, func.count()).group_by(col(ConnectorTask.status))
    ):
        tasks.labels(status=status).set(count)
    for state, count in await session.execute(
        select(Message.state, func.count()).group_by(col(Message.state))
    ):
        mail.labels(state=state).set(count)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
