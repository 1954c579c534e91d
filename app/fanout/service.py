"""Fan-out tasks on a ticket: planning on approval, outcomes, settling, staff actions.

Planning writes one task per enabled connector whose capabilities cover the request's
action (access and portability → `access`, erasure → `erase`, objection and opt-out →
`opt_out`). Request types no connector can perform (rectification, restriction), and
tickets no connector applies to, get one manual task under the reserved connector name
`staff`, with instructions, so a person always owns the outcome; an objection also gets
a staff task (`objection`) to decide on any use beyond direct marketing (Art. 21(1)).
Planning is idempotent: the unique (request, connector, action) constraint makes a
second plan insert nothing.

Settling: when every task has ended (succeeded, failed or manual), an `in_progress`
ticket moves on: all succeeded → its `results_work` row and the `fanout_completed` event,
once (the results step answers and completes it); otherwise `action_required` with the
reason. Staff retry failed tasks (or a failed results step) and complete manual ones;
both resume the ticket. Every status change goes through `lifecycle.transition`. New
work wakes the worker when the transaction commits (`app.wakeup`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app import wakeup
from app.audit import service as audit
from app.db import utcnow
from app.enums import RequestType, Status
from app.errors import Conflict, NotFound, ValidationFailed
from app.fanout.config import STAFF, FanoutRuntime, runtime_of
from app.fanout.models import ConnectorTask, ResultsWork, TaskStatus, WorkStatus
from app.requests import lifecycle, tickets
from app.requests.models import DsrRequest
from connectors.base import Capability

T = TaskStatus
OPEN = frozenset({T.PENDING, T.RUNNING, T.WAITING})
ACTIONS: Mapping[RequestType, Capability] = {
    RequestType.ACCESS: Capability.ACCESS,
    RequestType.PORTABILITY: Capability.ACCESS,
    RequestType.ERASURE: Capability.ERASE,
    # An objection to direct marketing (Art. 21(3)) and a CCPA "do not sell or share"
    # both stop marketing in every system that sends it.
    RequestType.OBJECTION: Capability.OPT_OUT,
    RequestType.OPT_OUT: Capability.OPT_OUT,
}
_BY_HAND = {
    Capability.ACCESS: "No connector can search for this person's data. Find it in "
    "every system that may hold it and answer by hand",
    Capability.ERASE: "No connector can erase this person's data. Erase it by hand in "
    "every system that holds it",
    Capability.OPT_OUT: "No connector can unsubscribe this person. Unsubscribe them "
    "from marketing in every system that sends it",
}
OBJECTION_REVIEW = "objection"
"""Action of the staff task every objection gets beside its opt-outs."""
_OBJECTION_REVIEW_TEXT = (
    "Read the objection. Direct marketing stops without exception (Art. 21(3) GDPR): "
    "the opt-out tasks of this ticket do that. If it also objects to other uses of "
    "the person's data (Art. 21(1)), stop them unless compelling legitimate grounds "
    "override the person's interests, and refuse that part with reasons if so. "
    "Then complete this task with a note saying what was decided."
)


def idempotency_key(reference: str, connector: str, action: str) -> str:
    """The key a task sends on every attempt (vendors drop repeats of a key)."""
    return f"{reference}:{connector}:{action}"


async def tasks_for(session: AsyncSession, dsr: DsrRequest) -> list[ConnectorTask]:
    """The ticket's connector tasks, in creation order."""
    query = select(ConnectorTask).where(ConnectorTask.request_id == dsr.id)
    return list(
        (await session.execute(query.order_by(col(ConnectorTask.id)))).scalars()
    )


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """A task the plan calls for."""

    connector: str
    action: str
    status: TaskStatus = T.PENDING
    instructions: str | None = None


def planned_tasks(dsr: DsrRequest, runtime: FanoutRuntime) -> list[PlannedTask]:
    """What the ticket needs: a task per capable connector, else one staff task; an
    objection also gets a staff review of anything beyond direct marketing."""
    planned = _connector_or_staff_tasks(dsr, runtime)
    if dsr.type is RequestType.OBJECTION:
        review = PlannedTask(STAFF, OBJECTION_REVIEW, T.MANUAL, _OBJECTION_REVIEW_TEXT)
        planned.append(review)
    return planned


