"""The fan-out worker: claim due tasks with a lease, run them concurrently, record results.

Claiming selects due tasks of in-progress tickets with `FOR UPDATE SKIP LOCKED` on
PostgreSQL (ignored by SQLite, whose writers are serialised) and writes a lease (owner,
expiry) in the same transaction, so two workers never hold the same task. The lease is
short (`LEASE`) and a heartbeat renews it while the task runs, so a crashed worker's
tasks are resumed by another within seconds. Results are written only while the lease
is still ours, so a worker that lost its task cannot overwrite the one that took over.

Connector I/O runs outside transactions, at most `runtime.concurrency` tasks at once per
worker and under each connector's rate limit. The worker claims again whenever a slot
frees and whenever new work is announced (`app.wakeup`), so one slow vendor call holds
one slot, not the tickets behind it. One shared HTTP client serves a run.
"""

import asyncio
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app import wakeup
from app.db import session_scope, utcnow
from app.enums import Status
from app.fanout import outcomes
from app.fanout import service as fanout_service
from app.fanout.config import FanoutRuntime
from app.fanout.models import ConnectorTask, TaskStatus
from app.fanout.outcomes import Claimed
from app.fanout.service import Outcome
from app.fanout.staging import StagedFile, publish_all
from app.jobs import heartbeat
from app.logging import log
from app.requests.models import DsrRequest
from connectors.base import Capability

T = TaskStatus
# Short, so a dead worker's tasks are taken over within seconds; the heartbeat renews it
# three times per lease, so a live worker keeps its tasks through a stall of ~7 s.
LEASE = timedelta(seconds=10)
HEARTBEAT_SECONDS = 3.0


def new_worker_id() -> str:
    """A lease owner name: host, process and a random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class RunSummary:
    """What one run did: task outcomes by status, plus `lost` leases."""

    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Tasks this run attempted."""
        return sum(self.outcomes.values())


def _abandoned(now: datetime, worker: str) -> ColumnElement[bool]:
    # A lease of our own that expired (a stalled heartbeat) is still running here:
    # taking it again would run the task twice in this worker.
    return and_(
        col(ConnectorTask.lease_expires_at) < now,
        col(ConnectorTask.lease_owner) != worker,
    )


def _run_due(now: datetime, worker: str) -> ColumnElement[bool]:
    return or_(
        and_(
            col(ConnectorTask.status) == T.PENDING,
            or_(
                col(ConnectorTask.next_attempt_at).is_(None),
                col(ConnectorTask.next_attempt_at) <= now,
            ),
        ),
        and_(col(ConnectorTask.status) == T.RUNNING, _abandoned(now, worker)),
    )


def _poll_due(now: datetime, worker: str) -> ColumnElement[bool]:
    return and_(
        col(ConnectorTask.status) == T.WAITING,
        col(ConnectorTask.next_attempt_at) <= now,
        or_(
            col(ConnectorTask.lease_expires_at).is_(None),
            _abandoned(now, worker),
        ),
    )


async def claim(
    maker: async_sessionmaker[AsyncSession], worker: str, limit: int, *, poll: bool
) -> list[Claimed]:
    """Lease up to `limit` due tasks (to run, or with `poll` waiting ones to poll)."""
    if limit <= 0:
        return []
    now = utcnow()
    due = _poll_due(now, worker) if poll else _run_due(now, worker)
    query = (
        select(ConnectorTask, DsrRequest)
        .join(DsrRequest, col(DsrRequest.id) == ConnectorTask.request_id)
        .where(col(DsrRequest.status) == Status.IN_PROGRESS, due)
        .order_by(col(ConnectorTask.id))
        .limit(limit)
        .with_for_update(skip_locked=True, of=ConnectorTask)
    )
    async with session_scope(maker) as session:
        rows = [(task, dsr) for task, dsr in await session.execute(query)]
        for task, _dsr in rows:
            if not poll:
                task.status, task.attempts = T.RUNNING, task.attempts + 1
                _mark_started(task, now)
            task.lease_owner, task.lease_expires_at = worker, now + LEASE
            task.updated_at = now
    return [_claimed(task, dsr) for task, dsr in rows]


def _mark_started(task: ConnectorTask, now: datetime) -> None:
    """Record that an attempt starts; one found started before ended unrecorded."""
    if task.started_at is not None and task.action != Capability.ACCESS:
        # The worker died after calling the vendor, maybe after it erased: a zero count
        # from this attempt no longer means "not held". (Access restages everything.)
        task.count_unknown = True
    task.started_at = now


