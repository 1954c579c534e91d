"""Mail queries shared by the API and UI (the outbox and inbound pipeline build on these)."""

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.mail.models import Message
from app.requests.models import DsrRequest


async def thread(session: AsyncSession, dsr: DsrRequest) -> list[Message]:
    """The ticket's mail, oldest first."""
    query = select(Message).where(Message.request_id == dsr.id)
    return list((await session.execute(query.order_by(col(Message.id)))).scalars())
