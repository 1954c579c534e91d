"""The ticket state machine: the one transition table and the only writer of `status`."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import utcnow
from app.errors import InvalidTransition
from app.requests.enums import Status
from app.requests.models import DsrRequest

S = Status
# From each status, where a ticket may go (architecture.md, "Lifecycle").
TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    S.UNVERIFIED: frozenset({S.PENDING_REVIEW, S.CLOSED, S.CANCELED}),
    S.PENDING_REVIEW: frozenset({S.IN_PROGRESS, S.DENIED, S.CANCELED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.ACTION_REQUIRED, S.CANCELED}),
    S.ACTION_REQUIRED: frozenset({S.IN_PROGRESS, S.CANCELED}),
    S.COMPLETED: frozenset(),
    S.DENIED: frozenset(),
    S.CANCELED: frozenset(),
    S.CLOSED: frozenset(),
}
INITIAL = frozenset({S.UNVERIFIED, S.PENDING_REVIEW})
FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)

_writing = ContextVar("lifecycle_writing", default=False)


@contextmanager
def _status_write() -> Iterator[None]:
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@event.listens_for(DsrRequest.status, "set")
def _guard_status(
    _target: DsrRequest, value: Status, _old: Any, _initiator: Any
) -> Status:
    if not _writing.get():
        raise RuntimeError(
            "DsrRequest.status is written only by app.requests.lifecycle"
        )
    return value


async def locked(session: AsyncSession, request_id: int) -> DsrRequest | None:
    """The ticket, locked until the transaction ends, so its changes (status, audit chain)
    are serialised; None if there is no such ticket."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database write lock now, so what
        # is read next cannot change before this transaction commits.
        noop = update(DsrRequest).where(col(DsrRequest.id) == request_id)
        await session.execute(
            noop.values(id=col(DsrRequest.id)).execution_options(
                synchronize_session=False
            )
        )
    query = (
        select(DsrRequest)
        .where(col(DsrRequest.id) == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


def can_transition(current: Status, to: Status) -> bool:
    """Whether the table allows moving from `current` to `to`."""
    return to in TRANSITIONS[current]


def new_ticket(status: Status, **fields: Any) -> DsrRequest:
    """Build a ticket in one of the initial statuses (the first write of `status`)."""
    if status not in INITIAL:
        raise ValueError(f"a ticket cannot start as {status}")
    with _status_write():
        return DsrRequest(status=status, **fields)


async def opened(
    session: AsyncSession,
    dsr: DsrRequest,
    *,
    actor: str,
    data: Mapping[str, Any],
    personal: Mapping[str, str],
) -> None:
    """Persist a new ticket and write its `created` event."""
    session.add(dsr)
    await session.flush()
    await audit.record(
        session,
        dsr,
        "created",
        actor=actor,
        data={"status": dsr.status, **data},
        personal=personal,
    )


async def transition(
    session: AsyncSession,
    dsr: DsrRequest,
    to: Status,
    *,
    actor: str,
    reason: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Move the ticket to `to` and audit it in the same transaction; 409 if not allowed."""
    current = dsr.status
    if not can_transition(current, to):
        raise InvalidTransition(
            f"{dsr.reference} is {current}; it cannot become {to}",
            current=current,
            target=to,
        )
    now = utcnow()
    with _status_write():
        dsr.status = to
    dsr.updated_at = now
    if to in FINAL:
        dsr.closed_at = now
    # Free-text reasons may name people, so they go to the erasable personal part.
    personal = {"reason": reason} if reason else {}
    facts = {"from": current, "to": to, **(data or {})}
    await audit.record(
        session,
        dsr,
        "status_changed",
        actor=actor,
        data=facts,
        personal=personal,
        at=now,
    )
