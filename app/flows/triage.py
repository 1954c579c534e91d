"""The triage inbox: inbound mail that matched no ticket waits here until staff decide.

Mail that may be a request may already run a legal clock (it started when the mail
arrived), so each waiting message is shown with its `Clock`: how long it has waited and
when an answer would be due under the law the classifier saw (or the default one).
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import utcnow
from app.deadlines import rules
from app.deadlines import service as deadlines
from app.enums import Channel, Regulation, RequestType
from app.errors import Conflict, NotFound, ValidationFailed
from app.flows import intake
from app.mail.models import Direction, Message, Triage
from app.requests import tickets
from app.requests.models import DsrRequest
from app.requests.schemas import text_problem
from app.settings import Settings

MAX_PAGE = 200
_Choice = TypeVar("_Choice", Regulation, RequestType)
_MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Clock:
    """Where a waiting message stands against the legal clock, had it been a request."""

    received_at: datetime
    due_at: datetime  # end of the due day, for the classifier's law and type
    regulation: Regulation  # the classifier's guess, else DSR_DEFAULT_REGULATION
    days_waited: int
    days_left: int  # negative once overdue
    overdue: bool


async def waiting(session: AsyncSession, *, limit: int = 100) -> list[Message]:
    """Mail waiting for a decision, oldest first (the first page of `page`)."""
    found, _ = await page(session, limit=limit)
    return found


def _encode(message: Message) -> str:
    return base64.urlsafe_b64encode(str(message.id).encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        number = int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed("cursor: not a cursor this API returned") from exc
    if not 0 < number <= _MAX_ID:
        raise ValidationFailed("cursor: not a cursor this API returned")
    return number


async def page(
    session: AsyncSession,
    *,
    cursor: str | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> tuple[list[Message], str | None]:
    """A page of waiting mail (keyset on arrival order) and the next page's cursor."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit: between 1 and {MAX_PAGE}")
    query = select(Message).where(
        Message.direction == Direction.IN, Message.triage == Triage.NEW
    )
    order = col(Message.id).desc() if newest_first else col(Message.id)
    if cursor:
        after = _decode(cursor)
        query = query.where(
            col(Message.id) < after if newest_first else col(Message.id) > after
        )
    rows = list(
        (await session.execute(query.order_by(order).limit(limit + 1))).scalars()
    )
    found = rows[:limit]
    return found, _encode(found[-1]) if len(rows) > limit else None


def clock(
    message: Message, settings: Settings, *, now: datetime | None = None
) -> Clock:
    """The legal clock of a waiting message, as if it were the request it may be."""
    verdict = message.classification or {}
    regulation = _member(Regulation, verdict.get("regulation"))
    regulation = regulation or settings.default_regulation
    request_type = _member(RequestType, verdict.get("request_type"))
    calendar = deadlines.calendar_for(settings)
    due_at = deadlines.due_moment(
        regulation,
        request_type or RequestType.ACCESS,
        received_at=message.created_at,
        verified_at=None,
        calendar=calendar,
    )
    now = now or utcnow()
    due_day = due_at.astimezone(calendar.timezone).date()
    return Clock(
        received_at=message.created_at,
        due_at=due_at,
        regulation=regulation,
        days_waited=max(0, (now - message.created_at).days),
        days_left=rules.days_left(due_day, now=now, calendar=calendar),
        overdue=rules.is_overdue(due_day, now=now, calendar=calendar),
    )


def _member(enum: type[_Choice], value: object) -> _Choice | None:
    try:
        return enum(value) if isinstance(value, str) else None
    except ValueError:  # a verdict stored before a value was renamed
        return None


async def require_waiting(session: AsyncSession, message_id: str) -> Message:
    """The waiting message with this Message-ID, or NotFound / Conflict."""
    if text_problem(message_id, one_line=True) is not None:
        raise NotFound("no inbound message with that id")  # not storable: never stored
    query = select(Message).where(
        Message.message_id == message_id.strip("<>"), Message.direction == Direction.IN
    )
    message = (await session.execute(query)).scalar_one_or_none()
    if message is None:
        raise NotFound(f"no inbound message <{message_id}>")
    if message.triage is not Triage.NEW:
        raise Conflict(f"<{message.message_id}> was already handled ({message.triage})")
    return message


async def open_ticket(
    session: AsyncSession,
    message: Message,
    *,
    type: RequestType,
    regulation: Regulation,
    email: str | None,
    actor: str,
    settings: Settings,
) -> DsrRequest:
    """Open a ticket from the message, received when the mail arrived; sends verification."""
    sender = email or message.from_address
    if not sender:
        raise ValidationFailed("email: the message has no sender address; give one")
    submission = intake.Submission(
        type=type,
        regulation=regulation,
        email=sender,
        channel=Channel.EMAIL,
        details=message.subject,
        received_at=message.created_at,  # the clock started when the mail arrived
    )
    result = await intake.submit(session, submission, settings=settings, actor=actor)
    message.request_id, message.triage = result.dsr.id, Triage.OPENED
    await audit.record(
        session,
        result.dsr,
        "triaged",
        actor=actor,
        data={"message_id": message.message_id},
    )
    return result.dsr


async def attach(
    session: AsyncSession, message: Message, *, reference: str, actor: str
) -> DsrRequest:
    """File the message on an existing ticket (a reply that lost its thread)."""
    async with tickets.edit(session, reference) as dsr:
        message.request_id, message.triage = dsr.id, Triage.OPENED
        dsr.unread = True
        await audit.record(
            session,
            dsr,
            "triaged",
            actor=actor,
            data={"message_id": message.message_id},
        )
    return dsr


def dismiss(message: Message) -> None:
    """Not a request (spam, a newsletter): keep it, out of the inbox."""
    message.triage = Triage.DISMISSED
