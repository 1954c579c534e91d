"""The dashboard's figures: intake per week, open work, timeliness, connector health.

Every figure is a query here (the page only draws them). Weeks and months are those of the
business timezone (`DSR_TIMEZONE`); the yearly table is `app.requests.records`, the same
numbers as `dsr metrics --year`.
"""

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db import utcnow
from app.enums import OPEN_STATUSES, RequestType, Status
from app.fanout import overview
from app.requests.models import DsrRequest
from app.requests.records import RegulationMetrics, yearly_metrics_by_regulation
from app.requests.tickets import DUE

ANSWERED = (Status.COMPLETED, Status.DENIED)
CONNECTOR_DAYS = 30  # the success rate covers tasks of the last month


@dataclass(frozen=True, slots=True)
class Week:
    """Requests received in the week starting `start` (a Monday), per type."""

    start: date
    counts: dict[RequestType, int]

    @property
    def total(self) -> int:
        """Requests of every type that week."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Month:
    """Requests answered (completed or denied) in a month: how many on time, how fast."""

    start: date
    answered: int
    on_time: int
    median_days: float | None

    @property
    def on_time_rate(self) -> float | None:
        """On time among answered (0..1); None in a month with none answered."""
        return self.on_time / self.answered if self.answered else None


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard shows, as of `now`."""

    now: datetime
    weeks: list[Week]
    open_by_status: dict[Status, int]
    overdue_by_type: dict[RequestType, int]
    months: list[Month]
    connectors: list[overview.ConnectorOutcomes]
    year: int
    yearly: list[RegulationMetrics]  # every law together first, as `dsr metrics --year`

    @property
    def overdue(self) -> int:
        """Open requests past their due moment."""
        return sum(self.overdue_by_type.values())


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone)


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


async def _weeks(
    session: AsyncSession, zone: ZoneInfo, today: date, count: int
) -> list[Week]:
    first = today - timedelta(days=today.weekday() + 7 * (count - 1))
    query = select_columns(col(DsrRequest.received_at), col(DsrRequest.type)).where(
        col(DsrRequest.received_at) >= _midnight(first, zone)
    )
    tally: Counter[tuple[date, RequestType]] = Counter()
    for received, kind in (await session.execute(query)).all():
        day = _local_day(received, zone)
        tally[day - timedelta(days=day.weekday()), kind] += 1
    starts = [first + timedelta(weeks=n) for n in range(count)]
    return [
        Week(
            start,
            {kind: tally[start, kind] for kind in RequestType if tally[start, kind]},
        )
        for start in starts
    ]


async def _months(
    session: AsyncSession, zone: ZoneInfo, today: date, count: int
) -> list[Month]:
    first = _month_start(today, count - 1)
    query = select_columns(
        col(DsrRequest.received_at), col(DsrRequest.closed_at), DUE
    ).where(
        col(DsrRequest.status).in_(ANSWERED),
        col(DsrRequest.closed_at) >= _midnight(first, zone),
    )
    answered: dict[date, list[tuple[float, bool]]] = {}
    for received, closed, due in (await session.execute(query)).all():
        if closed is None:  # excluded by the query; narrows the type
            continue
        month = _month_start(_local_day(closed, zone))
        days = (closed - received).total_seconds() / 86400
        answered.setdefault(month, []).append((days, closed <= _aware(due)))
    months = []
    for back in range(count - 1, -1, -1):
        start = _month_start(today, back)
        rows = answered.get(start, [])
        spent = [elapsed for elapsed, _ in rows]
        months.append(
            Month(
                start,
                len(rows),
                sum(on_time for _, on_time in rows),
                round(statistics.median(spent), 1) if spent else None,
            )
        )
    return months


def _aware(moment: datetime) -> datetime:
    # COALESCE bypasses the UTCDateTime column type: SQLite hands back a naive UTC value.
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


async def _open_by_status(session: AsyncSession) -> dict[Status, int]:
    query = (
        select_columns(col(DsrRequest.status), func.count())
        .where(col(DsrRequest.status).in_(OPEN_STATUSES))
        .group_by(col(DsrRequest.status))
    )
    counts = dict((await session.execute(query)).all())
    return {
        status: int(counts.get(status, 0))
        for status in Status
        if status in OPEN_STATUSES
    }


async def _overdue_by_type(
    session: AsyncSession, now: datetime
) -> dict[RequestType, int]:
    query = (
        select_columns(col(DsrRequest.type), func.count())
        .where(col(DsrRequest.status).in_(OPEN_STATUSES), now > DUE)
        .group_by(col(DsrRequest.type))
    )
    return {kind: int(count) for kind, count in (await session.execute(query)).all()}


async def figures(
    session: AsyncSession,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
    weeks: int = 12,
    months: int = 12,
    year: int | None = None,
) -> Dashboard:
    """The dashboard as of `now`: the last `weeks` weeks and `months` months, and the
    yearly metrics of `year` (this year by default)."""
    now = now or utcnow()
    today = _local_day(now, zone)
    year = year or today.year
    connectors = await overview.outcomes(
        session, since=now - timedelta(days=CONNECTOR_DAYS)
    )
    return Dashboard(
        now=now,
        weeks=await _weeks(session, zone, today, weeks),
        open_by_status=await _open_by_status(session),
        overdue_by_type=await _overdue_by_type(session, now),
        months=await _months(session, zone, today, months),
        connectors=sorted(connectors.values(), key=lambda each: each.name),
        year=year,
        yearly=await yearly_metrics_by_regulation(session, year=year),
    )
