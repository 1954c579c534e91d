"""An API token records when it was last used: at most once a minute, and never by waiting."""

import asyncio
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlmodel import select

from app.staff import service as staff_service
from app.staff.models import ApiToken, Role
from tests.factories import make_staff, make_token


async def _arrange(app: FastAPI) -> str:
    async with app.state.sessionmaker() as session:
        staff = await make_staff(session, role=Role.AGENT, email="agent@example.com")
        token = await make_token(session, staff)
        await session.commit()
    return token


async def _last_used(app: FastAPI):
    async with app.state.sessionmaker() as session:
        return (await session.execute(select(ApiToken.last_used_at))).scalar_one()


async def test_a_token_records_its_use_once_a_minute(app: FastAPI) -> None:
    token = await _arrange(app)
    maker = app.state.sessionmaker

    async def use() -> None:
        async with maker() as session:
            assert await staff_service.authenticate_token(session, token)
            await session.commit()

    await use()
    first = await _last_used(app)
    await use()
    assert first is not None
    assert await _last_used(app) == first  # within the minute: not written again

    async with maker() as session:  # the minute is over
        row = (await session.execute(select(ApiToken))).scalar_one()
        row.last_used_at = first - timedelta(minutes=2)
        await session.commit()
    await use()

    assert await _last_used(app) >= first


async def test_requests_at_the_minute_do_not_wait_for_each_other(
    app: FastAPI, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: nobody else holds the row")
    token = await _arrange(app)
    maker = app.state.sessionmaker
    async with maker() as first:
        assert await staff_service.authenticate_token(first, token)
        await first.flush()  # its transaction now holds the token's row
        async with maker() as second:
            staff = await asyncio.wait_for(
                staff_service.authenticate_token(second, token), timeout=5
            )
            await asyncio.wait_for(second.commit(), timeout=5)
        assert staff is not None
        await first.commit()
    assert await _last_used(app) is not None
