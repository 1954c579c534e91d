"""Answering tickets whose connector tasks all succeeded: the results step of the lifecycle.

Fan-out records `fanout_completed` and leaves the ticket in progress; this step answers it:
access and portability get their package, an erasure its report, the rest a plain completion.
"""

from sqlalchemy import ColumnElement, exists
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app.db import session_scope, try_advisory_lock, utcnow
from app.enums import RequestType, Status
from app.exports import service
from app.exports.models import Export
from app.fanout.models import ConnectorTask, TaskStatus
from app.requests import lifecycle, tickets
from app.requests.models import DsrRequest
from app.settings import Settings

BATCH = 20


def _ready() -> list[ColumnElement[bool]]:
    has_tasks = exists().where(col(ConnectorTask.request_id) == DsrRequest.id)
    unfinished = exists().where(
        col(ConnectorTask.request_id) == DsrRequest.id,
        col(ConnectorTask.status) != TaskStatus.SUCCEEDED,
    )
    exported = exists().where(col(Export.request_id) == DsrRequest.id)
    return [
        col(DsrRequest.status) == Status.IN_PROGRESS,
        has_tasks,
        ~unfinished,
        ~exported,
    ]


async def _claim_ready(session: AsyncSession) -> list[DsrRequest]:
    query = (
        select(DsrRequest.id)
        .where(*_ready())
        .order_by(col(DsrRequest.id))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    found = []
    for ident in list((await session.execute(query)).scalars()):
        if (dsr := await tickets.edit_or_none(session, ident)) is not None:
            found.append(dsr)
    return found


async def answer_ready(
    maker: async_sessionmaker[AsyncSession], *, settings: Settings
) -> int:
    """Answer every ready ticket; returns how many were answered."""
    answered = 0
    async with session_scope(maker) as session:
        if not await try_advisory_lock(session, "dsr.results"):
            return 0
        ready = await _claim_ready(session)
        plain = [dsr for dsr in ready if dsr.type not in service.EXPORT_TYPES]
        for dsr in plain:
            if dsr.type is RequestType.ERASURE:
                await service.erasure_report(session, dsr, settings=settings)
            await lifecycle.transition(session, dsr, Status.COMPLETED, actor="system")
            answered += 1
        exports = [dsr.id for dsr in ready if dsr.type in service.EXPORT_TYPES]
    for ident in exports:
        answered += await _answer_with_export(maker, ident, settings=settings)
    return answered


async def _answer_with_export(
    maker: async_sessionmaker[AsyncSession], ident: int | None, *, settings: Settings
) -> int:
    # Build outside any transaction: a large package takes a while.
    async with session_scope(maker) as session:
        dsr = await session.get(DsrRequest, ident)
    if dsr is None:
        return 0
    manifest = await service.build(dsr, settings=settings, now=utcnow())
    async with session_scope(maker) as session:
        fresh = await tickets.edit_or_none(session, ident or 0)
        still = select(DsrRequest.id).where(col(DsrRequest.id) == ident, *_ready())
        if fresh is None or (await session.execute(still)).first() is None:
            return 0  # answered meanwhile (another worker, staff): keep theirs
        await service.record(session, fresh, manifest, settings=settings)
    return 1