def _connector_or_staff_tasks(
    dsr: DsrRequest, runtime: FanoutRuntime
) -> list[PlannedTask]:
    action = ACTIONS.get(dsr.type)
    if action is not None:
        specs = runtime.planned_for(action)
        if specs:
            return [PlannedTask(spec.name, action) for spec in specs]
        text = _BY_HAND[action]
    else:
        action_name = dsr.type.value.replace("_", "-")
        text = f"No connector handles {action_name} requests. Act on it by hand"
    systems = [spec.name for spec in runtime.connectors.values() if spec.enabled]
    listed = f" (configured systems: {', '.join(systems)})" if systems else ""
    instructions = f"{text}{listed}, then complete this task with a note."
    name = action.value if action is not None else dsr.type.value
    return [PlannedTask(STAFF, name, T.MANUAL, instructions)]


async def plan(
    session: AsyncSession, dsr: DsrRequest, runtime: FanoutRuntime
) -> list[ConnectorTask]:
    """Create the ticket's tasks once (idempotent) and return all of them."""
    wanted = planned_tasks(dsr, runtime)
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "request_id": dsr.id,
            "connector": item.connector,
            "action": item.action,
            "status": item.status,
            "attempts": 0,
            "counts": {},
            "instructions": item.instructions,
            "created_at": now,
            "updated_at": now,
        }
        for item in wanted
    ]
    dialect = postgresql if _dialect(session) == "postgresql" else sqlite
    statement = dialect.insert(ConnectorTask).values(rows).on_conflict_do_nothing()
    inserted = (await session.execute(statement)).rowcount  # type: ignore[attr-defined]  # CursorResult
    if inserted:
        planned = [{"connector": t.connector, "action": t.action} for t in wanted]
        await audit.record(
            session, dsr, "fanout_planned", actor="system", data={"tasks": planned}
        )
    return await tasks_for(session, dsr)


async def plan_approved(session: AsyncSession, dsr: DsrRequest) -> None:
    """Plan an approved ticket when the app runs with connectors (else the job will);
    the worker starts on it as soon as the approval commits."""
    runtime = runtime_of(session)
    if runtime is not None:
        await plan(session, dsr, runtime)
    await wakeup.notify(session, "fanout")


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def lock_ticket(session: AsyncSession, request_id: int) -> DsrRequest:
    """Load the ticket for update, serialising everything that may settle it."""
    dsr = await tickets.edit_or_none(session, request_id)
    if dsr is None:
        raise NotFound(f"no request with id {request_id}")
    return dsr


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one attempt at a task."""

    status: TaskStatus
    counts: Mapping[str, int] | None = None
    error: str | None = None
    job_ref: str | None = None
    instructions: str | None = None
    next_attempt_at: datetime | None = None
    notes: Sequence[str] = ()
    personal_error: bool = False  # the error text came from outside a connector
    count_unknown: bool = False  # the vendor said it was erased before (uncounted)


_EVENT_KINDS = {
    T.SUCCEEDED: "task_succeeded",
    T.FAILED: "task_failed",
    T.WAITING: "task_waiting",
    T.MANUAL: "task_manual",
    T.PENDING: "task_retry_scheduled",
}


async def apply_outcome(
    session: AsyncSession, dsr: DsrRequest, task: ConnectorTask, outcome: Outcome
) -> None:
    """Write an attempt's outcome on the task and audit it (the caller settles)."""
    await apply_outcomes(session, [(dsr, task, outcome)])


async def apply_outcomes(
    session: AsyncSession,
    results: Sequence[tuple[DsrRequest, ConnectorTask, Outcome]],
) -> None:
    """Write several outcomes, then their audit events (task rows flush together)."""
    now = utcnow()
    for _dsr, task, outcome in results:
        task.status = outcome.status
        if outcome.counts is not None:
            task.counts = merged_counts(task, outcome.counts)
        task.count_unknown = task.count_unknown or outcome.count_unknown
        task.started_at = None  # this attempt's end is recorded
        task.error = outcome.error
        task.job_ref = outcome.job_ref or task.job_ref
        task.instructions = outcome.instructions or task.instructions
        task.next_attempt_at = outcome.next_attempt_at
        task.lease_owner = task.lease_expires_at = None
        task.updated_at = now
    for dsr, task, outcome in results:
        await _audit_outcome(session, dsr, task, outcome)


def merged_counts(task: ConnectorTask, counts: Mapping[str, int]) -> dict[str, Any]:
    """The task's counts after an attempt reporting `counts`.

    Access restages everything, so its counts are replaced. An erasure or opt-out keeps,
    per object, the largest count any attempt reported: a retry (or a poll) after work
    already done reports less or the same, never a truer zero, and a replayed answer is
    not counted twice.
    """
    if task.action == Capability.ACCESS:
        return dict(counts)
    merged: dict[str, Any] = dict(task.counts)
    for key, value in counts.items():
        known = merged.get(key)
        merged[key] = max(known, value) if isinstance(known, int) else value
    return merged


