"""Results vendors deliver later, by calling us: verified by their connector, matched, applied.

Any connector type can receive callbacks at `POST /api/v1/callbacks/{connector}` by
overriding `Connector.callback()`: the connector verifies the call (its vendor's
signature scheme) and reads it into a `CallbackResult` naming the task, by the
idempotency key we sent (`<reference>:<connector>:<action>`) or by the job reference
the vendor returned, and what became of it. This module finds the task and applies the
result as an attempt's outcome would be: a repeated `done` for a finished task is
accepted and changes nothing; a result for a task that is not waiting (e.g. still being
recorded) is refused with 409, so the sender retries. The webhook type's service posts
its signed results here (the older `/api/v1/callbacks/webhook/{connector}` still works).
"""

from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.db import utcnow
from app.enums import Status
from app.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from app.fanout.config import FanoutRuntime
from app.fanout.models import ConnectorTask, TaskStatus
from app.fanout.outcomes import from_summary
from app.fanout.service import Outcome, apply_outcome, lock_ticket, settle
from app.fanout.staging import StagedFile
from app.requests.models import DsrRequest
from connectors.base import (
    CallbackMalformed,
    CallbackRefused,
    CallbackRequest,
    CallbackResult,
    Capability,
    Connector,
    ConnectorError,
    EraseStatus,
)

T = TaskStatus
_FINISHED = frozenset({EraseStatus.DONE, EraseStatus.ALREADY_ERASED})


def receives_callbacks(connector_type: type[Connector[Any]]) -> bool:
    """Whether the type overrides `Connector.callback`."""
    return connector_type.callback is not Connector.callback


async def accept_callback(
    session: AsyncSession,
    runtime: FanoutRuntime | None,
    connector: str,
    request: CallbackRequest,
    *,
    data_dir: Path,
) -> ConnectorTask | None:
    """Verify a vendor's callback and apply its result to the waiting task; None when
    the delivery concerns no task (acknowledged, nothing changes)."""
    spec = runtime.get(connector) if runtime is not None else None
    if runtime is None or spec is None or not receives_callbacks(spec.type):
        raise NotFound(f"no connector {connector!r} receives callbacks")
    instance = runtime.build(connector)
    try:
        result = await _read(instance, request)
        if result is None:
            return None
        task, dsr = await _find_task(session, connector, result)
        if _nothing_new(task, result):
            return task  # still pending, or a repeated delivery
        if task.status is not T.WAITING or dsr.status is not Status.IN_PROGRESS:
            raise Conflict(f"task {task.id} is {task.status}: no result is awaited")
        outcome = await _outcome(result, task, dsr.reference, instance, data_dir)
    finally:
        await instance.aclose()
    await apply_outcome(session, dsr, task, outcome)
    await settle(session, dsr)
    return task


async def _read(
    instance: Connector[Any], request: CallbackRequest
) -> CallbackResult | None:
    try:
        return await instance.callback(request)
    except CallbackRefused as exc:
        raise Unauthorized(str(exc)) from None
    except CallbackMalformed as exc:
        raise ValidationFailed(str(exc)) from None
    except ConnectorError as exc:
        raise ValidationFailed(str(exc) or type(exc).__name__) from None


def _nothing_new(task: ConnectorTask, result: CallbackResult) -> bool:
    status = result.summary.status if result.summary is not None else None
    if status is EraseStatus.PENDING:
        return True
    finished = status in _FINISHED or (status is None and result.records is not None)
    return task.status is T.SUCCEEDED and finished and result.failure is None


async def _find_task(
    session: AsyncSession, connector: str, result: CallbackResult
) -> tuple[ConnectorTask, DsrRequest]:
    unknown = NotFound("no task has this idempotency_key or job reference")
    query = select(ConnectorTask.id, ConnectorTask.request_id).where(
        ConnectorTask.connector == connector
    )
    if result.idempotency_key:
        reference, _, rest = result.idempotency_key.partition(":")
        middle, _, action = rest.rpartition(":")
        if middle != connector:
            raise unknown
        query = query.join(
            DsrRequest, col(DsrRequest.id) == ConnectorTask.request_id
        ).where(DsrRequest.reference == reference, ConnectorTask.action == action)
    else:
        query = query.where(ConnectorTask.job_ref == result.job_ref)
    found = (await session.execute(query.limit(1))).first()
    if found is None:
        raise unknown
    task_id, request_id = found
    dsr = await lock_ticket(session, request_id)  # the ticket first: one lock order
    task = await session.get(ConnectorTask, task_id, populate_existing=True)
    if task is None:
        raise unknown
    return task, dsr


async def _outcome(
    result: CallbackResult,
    task: ConnectorTask,
    reference: str,
    connector: Connector[Any],
    data_dir: Path,
) -> Outcome:
    summary = result.summary
    notes = tuple(summary.notes) if summary is not None else ()
    if result.failure is not None:
        error = f"{task.connector} reported a failure: {result.failure}"
        return Outcome(T.FAILED, error=error, notes=notes, personal_error=True)
    if summary is not None and summary.status is EraseStatus.MANUAL_REQUIRED:
        default = f"Finish the {task.action} in {task.connector} by hand."
        return Outcome(T.MANUAL, instructions="\n".join(notes) or default, notes=notes)
    if task.action != Capability.ACCESS:
        if summary is None:
            raise ValidationFailed("the callback carries no result for this task")
        return from_summary(summary, connector, utcnow(), task.action)
    staged = StagedFile.open_for(data_dir, reference, task.connector)
    try:
        await staged.write_all(result.records or ())
        staged.describe(connector)
        await staged.publish()
    finally:
        await staged.discard()
    return Outcome(T.SUCCEEDED, counts=staged.counts, notes=notes)
