"""The deadline sweep: flag at-risk and overdue tickets and escalate each stage once.

Safe with many workers: the sweep takes an advisory lock, and each escalation is claimed by a
conditional UPDATE, so a stage is escalated (and mailed) exactly once whatever runs twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import try_advisory_lock
from app.deadlines import rules
from app.deadlines.service import calendar_for, due_day, due_state, extension_available
from app.enums import OPEN_STATUSES
from app.mail import outbox
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings
from app.staff.models import Role, StaffUser

STAGES = ("at_risk", "overdue")


@dataclass(frozen=True, slots=True)
class SweepResult:
    """Escalations made by one sweep (None when another worker held the lock)."""

    at_risk: int = 0
    overdue: int = 0
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
    session: AsyncSession, *, settings: Settings, now: datetime
) -> SweepResult:
    """Escalate open tickets that turned at-risk or overdue since the last sweep."""
    if not await try_advisory_lock(session, "dsr.deadline-sweep"):
        return SweepResult(skipped=True)
    calendar = calendar_for(settings)
    horizon = now + timedelta(days=settings.at_risk_days + 1)
    query = select(DsrRequest).where(
        col(DsrRequest.status).in_(OPEN_STATUSES),
        _due_before(horizon),
        or_(
            col(DsrRequest.escalation_stage).is_(None),
            col(DsrRequest.escalation_stage) != "overdue",
        ),
    )
    counts = {"at_risk": 0, "overdue": 0}
    for dsr in list((await session.execute(query)).scalars()):
        state = due_state(
            dsr, now=now, calendar=calendar, at_risk_days=settings.at_risk_days
        )
        stage = "overdue" if state.overdue else "at_risk" if state.at_risk else None
        if stage is None or stage == dsr.escalation_stage:
            continue
        if await _claim(session, dsr, stage):
            await _escalate(
                session, dsr, stage, state.days_left or 0, settings, now, calendar
            )
            counts[stage] += 1
    return SweepResult(at_risk=counts["at_risk"], overdue=counts["overdue"])


async def _claim(session: AsyncSession, dsr: DsrRequest, stage: str) -> bool:
    # Locked, then re-read: of two sweeps at once, the second sees the stage and skips.
    locked = await tickets.edit_or_none(session, dsr.id or 0)
    if locked is None or locked.escalation_stage in (stage, "overdue"):
        return False
    locked.escalation_stage, locked.escalated = stage, True
    return True


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
