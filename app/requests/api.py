"""JSON API v1 for requests: thin routes that parse, call one flow and present the ticket."""

from typing import Annotated

from fastapi import APIRouter, Header, Query

from app import presenter
from app.audit import service as audit
from app.db import utcnow
from app.deadlines import service as deadlines
from app.enums import Channel, Regulation, RequestType, Status
from app.fanout import service as fanout_service
from app.flows import intake, queue, review
from app.i18n import pick_language
from app.requests import tickets
from app.requests.schemas import (
    AssignBody,
    CompleteTaskBody,
    DenyBody,
    EmptyBody,
    EventOut,
    IsoDate,
    NoteBody,
    ReasonBody,
    RequestCreate,
    RequestOut,
    RequestPage,
    RetryBody,
    VerifyBody,
)
from app.web import (
    AgentDep,
    ApiStaffDep,
    SessionDep,
    SettingsDep,
    TicketDep,
    actor_of,
)

router = APIRouter(prefix="/api/v1", tags=["requests"])


@router.post("/requests", status_code=201, response_model_by_alias=True)
async def create_request(
    body: RequestCreate,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> RequestOut:
    """Open a request (e.g. one that arrived by letter or phone, or from the product)."""
    dsr = await intake.create_request(
        session,
        type=body.type,
        regulation=body.regulation or settings.default_regulation,
        language=pick_language(body.language or accept_language),
        email=body.email,
        name=body.name,
        details=body.details,
        channel=Channel.API,
        actor=actor_of(staff),
        settings=settings,
        received_at=body.received_at,
        identity_verified=body.identity_verified,
    )
    await intake.acknowledge(session, dsr, settings=settings)
    return await presenter.detail(session, dsr, settings)


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
    due_before: IsoDate | None = None,
    q: Annotated[
        str | None,
        Query(max_length=320, description="Reference, or part of an email or name."),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RequestPage:
    """Requests matching the filters, soonest due first, a page at a time."""
    filters = queue.QueueFilters(
        status=status,
        type=type,
        regulation=regulation,
        assignee=assignee,
        overdue=overdue,
        due_before=due_before,
        q=q,
    )
    found, next_cursor = await queue.find(
        session,
        filters,
        calendar=deadlines.calendar_for(settings),
        cursor=cursor,
        limit=limit,
    )
    items = await presenter.page(session, found, settings)
    return RequestPage(items=items, next_cursor=next_cursor)


@router.get("/requests/{reference}", response_model_by_alias=True)
async def get_request(
    reference: str, session: SessionDep, settings: SettingsDep, _staff: ApiStaffDep
) -> RequestOut:
    """One request with its connector tasks and mail thread."""
    dsr = await tickets.require(session, reference)
    return await presenter.detail(session, dsr, settings)


@router.get("/requests/{reference}/events")
async def get_events(
    reference: str, session: SessionDep, _staff: ApiStaffDep
) -> list[EventOut]:
    """The request's audit timeline, oldest first."""
    dsr = await tickets.require(session, reference)
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
    _body: EmptyBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Approve a verified request for fan-out."""
    await review.approve(session, dsr, actor=actor_of(staff))
    return await presenter.detail(session, dsr, settings)


@router.post("/requests/{reference}/deny", response_model_by_alias=True)
async def deny(
    body: DenyBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Refuse the request with a legal ground."""
    await review.deny(
        session,
        dsr,
        actor=actor_of(staff),
        reason_code=body.reason_code,
        message=body.message,
        settings=settings,
    )
    return await presenter.detail(session, dsr, settings)


@router.post("/requests/{reference}/extend", response_model_by_alias=True)
async def extend(
    body: ReasonBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Extend the deadline once, with a reason, before the first due date."""
    await deadlines.extend(
        session,
        dsr,
        actor=actor_of(staff),
        reason=body.reason,
        now=utcnow(),
        settings=settings,
    )
    return await presenter.detail(session, dsr, settings)


@router.post("/requests/{reference}/assign", response_model_by_alias=True)
async def assign(
    body: AssignBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Assign the request to a staff member, or unassign it with null."""
    await review.assign(
        session, dsr, actor=actor_of(staff), staff_email=body.staff_email
    )
    return await presenter.detail(session, dsr, settings)


@router.post("/requests/{reference}/notes", response_model_by_alias=True)
async def add_note(
    body: NoteBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Add an internal note to the timeline."""
    await review.add_note(session, dsr, actor=actor_of(staff), text=body.text)
    return await presenter.detail(session, dsr, settings)


@router.post("/requests/{reference}/cancel", response_model_by_alias=True)
async def cancel(
    body: ReasonBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Cancel an open request."""
    await review.cancel(session, dsr, actor=actor_of(staff), reason=body.reason)
    return await presenter.detail(session, dsr, settings)


@router.post("/requests/{reference}/verify", response_model_by_alias=True)
async def verify(
    body: VerifyBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Mark the identity verified by another method (record the method, never the evidence)."""
    await review.verify(
        session,
        dsr,
        actor=actor_of(staff),
        method=body.method,
        note=body.note,
        calendar=deadlines.calendar_for(settings),
        auto_approve=settings.auto_approve,
    )
    return await presenter.detail(session, dsr, settings)


@router.post("/requests/{reference}/retry", response_model_by_alias=True)
async def retry(
    body: RetryBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Queue failed connector tasks again (one with `task_id`, else all of them)."""
    await fanout_service.retry(session, dsr, body.task_id, actor=actor_of(staff))
    return await presenter.detail(session, dsr, settings)


@router.post(
    "/requests/{reference}/tasks/{task_id}/complete", response_model_by_alias=True
)
async def complete_task(
    task_id: int,
    body: CompleteTaskBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Close a manual task with a note saying what was done."""
    await fanout_service.complete_manual(
        session, dsr, task_id, note=body.note, actor=actor_of(staff)
    )
    return await presenter.detail(session, dsr, settings)
