"""The deadline sweep escalates each stage exactly once, however often and wherever it runs."""

import asyncio
from datetime import UTC, datetime

import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.audit import service as audit
from app.db import session_scope
from app.deadlines.sweep import sweep
from app.mail.models import Message
from app.main import make_app_sessionmaker
from app.requests.models import DsrRequest
from app.settings import Settings
from app.staff.models import Role
from tests.factories import make_request, make_staff

RECEIVED = datetime(2026, 3, 2, 10, tzinfo=UTC)  # gdpr: due 2026-04-02 (a Thursday)


async def _escalation_mails(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(Message)
        .where(Message.kind == "staff_escalation")
    )
    return int((await session.execute(query)).scalar_one())


async def _run(app: FastAPI, settings: Settings, now: datetime) -> tuple[int, int]:
    async with session_scope(app.state.sessionmaker) as session:
        result = await sweep(session, settings=settings, now=now)
    return result.at_risk, result.overdue


async def test_nothing_due_soon_changes_nothing(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        await make_request(session, received_at=RECEIVED)
    assert await _run(app, settings, datetime(2026, 3, 10, tzinfo=UTC)) == (0, 0)


async def test_at_risk_then_overdue_each_escalate_once(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    await make_staff(session, role=Role.ADMIN, email="boss@example.com")
    with time_machine.travel(RECEIVED, tick=False):
        dsr = await make_request(session, received_at=RECEIVED)
    at_risk_day = datetime(2026, 3, 27, 9, tzinfo=UTC)  # 6 days left
    assert await _run(app, settings, at_risk_day) == (1, 0)
    assert await _run(app, settings, at_risk_day) == (0, 0)
    overdue_day = datetime(2026, 4, 3, 9, tzinfo=UTC)
    assert await _run(app, settings, overdue_day) == (0, 1)
    assert await _run(app, settings, overdue_day) == (0, 0)
    session.expire_all()
    dsr = (await session.execute(select(DsrRequest))).scalar_one()
    assert dsr.escalated
    assert dsr.escalation_stage == "overdue"
    stages = [
        e.data["stage"]
        for e in await audit.timeline(session, dsr)
        if e.kind == "escalated"
    ]
    assert stages == ["at_risk", "overdue"]
    assert await _escalation_mails(session) == 2


async def test_overdue_first_seen_escalates_once(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        await make_request(session, received_at=RECEIVED)
    late = datetime(2026, 5, 1, tzinfo=UTC)
    assert await _run(app, settings, late) == (0, 1)
    assert await _run(app, settings, late) == (0, 0)


@pytest.mark.pg
async def test_two_workers_sweeping_at_once_send_one_escalation(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    await make_staff(session, role=Role.ADMIN, email="boss@example.com")
    with time_machine.travel(RECEIVED, tick=False):
        for n in range(20):
            await make_request(session, email=f"p{n}@example.com", received_at=RECEIVED)
    second = make_app_sessionmaker(settings)  # another process's engine, same database
    late = datetime(2026, 5, 1, tzinfo=UTC)

    async def one(maker: object) -> int:
        async with session_scope(maker) as worker:  # type: ignore[arg-type]
            return (await sweep(worker, settings=settings, now=late)).overdue

    try:
        results = await asyncio.gather(one(app.state.sessionmaker), one(second))
    finally:
        await second.kw["bind"].dispose()
    assert sum(results) == 20
    assert await _escalation_mails(session) == 20