def _claimed(task: ConnectorTask, dsr: DsrRequest) -> Claimed:
    assert task.id is not None  # noqa: S101 - a stored row
    assert dsr.id is not None  # noqa: S101 - a stored row
    return Claimed(
        task_id=task.id,
        request_id=dsr.id,
        reference=dsr.reference,
        connector=task.connector,
        action=task.action,
        attempts=task.attempts,
        email=dsr.subject_email,
        name=dsr.subject_name,
        job_ref=task.job_ref,
        created_at=task.created_at,
    )


@dataclass(frozen=True, slots=True)
class Finished:
    """An attempt's outcome, waiting to be written."""

    claimed: Claimed
    outcome: Outcome
    staged: StagedFile | None = None


async def record(
    maker: async_sessionmaker[AsyncSession], worker: str, batch: Sequence[Finished]
) -> list[bool]:
    """Write outcomes in one transaction, each only while its lease is still ours."""
    async with session_scope(maker) as session:
        # One lock order for every writer (tickets, then tasks, by id): no deadlocks.
        tickets = {
            request_id: await fanout_service.lock_ticket(session, request_id)
            for request_id in sorted({item.claimed.request_id for item in batch})
        }
        tasks = await _locked_tasks(session, [item.claimed.task_id for item in batch])
        kept: list[bool] = []
        results, staged = [], []
        for item in batch:
            task = tasks.get(item.claimed.task_id)
            if task is None or task.lease_owner != worker:
                log.warning(
                    "fanout.lease_lost", task=item.claimed.task_id, worker=worker
                )
                kept.append(False)
                continue
            if item.staged is not None and item.outcome.status is T.SUCCEEDED:
                staged.append(item.staged)
            results.append((tickets[item.claimed.request_id], task, item.outcome))
            kept.append(True)
        await publish_all(staged)  # before the commit: a published file is complete
        await fanout_service.apply_outcomes(session, results)
        for dsr in tickets.values():  # once per ticket, after all its outcomes
            await fanout_service.settle(session, dsr)
    return kept


