"""The one presenter of a ticket: the API's request resource (and, next, the staff UI's)."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.db import utcnow
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
            subject=message.subject,
            time=message.sent_at or message.created_at,
            text=message.text,
        )
        for message in await mail_service.thread(session, dsr)
    ]
    return out
