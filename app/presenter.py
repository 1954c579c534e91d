"""The one presenter of a ticket: the API's request resource, the staff UI's rows and pages."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.db import utcnow
from app.deadlines import rules
from app.deadlines import service as deadlines
from app.fanout import service as fanout_service
from app.mail import service as mail_service
from app.requests.models import DsrRequest
from app.requests.schemas import MessageOut, RequestOut, SubjectOut, TaskOut
from app.settings import Settings
from app.staff.models import StaffUser


async def assignees(
    session: AsyncSession, found: Sequence[DsrRequest]
) -> dict[int, str]:
    """Staff emails of the tickets' assignees, by staff id."""
    ids = {dsr.assignee_id for dsr in found if dsr.assignee_id is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(StaffUser.id, StaffUser.email).where(col(StaffUser.id).in_(ids))
    )
    return {ident: email for ident, email in rows if ident is not None}


def summary(dsr: DsrRequest, settings: Settings, emails: dict[int, str]) -> RequestOut:
    """The ticket's fields and deadline state, as in a queue row."""
    state = deadlines.due_state(
        dsr,
        now=utcnow(),
        calendar=deadlines.calendar_for(settings),
        at_risk_days=settings.at_risk_days,
    )
    return RequestOut(
        reference=dsr.reference,
        type=dsr.type,
        regulation=dsr.regulation,
        status=dsr.status,
        channel=dsr.channel,
        subject=SubjectOut(email=dsr.subject_email, name=dsr.subject_name),
        details=dsr.details,
        received_at=dsr.received_at,
        verified_at=dsr.verified_at,
        verification_method=dsr.verification_method,
        acknowledged_at=dsr.acknowledged_at,
        due_at=dsr.due_at,
        extended_due_at=dsr.extended_due_at,
        extension_reason=dsr.extension_reason,
        days_left=state.days_left,
        at_risk=state.at_risk,
        overdue=state.overdue,
        assignee=emails.get(dsr.assignee_id) if dsr.assignee_id else None,
        escalated=dsr.escalated,
        unread=dsr.unread,
        closed_at=dsr.closed_at,
        outcome=dsr.outcome,
        denial_reason=dsr.denial_reason,
    )


async def page(
    session: AsyncSession, found: Sequence[DsrRequest], settings: Settings
) -> list[RequestOut]:
    """Queue rows for a page of tickets."""
    emails = await assignees(session, found)
    return [summary(dsr, settings, emails) for dsr in found]


async def detail(
    session: AsyncSession, dsr: DsrRequest, settings: Settings
) -> RequestOut:
    """The whole resource: the summary with connector tasks and the mail thread."""
    await session.flush()  # the resource shows what this request changed
    out = summary(dsr, settings, await assignees(session, [dsr]))
    out.tasks = [
        TaskOut(
            id=task.id or 0,
            connector=task.connector,
            action=task.action,
            status=task.status,
            attempts=task.attempts,
            error=task.error,
            counts=task.counts,
            instructions=task.instructions,
        )
        for task in await fanout_service.tasks_for(session, dsr)
    ]
    out.messages = [
        MessageOut(
            direction=message.direction,
            from_address=message.from_address,
            to_address=message.to_address,
            subject=message.subject,
            time=message.sent_at or message.created_at,
            text=message.text,
        )
        for message in await mail_service.thread(session, dsr)
    ]
    return out


def due_tone(out: RequestOut, at_risk_days: int) -> str:
    """The due colour of a queue row: `ok` (green), `soon` (amber), `risk` (red),
    `overdue`, or `none` for a closed ticket."""
    if out.days_left is None:
        return "none"
    if out.overdue:
        return "overdue"
    if out.at_risk:
        return "risk"
    return "soon" if out.days_left <= 2 * at_risk_days else "ok"


def days_text(out: RequestOut) -> str:
    """Days left, in words: "3 days left", "due today", "2 days overdue"."""
    if out.days_left is None:
        return ""
    days = out.days_left
    if out.overdue:
        late = max(-days, 1)
        return f"{late} day{'s' if late != 1 else ''} overdue"
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} left"


_COUNTING = {
    "calendar_month": "month",
    "calendar_days": "calendar day",
    "business_days": "business day",
}


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """Why the ticket is due when it is: the rule, and the dates it gives."""

    period: str  # "1 month", "45 calendar days"
    extension: str | None  # "2 more months", None: the law allows none
    clock_start: date
    clock_rule: str
    due_on: date
    extended_due_on: date | None
    can_extend: bool
    notes: str


def _span(count: int, counting: str) -> str:
    unit = _COUNTING.get(counting, counting)
    return f"{count} {unit}{'s' if count != 1 else ''}"


def legal_basis(dsr: DsrRequest, settings: Settings) -> LegalBasis:
    """The deadline rule of the ticket's law and type, with its dates in business time."""
    calendar = deadlines.calendar_for(settings)
    rule = rules.rule_for(dsr.regulation, dsr.type)
    start = rules.clock_start(dsr.regulation, dsr.received_at, dsr.verified_at)
    zone = calendar.timezone
    return LegalBasis(
        period=_span(rule.period, rule.counting),
        extension=(
            f"{_span(rule.extension, rule.counting)} more" if rule.extension else None
        ),
        clock_start=start.astimezone(zone).date(),
        clock_rule=(
            "the later of receipt and identity confirmation"
            if rule.clock_start == "receipt_or_identity"
            else "receipt"
        ),
        due_on=dsr.due_at.astimezone(zone).date(),
        extended_due_on=(
            dsr.extended_due_at.astimezone(zone).date() if dsr.extended_due_at else None
        ),
        can_extend=rule.extension is not None
        and dsr.extended_due_at is None
        and deadlines.extension_available(dsr, now=utcnow(), calendar=calendar),
        notes=rule.notes,
    )
