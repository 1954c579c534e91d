"""The ticket state machine: the one transition table, and the only writer of `status`
and `outcome` (each final status carries the outcome it ends with)."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.db import require_writable, utcnow
from app.enums import Outcome, Status
from app.errors import InvalidTransition
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
# How a ticket that reaches a final status ended.
OUTCOMES: Mapping[Status, Outcome] = {
    S.COMPLETED: Outcome.COMPLIED,
    S.DENIED: Outcome.DENIED,
    S.CANCELED: Outcome.CANCELED,
    S.CLOSED: Outcome.UNVERIFIED,
}

_writing = ContextVar("lifecycle_writing", default=False)


@contextmanager
def _lifecycle_write() -> Iterator[None]:
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def _guard(name: str) -> Any:
    def check(_target: DsrRequest, value: Any, _old: Any, _initiator: Any) -> Any:
        if not _writing.get():
            raise RuntimeError(
                f"DsrRequest.{name} is written only by app.requests.lifecycle"
            )
        return value

    return check


for _name in ("status", "outcome"):
    event.listen(getattr(DsrRequest, _name), "set", _guard(_name), retval=True)


def can_transition(current: Status, to: Status) -> bool:
    """Whether the table allows moving from `current` to `to`."""
    return to in TRANSITIONS[current]


def new_ticket(status: Status, **fields: Any) -> DsrRequest:
    """Build a ticket in one of the initial statuses (the first write of `status`)."""
    if status not in INITIAL:
        raise ValueError(f"a ticket cannot start as {status}")
    with _lifecycle_write():
        return DsrRequest(status=status, **fields)


async def transition(
    session: AsyncSession,
    dsr: DsrRequest,
    to: Status,
    *,
    actor: str,
    reason: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Move the ticket to `to` and audit it in the same transaction; 409 if not allowed.

    The ticket must be in its unit of work (`tickets.edit`); a final status also sets the
    outcome it ends with.
    """
    require_writable(dsr, f"transition to {to}")
    current = dsr.status
    if not can_transition(current, to):
        raise InvalidTransition(
            f"{dsr.reference} is {current}; it cannot become {to}",
            current=current,
            target=to,
        )
    now = utcnow()
    with _lifecycle_write():
        dsr.status = to
        if to in FINAL:
            dsr.outcome = OUTCOMES[to]
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
