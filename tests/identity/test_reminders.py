"""Unverified requests get one reminder with a fresh link, then close with a notice."""

from datetime import UTC, datetime, timedelta

import time_machine
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.db import session_scope
from app.enums import Status
from app.identity.reminders import remind_and_close
from app.mail.models import Message
from app.requests.models import DsrRequest
from app.settings import Settings
from tests.factories import make_request

START = datetime(2026, 3, 2, 10, tzinfo=UTC)


async def _run(app: FastAPI, settings: Settings, now: datetime) -> tuple[int, int]:
    async with session_scope(app.state.sessionmaker) as session:
        run = await remind_and_close(session, settings=settings, now=now)
    return run.reminded, run.closed


async def _kinds(session: AsyncSession) -> list[str]:
    return list(
        (await session.execute(select(Message.kind).order_by(Message.id))).scalars()
    )  # type: ignore[arg-type]


async def test_reminder_once_then_close_with_notice(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    with time_machine.travel(START, tick=False):
        await make_request(session)
    assert await _run(app, settings, START + timedelta(days=3)) == (0, 0)
    with time_machine.travel(START + timedelta(days=8), tick=False):
        assert await _run(app, settings, START + timedelta(days=8)) == (1, 0)
        assert await _run(app, settings, START + timedelta(days=9)) == (0, 0)
    with time_machine.travel(START + timedelta(days=15), tick=False):
        assert await _run(app, settings, START + timedelta(days=15)) == (0, 1)
        assert await _run(app, settings, START + timedelta(days=16)) == (0, 0)
    assert await _kinds(session) == ["verify_reminder", "closed_unverified"]
    session.expire_all()
    dsr = (await session.execute(select(DsrRequest))).scalar_one()
    assert dsr.status == Status.CLOSED
    assert dsr.outcome == "unverified"


async def test_verified_requests_are_left_alone(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    with time_machine.travel(START, tick=False):
        await make_request(session, identity_verified=True)
    assert await _run(app, settings, START + timedelta(days=30)) == (0, 0)
