"""Results a webhook connector's service delivers later: verified, matched, applied.

A webhook that answered `202` leaves its task `waiting`. The service later POSTs the
result to `/api/v1/callbacks/webhook/{connector}`, signed like our requests
(`X-DSR-Signature: t=<unix time>,sha256=<HMAC of "<t>." + the raw body with the
connector's secret>`, refused when the time is more than five minutes off), naming
the task by the idempotency key we sent (`<reference>:<connector>:<action>`). A repeated
`done` for a finished task is accepted and changes nothing; a callback for a task that
is not waiting (e.g. still being recorded) is refused with 409, so the sender retries.
"""

from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.enums import Status
from app.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from app.fanout.config import FanoutRuntime
from app.fanout.models import ConnectorTask, TaskStatus
from app.fanout.schemas import WebhookCallback
from app.fanout.service import Outcome, apply_outcome, lock_ticket, settle
from app.fanout.staging import StagedFile
from app.requests.models import DsrRequest
from connectors.base import Capability, Record
from connectors.webhook import WebhookConfig, verify_signature

T = TaskStatus


async def accept_webhook_callback(
    session: AsyncSession,
    runtime: FanoutRuntime | None,
    connector: str,
    body: bytes,
    signature: str,
    *,
    data_dir: Path,
) -> ConnectorTask:
    """Verify a signed callback and apply its result to the waiting task."""
    spec = runtime.get(connector) if runtime is not None else None
    if spec is None or not isinstance(spec.config, WebhookConfig):
        raise NotFound(f"no webhook connector {connector!r}")
    if not verify_signature(spec.config.secret.get_secret_value(), body, signature):
        raise Unauthorized("X-DSR-Signature does not sign this body")
    callback = _parse(body)
    task, dsr = await _find_task(session, connector, callback.idempotency_key)
    if callback.status == "pending" or (
        task.status is T.SUCCEEDED and callback.status == "done"
    ):
        return task  # nothing new: still pending, or a repeated delivery
    if task.status is not T.WAITING or dsr.status is not Status.IN_PROGRESS:
        raise Conflict(f"task {task.id} is {task.status}: no result is awaited")
    outcome = await _outcome(callback, task, dsr.reference, data_dir)
    await apply_outcome(session, dsr, task, outcome)
    await settle(session, dsr)
    return task


def _parse(body: bytes) -> WebhookCallback:
    try:
        return WebhookCallback.model_validate_json(body)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        # Name the field only: the body may carry the subject's data.
        raise ValidationFailed(f"{where}: {error['msg']}") from None


async def _find_task(
    session: AsyncSession, connector: str, key: str
) -> tuple[ConnectorTask, DsrRequest]:
    reference, _, rest = key.partition(":")
    middle, _, action = rest.rpartition(":")
    unknown = NotFound("no task has this idempotency_key")
    if middle != connector:
        raise unknown
    found = await session.execute(
        select(DsrRequest.id).where(DsrRequest.reference == reference)
    )
    request_id = found.scalar_one_or_none()
    if request_id is None:
        raise unknown
    dsr = await lock_ticket(session, request_id)
    query = select(ConnectorTask).where(
        ConnectorTask.request_id == request_id,
        ConnectorTask.connector == connector,
        ConnectorTask.action == action,
    )
    task = (await session.execute(query)).scalar_one_or_none()
    if task is None:
        raise unknown
    return task, dsr


async def _outcome(
    callback: WebhookCallback, task: ConnectorTask, reference: str, data_dir: Path
) -> Outcome:
    notes = tuple(callback.notes)
    if callback.status == "failed":
        error = f"{task.connector} reported a failure: {callback.error or 'no detail'}"
        return Outcome(T.FAILED, error=error, notes=notes, personal_error=True)
    if callback.status == "manual_required":
        default = f"Finish the {task.action} in {task.connector} by hand."
        instructions = callback.instructions or "\n".join(notes) or default
        return Outcome(T.MANUAL, instructions=instructions, notes=notes)
    if task.action != Capability.ACCESS:
        return Outcome(T.SUCCEEDED, counts=callback.erased, notes=notes)
    staged = StagedFile.open_for(data_dir, reference, task.connector)
    try:
        await staged.write_all(
            Record(item.source, item.data) for item in callback.records
        )
        await staged.publish()
    finally:
        await staged.discard()
    return Outcome(T.SUCCEEDED, counts=staged.counts, notes=notes)
