"""The deadline sweep: flag at-risk and overdue tickets and escalate each stage once.

Each escalation is a transaction of its own, taken under the ticket's lock after reading the
ticket again, so a stage is escalated (and mailed) exactly once whatever runs twice, and one
ticket that fails is logged and retried by the next sweep while the others go ahead. An
advisory lock keeps a second worker from doing the same reading meanwhile.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app.audit import service as audit
from app.db import session_scope, try_advisory_lock
from app.deadlines import rules
from app.deadlines.service import calendar_for, due_day, due_state, extension_available
from app.enums import OPEN_STATUSES
from app.jobs import each_item
from app.mail import outbox
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings
from app.staff.models import Role, StaffUser


@dataclass(frozen=True, slots=True)
class SweepResult:
    """Escalations made by one sweep, tickets that failed (each logged), and whether it
    stood aside for another worker's sweep."""

    at_risk: int = 0
    overdue: int = 0
    failed: int = 0
    skipped: bool = False


def _due_before(moment: datetime) -> ColumnElement[bool]:
    # Written without COALESCE so the (status, due_at) index serves the common case.
    return or_(
        and_(
            col(DsrRequest.extended_due_at).is_(None), col(DsrRequest.due_at) <= moment
        ),
        col(DsrRequest.extended_due_at) <= moment,
    )


async def sweep(
    maker: async_sessionmaker[AsyncSession], *, settings: Settings, now: datetime
) -> SweepResult:
    """Escalate open tickets that turned at-risk or overdue since the last sweep."""
    calendar = calendar_for(settings)
    counts = {"at_risk": 0, "overdue": 0}
    failed = 0
    # The guard's transaction holds the advisory lock while the tickets, each in a
    # transaction of its own, are escalated.
    async with session_scope(maker) as guard:
        if not await try_advisory_lock(guard, "dsr.deadline-sweep"):
            return SweepResult(skipped=True)
        for ident in await _due_for_escalation(guard, settings, now, calendar):
            work = partial(_escalate_one, maker, ident, settings, now, calendar)
            stage = await each_item(
                "deadlines.escalation_failed", {"request_id": ident}, work
            )
            failed += stage is None
            if stage:
                counts[stage] += 1
    return SweepResult(
        at_risk=counts["at_risk"], overdue=counts["overdue"], failed=failed
    )


async def _escalate_one(
    maker: async_sessionmaker[AsyncSession],
    ident: int,
    settings: Settings,
    now: datetime,
    calendar: rules.BusinessCalendar,
) -> str:
    """Escalate one ticket in a transaction of its own; its new stage, or "" for none."""
    async with session_scope(maker) as session:
        stage = await escalate(
            session, ident, settings=settings, now=now, calendar=calendar
        )
    return stage or ""  # not None: None is what each_item returns for a failure


async def _due_for_escalation(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    calendar: rules.BusinessCalendar,
) -> list[int]:
    """Ids of open tickets whose stage, read without a lock, is behind their deadline."""
    horizon = now + timedelta(days=settings.at_risk_days + 1)
    query = select(DsrRequest).where(
        col(DsrRequest.status).in_(OPEN_STATUSES),
        _due_before(horizon),
        or_(
            col(DsrRequest.escalation_stage).is_(None),
            col(DsrRequest.escalation_stage) != "overdue",
        ),
    )
    return [
        dsr.id
        for dsr in (await session.execute(query)).scalars()
        if dsr.id is not None
        and _stage(dsr, now, calendar, settings)[0] not in (None, dsr.escalation_stage)
    ]


def _stage(
    dsr: DsrRequest,
    now: datetime,
    calendar: rules.BusinessCalendar,
    settings: Settings,
) -> tuple[str | None, int]:
    """The escalation stage the ticket's deadline has reached, and its days left."""
    state = due_state(
        dsr, now=now, calendar=calendar, at_risk_days=settings.at_risk_days
    )
    stage = "overdue" if state.overdue else "at_risk" if state.at_risk else None
    return stage, state.days_left or 0


async def escalate(
    session: AsyncSession,
    request_id: int,
    *,
    settings: Settings,
    now: datetime,
    calendar: rules.BusinessCalendar,
) -> str | None:
    """Escalate one ticket to the stage its deadline reached, once; return that stage."""
    dsr = await tickets.edit_or_none(session, request_id)  # read again, under the lock
    if dsr is None:
        return None
    stage, days_left = _stage(dsr, now, calendar, settings)
    # Stages only move forward: an overdue ticket is never escalated back to at-risk.
    if stage is None or dsr.escalation_stage in (stage, "overdue"):
        return None
    dsr.escalation_stage, dsr.escalated = stage, True
    await _escalate(session, dsr, stage, days_left, settings, now, calendar)
    await session.flush()
    return stage


async def _escalate(
    session: AsyncSession,
    dsr: DsrRequest,
    stage: str,
    days_left: int,
    settings: Settings,
    now: datetime,
    calendar: rules.BusinessCalendar,
) -> None:
    can_extend = extension_available(dsr, now=now, calendar=calendar)
    await audit.record(
        session,
        dsr,
        "escalated",
        actor="system",
        data={"stage": stage, "days_left": days_left, "can_extend": can_extend},
        at=now,
    )
    for email in await _escalation_recipients(session, dsr):
        await outbox.queue(
            session,
            settings=settings,
            template="staff_escalation",
            to=email,
            dsr=dsr,
            automatic=False,
            context={
                "stage": stage,
                "due_on": due_day(dsr, calendar),
                "days_left": days_left,
                "can_extend": can_extend,
                "ticket_url": f"{settings.base_url}/requests/{dsr.reference}",
            },
        )


async def _escalation_recipients(session: AsyncSession, dsr: DsrRequest) -> list[str]:
    """The assignee and every admin, each once."""
    query = select(StaffUser.email).where(
        col(StaffUser.active),
        or_(col(StaffUser.role) == Role.ADMIN, col(StaffUser.id) == dsr.assignee_id),
    )
    return sorted(set((await session.execute(query)).scalars()))
