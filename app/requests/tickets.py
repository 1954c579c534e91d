"""The ticket's unit of work, and the queries that find tickets.

`async with tickets.edit(session, reference_or_id) as dsr:` is the one way to obtain a
writable ticket: it locks the row until the transaction ends (on SQLite, by taking the
database write lock), and registers it on the session. Writing any column of a stored
ticket, moving it through the lifecycle or appending to its audit chain raises
`UnregisteredWrite` otherwise. `create` registers the tickets it opens the same way.
"""

import base64
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import register_writable, registered, select_locked, utcnow
from app.enums import OPEN_STATUSES, Channel, Regulation, RequestType, Status
from app.errors import NotFound, ValidationFailed
from app.requests import lifecycle
from app.requests.models import DsrRequest
from app.requests.reference import is_reference, new_reference

_MAX_ID = 2**63 - 1


def _id_query(ticket: str | int) -> Any:
    if isinstance(ticket, int):
        return col(DsrRequest.id) == ticket
    return col(DsrRequest.reference) == ticket.strip().upper()


@asynccontextmanager
async def edit(session: AsyncSession, ticket: str | int) -> AsyncIterator[DsrRequest]:
    """The ticket by reference or id, locked and writable until the transaction ends.

    Raises NotFound when there is no such ticket. Editing a ticket this transaction
    already holds returns it as it is.
    """
    dsr = await edit_or_none(session, ticket)
    if dsr is None:
        raise NotFound(f"no request {ticket}")
    yield dsr
    await session.flush()


async def edit_or_none(session: AsyncSession, ticket: str | int) -> DsrRequest | None:
    """Like `edit` without the block, for loops over tickets: the locked ticket, or None."""
    if isinstance(ticket, str) and not is_reference(ticket.strip()):
        return None  # never a stored reference: nothing to ask the database
    for held in _held(session):
        if held.id == ticket or held.reference == str(ticket).strip().upper():
            return held
    dsr = await select_locked(session, DsrRequest, _id_query(ticket))
    if dsr is not None:
        register_writable(session, dsr)
    return dsr


def _held(session: AsyncSession) -> list[DsrRequest]:
    return [obj for obj in registered(session) if isinstance(obj, DsrRequest)]


async def create(
    session: AsyncSession,
    status: Status,
    *,
    actor: str,
    data: Mapping[str, Any],
    personal: Mapping[str, str],
    **fields: Any,
) -> DsrRequest:
    """Open a ticket in an initial status, write its `created` event; it stays writable."""
    dsr = lifecycle.new_ticket(
        status, reference=await _unused_reference(session), **fields
    )
    session.add(dsr)
    await session.flush()
    register_writable(session, dsr)
    assert dsr.id is not None  # noqa: S101 - just flushed
    audit.start_chain(session, audit.ticket_chain(dsr.id))
    await audit.record(
        session,
        dsr,
        "created",
        actor=actor,
        data={"status": dsr.status, **data},
        personal=personal,
    )
    return dsr


async def _unused_reference(session: AsyncSession) -> str:
    while True:  # 32^8 references: a collision is rare, but never fatal
        reference = new_reference()
        taken = select(DsrRequest.id).where(_id_query(reference))
        if (await session.execute(taken)).first() is None:
            return reference


async def get(session: AsyncSession, reference: str) -> DsrRequest | None:
    """The ticket with this reference (case-insensitive), read-only; None if unknown."""
    if not is_reference(reference.strip()):
        return None  # never a stored reference (and maybe not even storable text)
    query = select(DsrRequest).where(_id_query(reference))
    return (await session.execute(query)).scalar_one_or_none()


async def require(session: AsyncSession, reference: str) -> DsrRequest:
    """The ticket with this reference, read-only, or NotFound."""
    dsr = await get(session, reference)
    if dsr is None:
        raise NotFound(f"no request {reference}")
    return dsr


async def open_duplicate_id(
    session: AsyncSession, *, email_key: str, type: RequestType
) -> int | None:
    """The oldest open ticket of this type for this address, if any (unlocked)."""
    query = select(DsrRequest.id).where(
        DsrRequest.subject_email_key == email_key,
        DsrRequest.type == type,
        col(DsrRequest.status).in_(OPEN_STATUSES),
    )
    return (
        await session.execute(query.order_by(col(DsrRequest.id)).limit(1))
    ).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class TicketFilters:
    """Queue filters in the kernel's terms; every field is optional."""

    status: Status | None = None
    statuses: frozenset[Status] | None = None  # any of these (a saved view's)
    type: RequestType | None = None
    regulation: Regulation | None = None
    channel: Channel | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    overdue: bool | None = None
    due_until: datetime | None = None  # due at or before this instant
    q: str | None = None  # a reference, or part of the subject's email or name


