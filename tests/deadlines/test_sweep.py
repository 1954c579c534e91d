"""The deadline sweep escalates each stage exactly once, however often and wherever it runs."""

import asyncio
from datetime import UTC, datetime

import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select
from structlog.testing import capture_logs

from app.audit import service as audit
from app.audit.models import AuditChain, Event
from app.db import session_scope
from app.deadlines.service import calendar_for
from app.deadlines.sweep import escalate, sweep
from app.mail.models import Message
from app.main import make_app_sessionmaker
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings
from app.staff.models import Role
from tests.factories import make_request, make_staff
from tests.fixtures.db import until_lock_waits

RECEIVED = datetime(2026, 3, 2, 10, tzinfo=UTC)  # gdpr: due 2026-04-02 (a Thursday)


async def _escalation_mails(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(Message)
        .where(Message.kind == "staff_escalation")
    )
    return int((await session.execute(query)).scalar_one())


async def _run(app: FastAPI, settings: Settings, now: datetime) -> tuple[int, int]:
    result = await sweep(app.state.sessionmaker, settings=settings, now=now)
    return result.at_risk, result.overdue


async def _escalations(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Event).where(Event.kind == "escalated")
    return int((await session.execute(query)).scalar_one())


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

    async def one(maker: async_sessionmaker[AsyncSession]) -> int:
        return (await sweep(maker, settings=settings, now=late)).overdue

    try:
        results = await asyncio.gather(one(app.state.sessionmaker), one(second))
    finally:
        await second.kw["bind"].dispose()
    assert sum(results) == 20
    assert await _escalation_mails(session) == 20


async def test_a_ticket_that_fails_is_logged_and_the_others_still_escalate(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    with time_machine.travel(RECEIVED, tick=False):
        tickets = [
            await make_request(session, email=f"p{n}@example.com", received_at=RECEIVED)
            for n in range(3)
        ]
    first, poison, last = (ticket.id for ticket in tickets)
    # A damaged chain head: the ticket's next event takes a number already used.
    await session.execute(
        update(AuditChain)
        .where(col(AuditChain.chain) == f"ticket:{poison}")
        .values(seq=0)
    )
    await session.commit()
    with capture_logs() as logs:
        result = await sweep(
            app.state.sessionmaker,
            settings=settings,
            now=datetime(2026, 5, 1, tzinfo=UTC),
        )
    assert (result.overdue, result.failed) == (2, 1)
    [failure] = [e for e in logs if e["event"] == "deadlines.escalation_failed"]
    assert failure["request_id"] == poison
    assert failure["error"] == "sqlalchemy.exc.IntegrityError"
    session.expire_all()
    stages = dict(
        (
            await session.execute(select(DsrRequest.id, DsrRequest.escalation_stage))
        ).all()
    )
    assert stages == {first: "overdue", poison: None, last: "overdue"}


@pytest.mark.pg
async def test_two_sessions_escalating_one_ticket_at_once_escalate_it_once(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    await make_staff(session, role=Role.ADMIN, email="boss@example.com")
    with time_machine.travel(RECEIVED, tick=False):
        dsr = await make_request(session, received_at=RECEIVED)
    assert dsr.id is not None
    second = make_app_sessionmaker(settings)  # another process's engine, same database
    late, calendar = datetime(2026, 5, 1, tzinfo=UTC), calendar_for(settings)

    async def one(maker: async_sessionmaker[AsyncSession]) -> str | None:
        assert dsr.id is not None
        async with session_scope(maker) as worker:
            return await escalate(
                worker, dsr.id, settings=settings, now=late, calendar=calendar
            )

    try:
        # Both read the ticket as due for escalation, then wait for its lock (held here,
        # as a staff action would), and go on one after the other.
        async with app.state.sessionmaker() as holder:
            await tickets.edit_or_none(holder, dsr.id)
            racing = [
                asyncio.create_task(one(app.state.sessionmaker)),
                asyncio.create_task(one(second)),
            ]
            await until_lock_waits(app.state.sessionmaker.kw["bind"], 2)
            await holder.rollback()
        results = await asyncio.gather(*racing)
    finally:
        await second.kw["bind"].dispose()
    assert sorted(map(str, results)) == ["None", "overdue"]
    assert await _escalations(session) == 1
    assert await _escalation_mails(session) == 1
