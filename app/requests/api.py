"""JSON API v1 for requests: thin routes that parse, call one service and shape the answer."""

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import utcnow
from app.deadlines import service as deadlines
from app.fanout import service as fanout_service
from app.mail import service as mail_service
from app.requests import intake, service
from app.requests.enums import Channel, Regulation, RequestType, Status
from app.requests.models import DsrRequest
from app.requests.schemas import (
    AssignBody,
    CompleteTaskBody,
    DenyBody,
    EmptyBody,
    EventOut,
    MessageOut,
    NoteBody,
    ReasonBody,
    RequestCreate,
    RequestOut,
    RequestPage,
    RetryBody,
    SubjectOut,
    TaskOut,
    VerifyBody,
)
from app.settings import Settings
from app.staff.models import StaffUser
from app.web import AgentDep, ApiStaffDep, SessionDep, SettingsDep, actor_of

router = APIRouter(prefix="/api/v1", tags=["requests"])


async def _assignees(
    session: AsyncSession, tickets: Sequence[DsrRequest]
) -> dict[int, str]:
    ids = {dsr.assignee_id for dsr in tickets if dsr.assignee_id is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(StaffUser.id, StaffUser.email).where(col(StaffUser.id).in_(ids))
    )
    return {ident: email for ident, email in rows if ident is not None}


def _out(dsr: DsrRequest, settings: Settings, assignees: dict[int, str]) -> RequestOut:
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
        assignee=assignees.get(dsr.assignee_id) if dsr.assignee_id else None,
        escalated=dsr.escalated,
        unread=dsr.unread,
        closed_at=dsr.closed_at,
        outcome=dsr.outcome,
        denial_reason=dsr.denial_reason,
    )


async def detail(
    session: AsyncSession, dsr: DsrRequest, settings: Settings
) -> RequestOut:
    out = _out(dsr, settings, await _assignees(session, [dsr]))
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


@router.post("/requests", status_code=201, response_model_by_alias=True)
async def create_request(
    body: RequestCreate, session: SessionDep, settings: SettingsDep, staff: AgentDep
) -> RequestOut:
    """Open a request (e.g. one that arrived by letter or phone, or from the product)."""
    dsr = await service.create_request(
        session,
        type=body.type,
        regulation=body.regulation,
        email=body.email,
        name=body.name,
        details=body.details,
        channel=Channel.API,
        actor=actor_of(staff),
        calendar=deadlines.calendar_for(settings),
        received_at=body.received_at,
        identity_verified=body.identity_verified,
        auto_approve=settings.auto_approve,
    )
    await intake.acknowledge(session, dsr, settings=settings)
    return await detail(session, dsr, settings)