async def _locked_tasks(
    session: AsyncSession, task_ids: list[int]
) -> dict[int, ConnectorTask]:
    query = (
        select(ConnectorTask)
        .where(col(ConnectorTask.id).in_(task_ids))
        .order_by(col(ConnectorTask.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    rows = (await session.execute(query)).scalars()
    return {task.id: task for task in rows if task.id is not None}


class _Writer:
    """Serialises this worker's writes; outcomes that finish together share a commit.

    SQLite allows one writer at a time and its busy handler backs off in sleeps of up
    to 100 ms, so concurrent writers from one process would mostly wait; grouping also
    saves PostgreSQL a commit per task.
    """

    def __init__(self, maker: async_sessionmaker[AsyncSession], worker: str) -> None:
        self.maker, self.worker = maker, worker
        self.lock = asyncio.Lock()
        self._queue: list[tuple[Finished, asyncio.Future[bool | None]]] = []

    async def write(self, item: Finished) -> str:
        """Record one outcome: its status, `lost` (lease gone) or `error`."""
        future: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        try:
            async with self.lock:
                if not future.done():
                    await asyncio.sleep(0)  # let outcomes finishing with ours join in
                    batch, self._queue = self._queue, []
                    await self._flush(batch)
            kept = await future
        finally:
            if item.staged is not None:
                await item.staged.discard()  # a no-op once published
        if kept is None:
            return "error"
        return item.outcome.status.value if kept else "lost"

    async def _flush(
        self, batch: list[tuple[Finished, asyncio.Future[bool | None]]]
    ) -> None:
        items = [item for item, _ in batch]
        try:
            try:
                results: list[bool | None] = list(
                    await record(self.maker, self.worker, items)
                )
            except Exception:  # one bad outcome must not sink the others: go one by one
                results = [await self._alone(item) for item in items]
            for (_, future), kept in zip(batch, results, strict=True):
                future.set_result(kept)
        finally:
            for _, future in batch:
                if not future.done():
                    future.cancel()

    async def _alone(self, item: Finished) -> bool | None:
        try:
            return (await record(self.maker, self.worker, [item]))[0]
        except Exception as exc:  # the lease expires and another run retries the task
            log.error(
                "fanout.record_failed",
                task=item.claimed.task_id,
                error=type(exc).__name__,
            )
            return None


async def renew_leases(maker: async_sessionmaker[AsyncSession], worker: str) -> int:
    """Extend the leases `worker` holds on running or polled tasks; how many."""
    async with session_scope(maker) as session:
        result = await session.execute(
            update(ConnectorTask)
            .where(
                col(ConnectorTask.lease_owner) == worker,
                col(ConnectorTask.status).in_([T.RUNNING, T.WAITING]),
            )
            .values(lease_expires_at=utcnow() + LEASE)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult


async def _renew(writer: _Writer) -> None:
    """Keep this worker's leases alive while its tasks run."""
    async with writer.lock:
        await renew_leases(writer.maker, writer.worker)


Attempt = Callable[[Claimed, httpx.AsyncClient], Coroutine[Any, Any, Finished]]


async def _drain(
    maker: async_sessionmaker[AsyncSession],
    runtime: FanoutRuntime,
    worker: str,
    *,
    poll: bool,
    attempt: Attempt,
    woken: asyncio.Event | None = None,
) -> RunSummary:
    """Claim and run due tasks, keeping every slot busy, until none are due.

    It claims again whenever a slot frees (a retry may have come due, a dead worker's
    lease expired) and whenever `woken` announces new work, so a slow task holds up
    nothing but its own slot.
    """
    summary = RunSummary()
    writer = _Writer(maker, worker)
    running: set[asyncio.Task[str]] = set()
    wake: asyncio.Task[Any] | None = None

    async def one(claimed: Claimed, http: httpx.AsyncClient) -> str:
        try:
            return await writer.write(await attempt(claimed, http))
        except Exception as exc:  # the lease expires and a later run retries the task
            log.error(
                "fanout.task_crashed", task=claimed.task_id, error=type(exc).__name__
            )
            return "error"

    renew = partial(_renew, writer)
    try:
        async with (
            heartbeat(HEARTBEAT_SECONDS, renew, event="fanout.heartbeat_failed"),
            runtime.http_client() as http,
        ):
            while True:
                async with writer.lock:
                    if woken is not None:  # cleared first: a later wake-up is seen
                        woken.clear()
                    free = runtime.concurrency - len(running)
                    claimed = await claim(maker, worker, free, poll=poll)
                running.update(asyncio.create_task(one(c, http)) for c in claimed)
                if not running:
                    return summary
                if woken is not None and (wake is None or wake.done()):
                    wake = asyncio.create_task(woken.wait())
                waiting: set[asyncio.Task[Any]] = {*running, *([wake] if wake else [])}
                done, _ = await asyncio.wait(
                    waiting, return_when=asyncio.FIRST_COMPLETED
                )
                finished = {task for task in running if task in done}
                running -= finished
                summary.outcomes.update(task.result() for task in finished)
    finally:
        extra = [wake] if wake is not None else []
        for task in (*running, *extra):
            task.cancel()
        await asyncio.gather(*running, *extra, return_exceptions=True)


async def run_due(
    maker: async_sessionmaker[AsyncSession],
    runtime: FanoutRuntime,
    *,
    data_dir: Path,
    worker: str | None = None,
) -> RunSummary:
    """Run every due task (pending, retry due, or abandoned by a dead worker)."""
    owner = worker or new_worker_id()

    async def attempt(claimed: Claimed, http: httpx.AsyncClient) -> Finished:
        outcome, staged = await outcomes.attempt(
            claimed, runtime, http, data_dir, utcnow()
        )
        return Finished(claimed, outcome, staged)

    signal = wakeup.signal_of(maker)
    woken = signal.event("fanout") if signal is not None else None
    summary = await _drain(
        maker, runtime, owner, poll=False, attempt=attempt, woken=woken
    )
    if summary.total:
        log.info("fanout.run", worker=owner, **summary.outcomes)
    return summary


async def poll_due(
    maker: async_sessionmaker[AsyncSession],
    runtime: FanoutRuntime,
    *,
    worker: str | None = None,
) -> RunSummary:
    """Poll waiting erasures whose next check is due."""
    owner = worker or new_worker_id()

    async def attempt(claimed: Claimed, http: httpx.AsyncClient) -> Finished:
        outcome = await outcomes.poll_attempt(claimed, runtime, http, utcnow())
        return Finished(claimed, outcome)

    summary = await _drain(maker, runtime, owner, poll=True, attempt=attempt)
    if summary.total:
        log.info("fanout.poll", worker=owner, **summary.outcomes)
    return summary


async def sweep(
    maker: async_sessionmaker[AsyncSession], runtime: FanoutRuntime
) -> None:
    """Plan tickets approved without a runtime; settle tickets whose tasks all ended."""
    async with session_scope(maker) as session:
        planned = await fanout_service.plan_unplanned(session, runtime)
        settled = await fanout_service.settle_open(session)
    if planned or settled:
        log.info("fanout.sweep", planned=planned, settled=settled)