DUE = func.coalesce(col(DsrRequest.extended_due_at), col(DsrRequest.due_at))


def encode_cursor(dsr: DsrRequest) -> str:
    """The keyset cursor that continues after this ticket."""
    raw = json.dumps([dsr.effective_due_at.isoformat(), dsr.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(due, id) from a cursor this API returned; ValidationFailed otherwise."""
    try:
        due, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        moment, number = datetime.fromisoformat(due), int(ident)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationFailed("cursor: not a cursor this API returned") from exc
    if moment.tzinfo is None or not 0 < number <= _MAX_ID:
        raise ValidationFailed("cursor: not a cursor this API returned")
    return moment, number


async def page(
    session: AsyncSession,
    filters: TicketFilters,
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[DsrRequest], str | None]:
    """A page of tickets, soonest due first, and the cursor of the next page (keyset)."""
    query = select(DsrRequest).where(*_conditions(filters))
    if cursor:
        due, ident = decode_cursor(cursor)
        query = query.where(tuple_(DUE, col(DsrRequest.id)) > tuple_(due, ident))
    query = query.order_by(DUE, col(DsrRequest.id)).limit(limit + 1)
    rows = list((await session.execute(query)).scalars())
    found = rows[:limit]
    return found, encode_cursor(found[-1]) if len(rows) > limit else None


async def counts(
    session: AsyncSession, named: Mapping[str, TicketFilters]
) -> dict[str, int]:
    """How many tickets match each named set of filters, in one scan."""
    if not named:
        return {}
    columns = [
        func.count().filter(and_(true(), *_conditions(filters))).label(f"n{index}")
        for index, filters in enumerate(named.values())
    ]
    row = (await session.execute(select(*columns).select_from(DsrRequest))).one()
    return {name: int(value) for name, value in zip(named, row, strict=True)}


def _conditions(filters: TicketFilters) -> list[Any]:
    conditions: list[Any] = [
        column == value
        for column, value in (
            (DsrRequest.status, filters.status),
            (DsrRequest.type, filters.type),
            (DsrRequest.regulation, filters.regulation),
            (DsrRequest.channel, filters.channel),
            (DsrRequest.assignee_id, filters.assignee_id),
        )
        if value is not None
    ]
    if filters.statuses is not None:
        conditions.append(col(DsrRequest.status).in_(sorted(filters.statuses)))
    if filters.unassigned:
        conditions.append(col(DsrRequest.assignee_id).is_(None))
    if filters.overdue is not None:
        # Due moments are stored as end-of-day instants, so "overdue" is a plain comparison.
        late = and_(col(DsrRequest.status).in_(OPEN_STATUSES), utcnow() > DUE)
        conditions.append(late if filters.overdue else ~late)
    if filters.due_until is not None:
        conditions.append(filters.due_until >= DUE)
    if filters.q:
        needle = filters.q.strip().lower()
        conditions.append(
            or_(
                func.lower(DsrRequest.reference) == needle,
                col(DsrRequest.subject_email_key).contains(needle, autoescape=True),
                func.lower(DsrRequest.subject_name).contains(needle, autoescape=True),
            )
        )
    return conditions


async def verify_audit(
    session: AsyncSession, reference: str | None = None
) -> tuple[int, list[audit.BrokenLink]]:
    """Check every audit chain (or one ticket's), naming ticket chains by reference."""
    chains: Sequence[str] | None = None
    if reference is not None:
        dsr = await get(session, reference)
        if dsr is None or dsr.id is None:
            return 0, []
        chains = [audit.ticket_chain(dsr.id)]
    checked, broken = await audit.verify(session, chains)
    rows = await session.execute(select(DsrRequest.id, DsrRequest.reference))
    references: dict[int | None, str] = dict(rows.all())
    named = []
    for link in broken:
        ident = link.chain.removeprefix(audit.TICKET_PREFIX)
        name = references.get(int(ident)) if ident.isdigit() else None
        named.append(replace(link, name=name or link.chain))
    return checked, named
