"""JSON API of the triage inbox: list waiting mail, open a ticket, attach or dismiss."""

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from app.enums import Regulation, RequestType
from app.flows import triage
from app.requests.schemas import Line
from app.web import AgentDep, ApiStaffDep, SessionDep, SettingsDep, actor_of

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"])


class InboxClock(BaseModel):
    """How long the message has waited against the legal clock, had it been a request."""

    due_at: datetime
    regulation: Regulation
    days_waited: int
    days_left: int  # negative once overdue
    overdue: bool


class InboxItem(BaseModel):
    """One waiting message, with what the classifier made of it.

    `classification` holds `request_type`, `regulation`, `confident`, `looks_like_request`,
    `language`, `matched` (the cues and intents that fired), and when set `acknowledged`
    (the sender was told the mail arrived) and `agent` (written for someone else).
    """

    message_id: str
    received_at: datetime
    from_address: str
    subject: str
    text: str
    automatic: bool
    classification: dict[str, Any]
    attachments: list[dict[str, Any]]
    clock: InboxClock


class OpenBody(BaseModel):
    """Open a ticket: the type and law staff decided; the sender unless `email` is given."""

    model_config = ConfigDict(extra="forbid")
    type: RequestType
    regulation: Regulation
    email: Line | None = None


class AttachBody(BaseModel):
    """Attach to an existing ticket."""

    model_config = ConfigDict(extra="forbid")
    reference: str


class Decision(BaseModel):
    """What became of the message."""

    message_id: str
    triage: str
    reference: str | None = None


@router.get("")
async def list_inbox(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _staff: ApiStaffDep,
    limit: Annotated[int, Query(ge=1, le=triage.MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    order: Literal["oldest", "newest"] = "oldest",
) -> list[InboxItem]:
    """Mail that matched no ticket and was not a confident request, a page at a time.

    Oldest first unless `order=newest`. When more mail waits, the `Link` header names the
    next page (`rel="next"`), and `X-Next-Cursor` holds its cursor.
    """
    found, next_cursor = await triage.page(
        session, cursor=cursor, limit=limit, newest_first=order == "newest"
    )
    if next_cursor is not None:
        query = urlencode({"limit": limit, "order": order, "cursor": next_cursor})
        response.headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
        response.headers["X-Next-Cursor"] = next_cursor
    items = []
    for message in found:
        clock = triage.clock(message, settings)
        items.append(
            InboxItem(
                message_id=message.message_id,
                received_at=message.created_at,
                from_address=message.from_address,
                subject=message.subject,
                text=message.text,
                automatic=message.automatic,
                classification=message.classification,
                attachments=message.attachments,
                clock=InboxClock(
                    due_at=clock.due_at,
                    regulation=clock.regulation,
                    days_waited=clock.days_waited,
                    days_left=clock.days_left,
                    overdue=clock.overdue,
                ),
            )
        )
    return items


@router.post("/{message_id:path}/open")
async def open_ticket(
    message_id: str,
    body: OpenBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> Decision:
    """Open a ticket from the message (its sender gets the verification mail)."""
    message = await triage.require_waiting(session, message_id)
    dsr = await triage.open_ticket(
        session,
        message,
        type=body.type,
        regulation=body.regulation,
        email=body.email,
        actor=actor_of(staff),
        settings=settings,
    )
    return Decision(
        message_id=message.message_id, triage="opened", reference=dsr.reference
    )


@router.post("/{message_id:path}/attach")
async def attach(
    message_id: str, body: AttachBody, session: SessionDep, staff: AgentDep
) -> Decision:
    """File the message on an existing ticket."""
    message = await triage.require_waiting(session, message_id)
    dsr = await triage.attach(
        session, message, reference=body.reference, actor=actor_of(staff)
    )
    return Decision(
        message_id=message.message_id, triage="opened", reference=dsr.reference
    )


@router.post("/{message_id:path}/dismiss")
async def dismiss(message_id: str, session: SessionDep, _staff: AgentDep) -> Decision:
    """Not a request: keep the message, out of the inbox."""
    message = await triage.require_waiting(session, message_id)
    triage.dismiss(message)
    return Decision(message_id=message.message_id, triage="dismissed")
