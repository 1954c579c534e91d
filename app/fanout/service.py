"""Fan-out task queries (the runner comes with the fan-out engine)."""

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.fanout.models import ConnectorTask
from app.requests.models import DsrRequest


async def tasks_for(session: AsyncSession, dsr: DsrRequest) -> list[ConnectorTask]:
    """The ticket's connector tasks, in creation order."""
    query = select(ConnectorTask).where(ConnectorTask.request_id == dsr.id)
    return list(
        (await session.execute(query.order_by(col(ConnectorTask.id)))).scalars()
    )