async def _audit_outcome(
    session: AsyncSession, dsr: DsrRequest, task: ConnectorTask, outcome: Outcome
) -> None:
    data: dict[str, Any] = {**_describe(task), "attempts": task.attempts}
    personal: dict[str, str] = {}
    if outcome.counts is not None:
        data["counts"] = dict(outcome.counts)
    if outcome.job_ref:
        data["job_ref"] = outcome.job_ref
    if outcome.next_attempt_at is not None:
        data["next_attempt_at"] = outcome.next_attempt_at.isoformat()
    if outcome.error and outcome.personal_error:
        personal["error"] = outcome.error
    elif outcome.error:
        data["error"] = outcome.error
    if outcome.count_unknown:
        data["count_unknown"] = True
    if outcome.notes:  # vendors' free text: kept in the erasable part
        personal["notes"] = "\n".join(outcome.notes)
    kind = _EVENT_KINDS[outcome.status]
    await audit.record(session, dsr, kind, actor="system", data=data, personal=personal)


def _describe(task: ConnectorTask) -> dict[str, Any]:
    return {"task_id": task.id, "connector": task.connector, "action": task.action}


async def settle(session: AsyncSession, dsr: DsrRequest) -> None:
    """Move an in-progress ticket on once every task has ended."""
    if dsr.status is not Status.IN_PROGRESS:
        return
    tasks = await tasks_for(session, dsr)
    if not tasks or any(task.status in OPEN for task in tasks):
        return
    blocked = [task for task in tasks if task.status is not T.SUCCEEDED]
    if not blocked:
        await fanout_completed(session, dsr, tasks)
        return
    await lifecycle.transition(
        session,
        dsr,
        Status.ACTION_REQUIRED,
        actor="system",
        reason="; ".join(_blocked_reason(task) for task in blocked),
        data={
            "failed": [t.connector for t in blocked if t.status is T.FAILED],
            "manual": [t.connector for t in blocked if t.status is T.MANUAL],
        },
    )


def _blocked_reason(task: ConnectorTask) -> str:
    if task.status is T.MANUAL:
        return f"{task.connector} ({task.action}): a manual task is open"
    return f"{task.connector} ({task.action}) failed: {task.error or 'no detail'}"


