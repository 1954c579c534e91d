"""Record keeping: the request log for the records of processing, and yearly metrics.

The log holds the facts legal-rules.md asks to keep per ticket (no message text); the
metrics are what CCPA 11 CCR 7102 asks businesses with 10M+ consumers to publish: per type,
received, complied with in whole or in part, denied, and the median days to respond.
"""

import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select as select_columns
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.enums import Regulation, RequestType, Status
from app.requests.models import DsrRequest

LOG_COLUMNS = (
    "reference",
    "type",
    "regulation",
    "channel",
    "status",
    "received_at",
    "verified_at",
    "verification_method",
    "acknowledged_at",
    "due_at",
    "extended_due_at",
    "closed_at",
    "outcome",
    "denial_reason",
    "escalated",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(getattr(value, "value", value))


async def request_log(
    session: AsyncSession, *, since: date | None = None
) -> AsyncIterator[list[str]]:
    """One row of facts per ticket received since `since`, oldest first (streamed)."""
    query = select(DsrRequest).order_by(col(DsrRequest.received_at), col(DsrRequest.id))
    if since is not None:
        query = query.where(
            col(DsrRequest.received_at)
            >= datetime.combine(since, datetime.min.time(), UTC)
        )
    result = await session.stream_scalars(query.execution_options(yield_per=500))
    async for dsr in result:
        yield [_cell(getattr(dsr, column)) for column in LOG_COLUMNS]


@dataclass(frozen=True, slots=True)
class TypeMetrics:
    """One request type's figures for a year."""

    type: RequestType
    received: int
    complied: int
    denied: int
    median_days: float | None


@dataclass(frozen=True, slots=True)
class RegulationMetrics:
    """One regulation's figures for a year, per type; `regulation` None means every law."""

    regulation: Regulation | None
    types: list[TypeMetrics]

    @property
    def received(self) -> int:
        """Requests of every type received in the year."""
        return sum(row.received for row in self.types)


_Fact = tuple[RequestType, Regulation, Status, datetime, datetime | None]


async def _year_facts(
    session: AsyncSession, year: int, regulation: Regulation | None
) -> list[_Fact]:
    # Only the five columns the figures need: a year of a large desk is many tickets.
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    query = select_columns(
        col(DsrRequest.type),
        col(DsrRequest.regulation),
        col(DsrRequest.status),
        col(DsrRequest.received_at),
        col(DsrRequest.closed_at),
    ).where(col(DsrRequest.received_at) >= start, col(DsrRequest.received_at) < end)
    if regulation is not None:
        query = query.where(col(DsrRequest.regulation) == regulation)
    rows = (await session.execute(query)).all()
    return [
        (kind, law, status, received, closed)
        for kind, law, status, received, closed in rows
    ]


def _per_type(facts: list[_Fact]) -> list[TypeMetrics]:
    rows = []
    for kind in RequestType:
        mine = [fact for fact in facts if fact[0] == kind]
        days = [
            (closed - received).total_seconds() / 86400
            for _, _, status, received, closed in mine
            if status in (Status.COMPLETED, Status.DENIED) and closed
        ]
        rows.append(
            TypeMetrics(
                type=kind,
                received=len(mine),
                complied=sum(fact[2] == Status.COMPLETED for fact in mine),
                denied=sum(fact[2] == Status.DENIED for fact in mine),
                median_days=round(statistics.median(days), 1) if days else None,
            )
        )
    return rows


async def yearly_metrics(
    session: AsyncSession, *, year: int, regulation: Regulation | None = None
) -> list[TypeMetrics]:
    """Per request type: received in `year`, complied in whole or part, denied, median days."""
    return _per_type(await _year_facts(session, year, regulation))


async def yearly_metrics_by_regulation(
    session: AsyncSession, *, year: int
) -> list[RegulationMetrics]:
    """`yearly_metrics` for every law together, then for each law with requests that year."""
    facts = await _year_facts(session, year, None)
    tables = [RegulationMetrics(None, _per_type(facts))]
    for law in Regulation:
        mine = [fact for fact in facts if fact[1] == law]
        if mine:
            tables.append(RegulationMetrics(law, _per_type(mine)))
    return tables
