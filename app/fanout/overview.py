"""What the connectors have been doing: task outcomes per connector, the latest tasks and
the last recorded test of each.

Read by the dashboard (success rate per connector) and the connectors page; the staff's
own manual tasks (connector `staff`) are not a connector and are left out.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import NotFound
from app.fanout.checks import (
    CheckRecord,
    CheckResult,
    check_connectors,
    last_checks,
    record_checks,
)
from app.fanout.config import STAFF, ConnectorSpec, FanoutRuntime
from app.fanout.models import ConnectorTask, TaskStatus
from app.requests.models import DsrRequest


@dataclass(slots=True)
class ConnectorOutcomes:
    """How many of one connector's tasks stand in each status."""

    name: str
    counts: dict[TaskStatus, int] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        """Tasks that succeeded or failed for good."""
        return self.counts.get(TaskStatus.SUCCEEDED, 0) + self.counts.get(
            TaskStatus.FAILED, 0
        )

    @property
    def success_rate(self) -> float | None:
        """Succeeded among finished tasks (0..1); None before any finished."""
        if not self.finished:
            return None
        return self.counts.get(TaskStatus.SUCCEEDED, 0) / self.finished


@dataclass(frozen=True, slots=True)
class TaskLine:
    """One recent task, as the connectors page lists it."""

    connector: str
    reference: str
    action: str
    status: TaskStatus
    attempts: int
    error: str | None
    updated_at: datetime


async def outcomes(
    session: AsyncSession, *, since: datetime
) -> dict[str, ConnectorOutcomes]:
    """Per connector, its tasks last changed since `since`, counted by status."""
    query = (
        select_columns(
            col(ConnectorTask.connector), col(ConnectorTask.status), func.count()
        )
        .where(
            col(ConnectorTask.updated_at) >= since,
            col(ConnectorTask.connector) != STAFF,
        )
        .group_by(col(ConnectorTask.connector), col(ConnectorTask.status))
    )
    found: dict[str, ConnectorOutcomes] = {}
    for name, status, count in (await session.execute(query)).all():
        found.setdefault(name, ConnectorOutcomes(name)).counts[status] = int(count)
    return found


async def recent_tasks(
    session: AsyncSession, *, per_connector: int = 5, scan: int = 200
) -> dict[str, list[TaskLine]]:
    """Each connector's latest tasks (at most `per_connector`), newest first."""
    query = (
        select_columns(ConnectorTask, col(DsrRequest.reference))
        .join(DsrRequest, col(DsrRequest.id) == col(ConnectorTask.request_id))
        .where(col(ConnectorTask.connector) != STAFF)
        .order_by(col(ConnectorTask.updated_at).desc(), col(ConnectorTask.id).desc())
        .limit(scan)
    )
    lines: dict[str, list[TaskLine]] = defaultdict(list)
    for task, reference in (await session.execute(query)).all():
        mine = lines[task.connector]
        if len(mine) < per_connector:
            mine.append(
                TaskLine(
                    task.connector,
                    reference,
                    task.action,
                    task.status,
                    task.attempts,
                    task.error,
                    task.updated_at,
                )
            )
    return dict(lines)


@dataclass(frozen=True, slots=True)
class ConnectorBoard:
    """One configured connector as the connectors page shows it."""

    spec: ConnectorSpec
    last_check: CheckRecord | None
    outcomes: ConnectorOutcomes
    recent: list[TaskLine]


async def board(
    session: AsyncSession, runtime: FanoutRuntime | None, *, since: datetime
) -> list[ConnectorBoard]:
    """Every configured connector (file order): last test, task outcomes, latest tasks."""
    if runtime is None:
        return []
    checks = await last_checks(session)
    counted = await outcomes(session, since=since)
    latest = await recent_tasks(session)
    return [
        ConnectorBoard(
            spec,
            checks.get(name),
            counted.get(name, ConnectorOutcomes(name)),
            latest.get(name, []),
        )
        for name, spec in runtime.connectors.items()
    ]


async def test_and_record(
    session: AsyncSession, runtime: FanoutRuntime, name: str | None, *, actor: str
) -> list[CheckResult]:
    """Test one connector (or every enabled one) and keep the results for the page."""
    if name is not None and runtime.get(name) is None:
        raise NotFound(f"no connector {name!r} is configured")
    results = await check_connectors(runtime, name)
    await record_checks(session, results, actor=actor)
    return results
