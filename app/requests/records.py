"""Record keeping: the request log for the records of processing, and yearly metrics.

The log holds the facts legal-rules.md asks to keep per ticket (no message text); the
metrics are what CCPA 11 CCR 7102 asks businesses with 10M+ consumers to publish: per type,
received, complied with in whole or in part, denied, and the median days to respond.
"""

import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

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


async def yearly_metrics(
    session: AsyncSession, *, year: int, regulation: Regulation | None = None
) -> list[TypeMetrics]:
    """Per request type: received in `year`, complied in whole or part, denied, median days."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    query = select(DsrRequest).where(
        col(DsrRequest.received_at) >= start, col(DsrRequest.received_at) < end
    )
    if regulation is not None:
        query = query.where(DsrRequest.regulation == regulation)
    tickets = list((await session.execute(query)).scalars())
    rows = []
    for kind in RequestType:
        mine = [dsr for dsr in tickets if dsr.type == kind]
        answered = [
            dsr for dsr in mine if dsr.status in (Status.COMPLETED, Status.DENIED)
        ]
        days = [
            (dsr.closed_at - dsr.received_at).total_seconds() / 86400
            for dsr in answered
            if dsr.closed_at
        ]
        rows.append(
            TypeMetrics(
                type=kind,
                received=len(mine),
                complied=sum(dsr.status == Status.COMPLETED for dsr in mine),
                denied=sum(dsr.status == Status.DENIED for dsr in mine),
                median_days=round(statistics.median(days), 1) if days else None,
            )
        )
    return rows
