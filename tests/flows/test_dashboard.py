"""The dashboard's figures, on both databases: intake per week, open and overdue work,
answers on time per month, connector success, and the yearly table."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.enums import DenialReason, Regulation, RequestType, Status
from app.fanout.models import ConnectorTask, TaskStatus
from app.flows import dashboard, review
from app.requests import tickets
from app.settings import Settings
from tests.factories import make_request

UTC_ZONE = ZoneInfo("UTC")


async def _deny(session: AsyncSession, settings: Settings, reference: str) -> None:
    async with tickets.edit(session, reference) as dsr:
        await review.deny(
            session,
            dsr,
            actor="staff:a@example.com",
            reason_code=DenialReason.EXCESSIVE,
            message="Fourth identical request this month.",
            settings=settings,
        )
    await session.commit()


async def test_weekly_intake_counts_each_type_in_its_week(
    session: AsyncSession,
) -> None:
    now = utcnow()
    await make_request(session, received_at=now - timedelta(minutes=5))
    await make_request(session, received_at=now - timedelta(minutes=4))
    await make_request(session, type="erasure", received_at=now - timedelta(minutes=3))
    await make_request(session, received_at=now - timedelta(days=7))
    await make_request(session, received_at=now - timedelta(days=200))  # too old
    figures = await dashboard.figures(session, zone=UTC_ZONE, now=now)
    assert len(figures.weeks) == 12
    assert figures.weeks[-1].counts == {RequestType.ACCESS: 2, RequestType.ERASURE: 1}
    assert figures.weeks[-2].counts == {RequestType.ACCESS: 1}
    assert sum(week.total for week in figures.weeks) == 4
    assert all(week.start.weekday() == 0 for week in figures.weeks)


async def test_open_overdue_and_answered_on_time(
    session: AsyncSession, settings: Settings
) -> None:
    now = utcnow()
    await make_request(session, received_at=now - timedelta(days=90))  # overdue
    await make_request(
        session, type="erasure", received_at=now - timedelta(days=1)
    )  # open, in time
    answered = await make_request(
        session, received_at=now - timedelta(days=2), identity_verified=True
    )
    await _deny(session, settings, answered.reference)
    figures = await dashboard.figures(session, zone=UTC_ZONE)
    assert figures.open_by_status[Status.UNVERIFIED] == 2
    assert figures.open_by_status[Status.PENDING_REVIEW] == 0
    assert figures.overdue == 1
    assert figures.overdue_by_type == {RequestType.ACCESS: 1}
    this_month = figures.months[-1]
    assert (this_month.answered, this_month.on_time) == (1, 1)
    assert this_month.on_time_rate == 1.0
    assert this_month.median_days is not None
    assert 1.9 <= this_month.median_days <= 2.1
    assert all(month.answered == 0 for month in figures.months[:-1])
    assert figures.months[0].on_time_rate is None


async def test_a_late_answer_is_not_on_time(
    session: AsyncSession, settings: Settings
) -> None:
    late = await make_request(
        session, received_at=utcnow() - timedelta(days=70), identity_verified=True
    )
    await _deny(session, settings, late.reference)
    figures = await dashboard.figures(session, zone=UTC_ZONE)
    assert (figures.months[-1].answered, figures.months[-1].on_time) == (1, 0)


async def test_connector_success_rate_counts_finished_tasks(
    session: AsyncSession,
) -> None:
    dsr = await make_request(session)
    statuses = [TaskStatus.SUCCEEDED] * 3 + [TaskStatus.FAILED, TaskStatus.PENDING]
    for number, status in enumerate(statuses):
        session.add(
            ConnectorTask(
                request_id=dsr.id,
                connector="shop",
                action=f"a{number}",
                status=status,
            )
        )
    session.add(
        ConnectorTask(
            request_id=dsr.id, connector="staff", action="x", status=TaskStatus.MANUAL
        )
    )
    await session.commit()
    figures = await dashboard.figures(session, zone=UTC_ZONE)
    [shop] = figures.connectors  # the staff's own tasks are no connector
    assert shop.name == "shop"
    assert shop.finished == 4
    assert shop.success_rate == 0.75


async def test_the_yearly_table_is_the_cli_metrics_per_regulation(
    session: AsyncSession, settings: Settings
) -> None:
    received = datetime(2026, 3, 3, tzinfo=UTC)
    await make_request(session, received_at=received)
    await make_request(session, regulation="ccpa", type="erasure", received_at=received)
    refused = await make_request(
        session, regulation="ccpa", received_at=received, identity_verified=True
    )
    await _deny(session, settings, refused.reference)
    figures = await dashboard.figures(session, zone=UTC_ZONE, year=2026)
    assert [table.regulation for table in figures.yearly] == [
        None,
        Regulation.GDPR,
        Regulation.CCPA,
    ]
    every, _, ccpa = figures.yearly
    assert every.received == 3
    by_type = {row.type: row for row in ccpa.types}
    assert (
        by_type[RequestType.ACCESS].received,
        by_type[RequestType.ACCESS].denied,
    ) == (
        1,
        1,
    )
    assert by_type[RequestType.ERASURE].received == 1
    nothing = await dashboard.figures(session, zone=UTC_ZONE, year=2024)
    assert [table.regulation for table in nothing.yearly] == [None]
    assert nothing.yearly[0].received == 0