async def fanout_completed(
    session: AsyncSession, dsr: DsrRequest, tasks: Sequence[ConnectorTask]
) -> None:
    """Every task succeeded: queue the ticket's answer and record `fanout_completed`, once.

    The ticket stays in progress until `app.flows.answer` has built and sent the access
    package, or confirmed the erasure, and completed it.
    """
    now = utcnow()
    dialect = postgresql if _dialect(session) == "postgresql" else sqlite
    statement = (
        dialect.insert(ResultsWork)
        .values(
            request_id=dsr.id,
            status=WorkStatus.PENDING,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )
    if not (await session.execute(statement)).rowcount:  # type: ignore[attr-defined]  # CursorResult
        return  # queued before: the event was written then
    summary = [{**_describe(task), "counts": task.counts} for task in tasks]
    await audit.record(
        session, dsr, "fanout_completed", actor="system", data={"tasks": summary}
    )
    await wakeup.notify(session, "results")


async def settle_open(session: AsyncSession) -> int:
    """Settle in-progress tickets whose tasks have all ended (a safety net); count."""
    open_ids = select(ConnectorTask.request_id).where(
        col(ConnectorTask.status).in_(OPEN)
    )
    query = (
        select(DsrRequest.id)
        .where(
            DsrRequest.status == Status.IN_PROGRESS,
            col(DsrRequest.id).in_(select(ConnectorTask.request_id)),
            col(DsrRequest.id).not_in(open_ids),
            # Completed fan-outs are the results step's now: settled once, not per sweep.
            col(DsrRequest.id).not_in(select(ResultsWork.request_id)),
        )
        .order_by(col(DsrRequest.id))  # one lock order for every writer
    )
    settled = 0
    for request_id in list((await session.execute(query)).scalars()):
        if request_id is not None:
            await settle(session, await lock_ticket(session, request_id))
            settled += 1
    return settled


async def plan_unplanned(session: AsyncSession, runtime: FanoutRuntime) -> int:
    """Plan in-progress tickets that have no task yet (approved without a runtime)."""
    query = select(DsrRequest.id).where(
        DsrRequest.status == Status.IN_PROGRESS,
        col(DsrRequest.id).not_in(select(ConnectorTask.request_id)),
    )
    planned = 0
    for ident in list((await session.execute(query)).scalars()):
        dsr = await tickets.edit_or_none(session, ident)
        if dsr is not None and dsr.status is Status.IN_PROGRESS:
            await plan(
                session, dsr, runtime
            )  # idempotent: a second planner adds nothing
            planned += 1
    return planned


def _task_of(tasks: Sequence[ConnectorTask], task_id: int) -> ConnectorTask:
    for task in tasks:
        if task.id == task_id:
            return task
    raise NotFound(f"no task {task_id} on this request")


async def _open_ticket(session: AsyncSession, dsr: DsrRequest) -> DsrRequest:
    assert dsr.id is not None  # noqa: S101 - a stored ticket
    dsr = await lock_ticket(session, dsr.id)
    if dsr.status not in (Status.IN_PROGRESS, Status.ACTION_REQUIRED):
        raise Conflict(f"{dsr.reference} is {dsr.status}: its tasks are closed")
    return dsr


async def retry(
    session: AsyncSession, dsr: DsrRequest, task_id: int | None, *, actor: str
) -> list[ConnectorTask]:
    """Queue failed tasks again (one, or all); an action_required ticket resumes."""
    dsr = await _open_ticket(session, dsr)
    tasks = await tasks_for(session, dsr)
    if task_id is not None:
        task = _task_of(tasks, task_id)
        if task.status is not T.FAILED:
            hint = "; complete it instead" if task.status is T.MANUAL else ""
            raise Conflict(f"task {task_id} is {task.status}, not failed{hint}")
        chosen = [task]
    else:
        chosen = [task for task in tasks if task.status is T.FAILED]
        if not chosen:
            if await _retry_answer(session, dsr, actor=actor):
                return []
            raise Conflict(f"{dsr.reference} has no failed task to retry")
    now = utcnow()
    for task in chosen:
        task.status, task.attempts, task.error = T.PENDING, 0, None
        task.next_attempt_at = task.lease_owner = task.lease_expires_at = None
        task.updated_at = now
        await audit.record(
            session, dsr, "task_retried", actor=actor, data=_describe(task)
        )
    await _resume(session, dsr, actor=actor, reason="failed tasks queued again")
    await wakeup.notify(session, "fanout")
    return chosen


async def _retry_answer(session: AsyncSession, dsr: DsrRequest, *, actor: str) -> bool:
    """Queue a results step that gave up again; False when there is none."""
    query = select(ResultsWork).where(ResultsWork.request_id == dsr.id)
    work = (await session.execute(query.with_for_update())).scalar_one_or_none()
    if work is None or work.status is not WorkStatus.FAILED:
        return False
    data = {"attempts": work.attempts, "error": work.error}
    work.status, work.attempts, work.error = WorkStatus.PENDING, 0, None
    work.next_attempt_at = work.lease_owner = work.lease_expires_at = None
    work.updated_at = utcnow()
    await audit.record(session, dsr, "results_retried", actor=actor, data=data)
    await _resume(session, dsr, actor=actor, reason="the answer is tried again")
    await wakeup.notify(session, "results")
    return True


async def _resume(
    session: AsyncSession, dsr: DsrRequest, *, actor: str, reason: str
) -> None:
    if dsr.status is Status.ACTION_REQUIRED:
        await lifecycle.transition(
            session, dsr, Status.IN_PROGRESS, actor=actor, reason=reason
        )


async def complete_manual(
    session: AsyncSession, dsr: DsrRequest, task_id: int, *, note: str, actor: str
) -> ConnectorTask:
    """Close a manual task with staff's note; the ticket moves on if nothing is left."""
    if not note.strip():
        raise ValidationFailed("note: say what was done")
    dsr = await _open_ticket(session, dsr)
    tasks = await tasks_for(session, dsr)
    task = _task_of(tasks, task_id)
    if task.status is not T.MANUAL:
        raise Conflict(f"task {task_id} is {task.status}, not a manual task")
    task.status, task.error, task.updated_at = T.SUCCEEDED, None, utcnow()
    await audit.record(
        session,
        dsr,
        "task_completed",
        actor=actor,
        data=_describe(task),
        personal={"note": note},
    )
    blocked = any(t.status is not T.SUCCEEDED for t in tasks)
    if dsr.status is Status.ACTION_REQUIRED and not blocked:
        reason = "manual tasks completed"
        await lifecycle.transition(
            session, dsr, Status.IN_PROGRESS, actor=actor, reason=reason
        )
    await settle(session, dsr)
    return task
