"""The triage inbox: inbound mail that matched no ticket waits here until staff decide."""

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.enums import Channel, Regulation, RequestType
from app.errors import Conflict, NotFound, ValidationFailed
from app.flows import intake
from app.mail.models import Direction, Message, Triage
from app.requests import tickets
from app.requests.models import DsrRequest
from app.requests.schemas import text_problem
from app.settings import Settings


async def waiting(session: AsyncSession, *, limit: int = 100) -> list[Message]:
    """Mail waiting for a decision, oldest first."""
    query = select(Message).where(
        Message.direction == Direction.IN, Message.triage == Triage.NEW
    )
    return list(
        (await session.execute(query.order_by(col(Message.id)).limit(limit))).scalars()
    )


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
