"""Mail queries shared by the API and UI (the outbox and inbound pipeline build on these)."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.mail.models import Message
from app.requests.models import DsrRequest


async def thread(session: AsyncSession, dsr: DsrRequest) -> list[Message]:
    """The ticket's mail, oldest first."""
    query = select(Message).where(Message.request_id == dsr.id)
    return list((await session.execute(query.order_by(col(Message.id)))).scalars())


async def move_thread(
    session: AsyncSession, source: DsrRequest, target: DsrRequest
) -> int:
    """File every message of `source` on `target` (a merge); how many moved."""
    result = await session.execute(
        update(Message)
        .where(col(Message.request_id) == source.id)
        .values(request_id=target.id)
    )
    return int(getattr(result, "rowcount", 0) or 0)
