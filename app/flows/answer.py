"""Answering tickets whose connector tasks all succeeded: the results step of the lifecycle.

Fan-out queues a `results_work` row when a ticket's tasks have all succeeded (and wakes
the `results` channel); this step answers the ticket: access and portability get their
package, an erasure its report, an objection or opt-out its confirmation of where
marketing stopped, the rest a plain completion. Rows are leased work, like
connector tasks: claimed one at a time with `FOR UPDATE SKIP LOCKED` and a short lease
that a heartbeat renews while the package builds, so a dead worker's ticket is taken
over within seconds and two workers never answer one ticket. A failed attempt is audited
(`results_failed`) and retried with backoff; after `MAX_ATTEMPTS` the ticket moves to
`action_required` (staff's retry queues it again). Each ticket is answered in
transactions of its own, so one that cannot be answered never holds up the others.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app.audit import service as audit
from app.db import session_scope, utcnow
from app.enums import RequestType, Status
from app.exports import service
from app.fanout.config import runtime_of
from app.fanout.models import ResultsWork, WorkStatus
from app.fanout.runner import HEARTBEAT_SECONDS, LEASE, new_worker_id
from app.jobs import heartbeat
from app.logging import log
from app.requests import lifecycle, tickets
from app.requests.models import DsrRequest
from app.settings import Settings

W = WorkStatus
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 60.0
BACKOFF_CAP_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class _Claimed:
    work_id: int
    request_id: int
    attempts: int


class _LeaseLost(Exception):
    """Another worker took the ticket over; its answer is theirs to write."""


async def answer_ready(
    maker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    worker: str | None = None,
) -> int:
    """Answer every ticket whose results step is due, one at a time; how many answered."""
    owner = worker or new_worker_id()
    answered = 0
    while (claimed := await _claim(maker, owner)) is not None:
        answered += await _attempt(maker, claimed, owner, settings=settings)
    return answered


async def _claim(
    maker: async_sessionmaker[AsyncSession], worker: str
) -> _Claimed | None:
    now = utcnow()
    due = or_(
        and_(
            col(ResultsWork.status) == W.PENDING,
            or_(
                col(ResultsWork.next_attempt_at).is_(None),
                col(ResultsWork.next_attempt_at) <= now,
            ),
        ),
        and_(  # a dead worker's; never our own, which is still being answered here
            col(ResultsWork.status) == W.RUNNING,
            col(ResultsWork.lease_expires_at) < now,
            col(ResultsWork.lease_owner) != worker,
        ),
    )
    query = (
        select(ResultsWork)
        .join(DsrRequest, col(DsrRequest.id) == ResultsWork.request_id)
        .where(col(DsrRequest.status) == Status.IN_PROGRESS, due)
        .order_by(col(ResultsWork.id))
        .limit(1)
        .with_for_update(skip_locked=True, of=ResultsWork)
    )
    async with session_scope(maker) as session:
        work = (await session.execute(query)).scalar_one_or_none()
        if work is None:
            return None
        work.status, work.attempts = W.RUNNING, work.attempts + 1
        work.lease_owner, work.lease_expires_at = worker, now + LEASE
        work.updated_at = now
    assert work.id is not None  # noqa: S101 - a stored row
    return _Claimed(work.id, work.request_id, work.attempts)


async def _attempt(
    maker: async_sessionmaker[AsyncSession],
    claimed: _Claimed,
    worker: str,
    *,
    settings: Settings,
) -> int:
    try:
        renew = partial(_renew, maker, claimed, worker)
        async with heartbeat(
            HEARTBEAT_SECONDS, renew, event="results.heartbeat_failed"
        ):
            if claimed.attempts > MAX_ATTEMPTS:  # workers kept dying on this one
                raise RuntimeError(f"gave up: a worker stopped {MAX_ATTEMPTS} times")
            return await _answer(maker, claimed, worker, settings=settings)
    except _LeaseLost:
        log.warning("results.answer_lease_lost", work=claimed.work_id, worker=worker)
    except Exception as exc:  # any failure: audited and retried, never the batch's end
        log.error(
            "results.answer_failed",
            request=claimed.request_id,
            error=type(exc).__name__,
        )
        try:
            await _failed(maker, claimed, worker, exc)
        except _LeaseLost:
            log.warning(
                "results.answer_lease_lost", work=claimed.work_id, worker=worker
            )
        except Exception as again:  # e.g. the database is gone: the lease expires
            log.error("results.answer_failure_unrecorded", error=type(again).__name__)
    return 0


async def _answer(
    maker: async_sessionmaker[AsyncSession],
    claimed: _Claimed,
    worker: str,
    *,
    settings: Settings,
) -> int:
    async with session_scope(maker) as session:
        dsr = await session.get(DsrRequest, claimed.request_id)
        runtime = runtime_of(session)
    manifest = None
    if dsr is not None and dsr.type in service.EXPORT_TYPES:
        # Built outside any transaction: a large package takes a while.
        manifest = await service.build(
            dsr, settings=settings, now=utcnow(), runtime=runtime
        )
    async with session_scope(maker) as session:
        dsr, work = await _locked(session, claimed, worker)
        if dsr.status is not Status.IN_PROGRESS:  # canceled meanwhile: nothing to send
            _close(work, W.DONE)
            return 0
        if manifest is not None:
            await service.record(session, dsr, manifest, settings=settings)
        else:
            if dsr.type is RequestType.ERASURE:
                await service.erasure_report(session, dsr, settings=settings)
            elif dsr.type in service.OPT_OUT_TYPES:
                await service.opt_out_report(session, dsr, settings=settings)
            await lifecycle.transition(session, dsr, Status.COMPLETED, actor="system")
        _close(work, W.DONE)
    return 1


async def _locked(
    session: AsyncSession, claimed: _Claimed, worker: str
) -> tuple[DsrRequest, ResultsWork]:
    """The ticket, then its row, locked (the fan-out's order); raise if no longer ours."""
    dsr = await tickets.edit_or_none(session, claimed.request_id)
    query = (
        select(ResultsWork)
        .where(col(ResultsWork.id) == claimed.work_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    work = (await session.execute(query)).scalar_one_or_none()
    if dsr is None or work is None or work.lease_owner != worker:
        raise _LeaseLost
    return dsr, work


def _close(work: ResultsWork, status: WorkStatus) -> None:
    work.status, work.updated_at = status, utcnow()
    work.lease_owner = work.lease_expires_at = None


async def _failed(
    maker: async_sessionmaker[AsyncSession],
    claimed: _Claimed,
    worker: str,
    exc: Exception,
) -> None:
    """Audit the failure; retry later, or after the last attempt hand it to staff."""
    error = _kind(exc)
    async with session_scope(maker) as session:
        dsr, work = await _locked(session, claimed, worker)
        if (
            dsr.status is not Status.IN_PROGRESS
        ):  # canceled meanwhile: nothing to answer
            _close(work, W.DONE)
            return
        final = work.attempts >= MAX_ATTEMPTS
        data: dict[str, object] = {"attempts": work.attempts, "error": error}
        _close(work, W.FAILED if final else W.PENDING)
        work.error = error
        if not final:
            work.next_attempt_at = utcnow() + _backoff(work.attempts)
            data["next_attempt_at"] = work.next_attempt_at.isoformat()
        # The message may quote anything (a path, a value): the erasable part keeps it.
        detail = {"detail": str(exc)} if str(exc) else {}
        await audit.record(
            session, dsr, "results_failed", actor="system", data=data, personal=detail
        )
        if final:
            reason = f"the answer failed {work.attempts} times ({error}); retry it"
            await lifecycle.transition(
                session,
                dsr,
                Status.ACTION_REQUIRED,
                actor="system",
                reason=reason,
                data={"results_error": error},
            )


def _kind(exc: Exception) -> str:
    # The type and the OS's reason (a full disk, a denied read) without the message.
    name = type(exc).__name__
    reason = exc.strerror if isinstance(exc, OSError) else None
    return f"{name}: {reason}" if reason else name


def _backoff(attempts: int) -> timedelta:
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))  # noqa: S311 - jitter


async def _renew(
    maker: async_sessionmaker[AsyncSession], claimed: _Claimed, worker: str
) -> None:
    """Extend the row's lease, if it is still ours."""
    async with session_scope(maker) as session:
        await session.execute(
            update(ResultsWork)
            .where(
                col(ResultsWork.id) == claimed.work_id,
                col(ResultsWork.lease_owner) == worker,
            )
            .values(lease_expires_at=utcnow() + LEASE)
        )