@router.get("/requests")
async def list_requests(
    session: SessionDep,
    settings: SettingsDep,
    _staff: ApiStaffDep,
    status: Status | None = None,
    type: RequestType | None = None,
    regulation: Regulation | None = None,
    assignee: Annotated[
        str | None, Query(description="Staff email, or `none`.")
    ] = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    q: Annotated[
        str | None, Query(max_length=320, description="Reference or email.")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RequestPage:
    """Requests matching the filters, soonest due first, a page at a time."""
    filters = service.RequestFilters(
        status=status,
        type=type,
        regulation=regulation,
        assignee=assignee,
        overdue=overdue,
        due_before=due_before,
        q=q,
    )
    page, next_cursor = await service.list_requests(
        session,
        filters,
        calendar=deadlines.calendar_for(settings),
        cursor=cursor,
        limit=limit,
    )
    assignees = await _assignees(session, page)
    return RequestPage(
        items=[_out(dsr, settings, assignees) for dsr in page], next_cursor=next_cursor
    )


@router.get("/requests/{reference}", response_model_by_alias=True)
async def get_request(
    reference: str, session: SessionDep, settings: SettingsDep, _staff: ApiStaffDep
) -> RequestOut:
    """One request with its connector tasks and mail thread."""
    return await detail(
        session, await service.require_request(session, reference), settings
    )


@router.get("/requests/{reference}/events")
async def get_events(
    reference: str, session: SessionDep, _staff: ApiStaffDep
) -> list[EventOut]:
    """The request's audit timeline, oldest first."""
    dsr = await service.require_request(session, reference)
    return [
        EventOut(
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            kind=event.kind,
            data=event.data,
            personal=event.personal,
            hash=event.hash,
        )
        for event in await audit.timeline(session, dsr)
    ]


@router.post("/requests/{reference}/approve", response_model_by_alias=True)
async def approve(
    reference: str,
    _body: EmptyBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Approve a verified request for fan-out."""
    dsr = await service.require_request(session, reference, lock=True)
    await service.approve(session, dsr, actor=actor_of(staff))
    return await detail(session, dsr, settings)


@router.post("/requests/{reference}/deny", response_model_by_alias=True)
async def deny(
    reference: str,
    body: DenyBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Refuse the request with a legal ground."""
    dsr = await service.require_request(session, reference, lock=True)
    await service.deny(
        session,
        dsr,
        actor=actor_of(staff),
        reason_code=body.reason_code,
        message=body.message,
        settings=settings,
    )
    return await detail(session, dsr, settings)


@router.post("/requests/{reference}/extend", response_model_by_alias=True)
async def extend(
    reference: str,
    body: ReasonBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Extend the deadline once, with a reason, before the first due date."""
    dsr = await service.require_request(session, reference, lock=True)
    await deadlines.extend(
        session,
        dsr,
        actor=actor_of(staff),
        reason=body.reason,
        now=utcnow(),
        settings=settings,
    )
    return await detail(session, dsr, settings)


@router.post("/requests/{reference}/assign", response_model_by_alias=True)
async def assign(
    reference: str,
    body: AssignBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Assign the request to a staff member, or unassign it with null."""
    dsr = await service.require_request(session, reference, lock=True)
    await service.assign(
        session, dsr, actor=actor_of(staff), staff_email=body.staff_email
    )
    return await detail(session, dsr, settings)


@router.post("/requests/{reference}/notes", response_model_by_alias=True)
async def add_note(
    reference: str,
    body: NoteBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Add an internal note to the timeline."""
    dsr = await service.require_request(session, reference, lock=True)
    await service.add_note(session, dsr, actor=actor_of(staff), text=body.text)
    return await detail(session, dsr, settings)


@router.post("/requests/{reference}/cancel", response_model_by_alias=True)
async def cancel(
    reference: str,
    body: ReasonBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Cancel an open request."""
    dsr = await service.require_request(session, reference, lock=True)
    await service.cancel(session, dsr, actor=actor_of(staff), reason=body.reason)
    return await detail(session, dsr, settings)


@router.post("/requests/{reference}/verify", response_model_by_alias=True)
async def verify(
    reference: str,
    body: VerifyBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Mark the identity verified by another method (record the method, never the evidence)."""
    dsr = await service.require_request(session, reference, lock=True)
    await service.verify(
        session,
        dsr,
        actor=actor_of(staff),
        method=body.method,
        note=body.note,
        calendar=deadlines.calendar_for(settings),
        auto_approve=settings.auto_approve,
    )
    return await detail(session, dsr, settings)


@router.post("/requests/{reference}/retry", response_model_by_alias=True)
async def retry(
    reference: str,
    body: RetryBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Queue failed connector tasks again (one with `task_id`, else all of them)."""
    dsr = await service.require_request(session, reference, lock=True)
    await fanout_service.retry(session, dsr, body.task_id, actor=actor_of(staff))
    return await detail(session, dsr, settings)


@router.post(
    "/requests/{reference}/tasks/{task_id}/complete", response_model_by_alias=True
)
async def complete_task(
    reference: str,
    task_id: int,
    body: CompleteTaskBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Close a manual task with a note saying what was done."""
    dsr = await service.require_request(session, reference, lock=True)
    await fanout_service.complete_manual(
        session, dsr, task_id, note=body.note, actor=actor_of(staff)
    )
    return await detail(session, dsr, settings)
