"""Ticket services: create, find, list and the staff actions on a request."""

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import utcnow
from app.deadlines import rules
from app.deadlines import service as deadlines
from app.errors import NotFound, ValidationFailed
from app.fanout import service as fanout_service
from app.mail import outbox
from app.privacy import facts_for
from app.requests import lifecycle
from app.requests.emails import normalise_email
from app.requests.enums import (
    OPEN_STATUSES,
    Channel,
    DenialReason,
    Regulation,
    RequestType,
    Status,
)
from app.requests.models import DsrRequest
from app.requests.reference import new_reference
from app.settings import Settings
from app.staff.models import Role, StaffUser


async def create_request(
    session: AsyncSession,
    *,
    type: RequestType,
    regulation: Regulation,
    email: str,
    channel: Channel,
    actor: str,
    calendar: rules.BusinessCalendar,
    name: str | None = None,
    details: str | None = None,
    language: str = "en",
    received_at: datetime | None = None,
    identity_verified: bool = False,
    auto_approve: bool = False,
) -> DsrRequest:
    """Open a ticket with its legal due date; pre-verified ones start at `pending_review`."""
    now = utcnow()
    received_at = received_at or now
    if received_at.tzinfo is None:
        raise ValidationFailed(
            "received_at: give a timezone (e.g. 2026-03-02T09:00:00Z)"
        )
    if received_at > now:
        raise ValidationFailed("received_at: cannot be in the future")
    display, key = normalise_email(email)
    dsr = lifecycle.new_ticket(
        Status.PENDING_REVIEW if identity_verified else Status.UNVERIFIED,
        reference=await _unused_reference(session),
        type=type,
        regulation=regulation,
        channel=channel,
        subject_email=display,
        subject_email_key=key,
        subject_name=(name or "").strip() or None,
        details=details,
        language=language,
        received_at=received_at,
        verified_at=received_at if identity_verified else None,
        verification_method="pre_verified" if identity_verified else None,
        due_at=received_at,  # replaced below, once the ticket knows its dates
        created_at=now,
        updated_at=now,
    )
    dsr.due_at = deadlines.due_at_for(dsr, calendar)
    await lifecycle.opened(
        session,
        dsr,
        actor=actor,
        data={
            "type": type,
            "regulation": regulation,
            "channel": channel,
            "received_at": received_at.isoformat(),
            "due_at": dsr.due_at.isoformat(),
            "identity_verified": identity_verified,
        },
        personal={
            "email": display,
            **({"name": dsr.subject_name} if dsr.subject_name else {}),
        },
    )
    if identity_verified and auto_approve:
        await approve(session, dsr, actor="system")
    return dsr


async def _unused_reference(session: AsyncSession) -> str:
    while True:  # 32^8 references: a collision is rare, but never fatal
        reference = new_reference()
        if await get_request(session, reference) is None:
            return reference


async def get_request(
    session: AsyncSession, reference: str, *, lock: bool = False
) -> DsrRequest | None:
    """The ticket with this reference (case-insensitive), if any.

    With `lock`, the ticket stays locked until the transaction ends (see
    `lifecycle.locked`), so a staff action and a worker never change one ticket at once.
    """
    query = select(DsrRequest).where(DsrRequest.reference == reference.strip().upper())
    if not lock:
        return (await session.execute(query)).scalar_one_or_none()
    found = (
        await session.execute(query.with_only_columns(col(DsrRequest.id)))
    ).scalar()
    return await lifecycle.locked(session, found) if found is not None else None


async def require_request(
    session: AsyncSession, reference: str, *, lock: bool = False
) -> DsrRequest:
    """The ticket with this reference, or NotFound."""
    dsr = await get_request(session, reference, lock=lock)
    if dsr is None:
        raise NotFound(f"no request {reference}")
    return dsr


@dataclass(frozen=True, slots=True)
class RequestFilters:
    """Queue filters; every field is optional."""

    status: Status | None = None
    type: RequestType | None = None
    regulation: Regulation | None = None
    assignee: str | None = None  # a staff email, or "none" for unassigned
    overdue: bool | None = None
    due_before: date | None = None
    q: str | None = None


_DUE = func.coalesce(col(DsrRequest.extended_due_at), col(DsrRequest.due_at))


def _encode_cursor(dsr: DsrRequest) -> str:
    raw = json.dumps([dsr.effective_due_at.isoformat(), dsr.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        due, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(due), int(ident)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("cursor: not a cursor this API returned") from exc


async def list_requests(
    session: AsyncSession,
    filters: RequestFilters,
    *,
    calendar: rules.BusinessCalendar,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[DsrRequest], str | None]:
    """A page of tickets, soonest due first, and the cursor of the next page (keyset)."""
    query = select(DsrRequest).where(*await _conditions(session, filters, calendar))
    if cursor:
        due, ident = _decode_cursor(cursor)
        query = query.where(tuple_(_DUE, col(DsrRequest.id)) > tuple_(due, ident))
    query = query.order_by(_DUE, col(DsrRequest.id)).limit(limit + 1)
    rows = list((await session.execute(query)).scalars())
    page = rows[:limit]
    return page, _encode_cursor(page[-1]) if len(rows) > limit else None


async def _conditions(
    session: AsyncSession, filters: RequestFilters, calendar: rules.BusinessCalendar
) -> list[Any]:
    conditions: list[Any] = []
    for column, value in (
        (DsrRequest.status, filters.status),
        (DsrRequest.type, filters.type),
        (DsrRequest.regulation, filters.regulation),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.assignee == "none":
        conditions.append(col(DsrRequest.assignee_id).is_(None))
    elif filters.assignee:
        staff = await _staff_by_email(session, filters.assignee)
        conditions.append(DsrRequest.assignee_id == (staff.id if staff else -1))
    if filters.overdue is not None:
        # Due moments are stored as end-of-day instants, so "overdue" is a plain comparison.
        late = and_(col(DsrRequest.status).in_(OPEN_STATUSES), utcnow() > _DUE)
        conditions.append(late if filters.overdue else ~late)
    if filters.due_before is not None:
        # Due moments are end-of-day instants: "due before D" means due on D-1 or earlier.
        last_day = filters.due_before - timedelta(days=1)
        conditions.append(rules.end_of_day(last_day, calendar) >= _DUE)
    if filters.q:
        needle = filters.q.strip().lower()
        conditions.append(
            or_(
                func.lower(DsrRequest.reference) == needle,
                col(DsrRequest.subject_email_key).contains(needle, autoescape=True),
            )
        )
    return conditions


async def _staff_by_email(session: AsyncSession, email: str) -> StaffUser | None:
    query = select(StaffUser).where(
        func.lower(StaffUser.email) == email.strip().lower()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def approve(session: AsyncSession, dsr: DsrRequest, *, actor: str) -> None:
    """Approve a reviewed request: it moves on to fan-out, its tasks planned at once."""
    await lifecycle.transition(session, dsr, Status.IN_PROGRESS, actor=actor)
    # Same transaction: an approved ticket never exists without its tasks (when the
    # app runs without connectors loaded, the fanout job plans it instead).
    await fanout_service.plan_approved(session, dsr)


async def deny(
    session: AsyncSession,
    dsr: DsrRequest,
    *,
    actor: str,
    reason_code: DenialReason,
    message: str,
    settings: Settings,
) -> None:
    """Refuse the request with a legal ground, and send the notice the law requires.

    The notice states the reasons, names the supervisory authority and the right to a
    judicial remedy (GDPR Art. 12(4); legal-rules.md, "Refusals").
    """
    await lifecycle.transition(
        session,
        dsr,
        Status.DENIED,
        actor=actor,
        reason=message,
        data={"reason_code": reason_code},
    )
    dsr.denial_reason = reason_code
    dsr.outcome = "denied"
    authority = facts_for(settings.privacy_file).supervisory_authority
    await outbox.to_requester(
        session,
        dsr,
        "denial",
        settings=settings,
        context={
            "reason_code": reason_code.value,
            "message": message,
            "partial": False,
            "authority": {
                "name": authority.name,
                "url": str(authority.url),
                "email": authority.email,
            },
        },
    )


async def cancel(
    session: AsyncSession, dsr: DsrRequest, *, actor: str, reason: str
) -> None:
    """Cancel an open request (withdrawn by the requester, opened by mistake)."""
    await lifecycle.transition(
        session, dsr, Status.CANCELED, actor=actor, reason=reason
    )
    dsr.outcome = "canceled"


async def verify(
    session: AsyncSession,
    dsr: DsrRequest,
    *,
    actor: str,
    method: str,
    calendar: rules.BusinessCalendar,
    note: str | None = None,
    auto_approve: bool = False,
) -> None:
    """Record the requester's identity as confirmed (never the evidence) and move to review."""
    now = utcnow()
    await lifecycle.transition(
        session,
        dsr,
        Status.PENDING_REVIEW,
        actor=actor,
        reason=note,
        data={"method": method},
    )
    dsr.verified_at, dsr.verification_method = now, method
    # The UK GDPR clock starts on identity confirmation, so the due date may move.
    dsr.due_at = deadlines.due_at_for(dsr, calendar)
    if auto_approve:
        await approve(session, dsr, actor="system")


async def assign(
    session: AsyncSession, dsr: DsrRequest, *, actor: str, staff_email: str | None
) -> StaffUser | None:
    """Give the ticket to a staff member (an agent or admin), or unassign it with None."""
    staff = None
    if staff_email is not None:
        staff = await _staff_by_email(session, staff_email)
        if staff is None or not staff.active:
            raise ValidationFailed(
                f"staff_email: no active staff account {staff_email}"
            )
        if staff.role.rank < Role.AGENT.rank:
            raise ValidationFailed(
                f"staff_email: {staff_email} is a viewer and cannot be assigned"
            )
    dsr.assignee_id = staff.id if staff else None
    dsr.updated_at = utcnow()
    await audit.record(
        session,
        dsr,
        "assigned",
        actor=actor,
        data={"assignee": staff.email if staff else None},
    )
    return staff


async def add_note(
    session: AsyncSession, dsr: DsrRequest, *, actor: str, text: str
) -> None:
    """Add an internal staff note to the ticket's timeline."""
    if not text.strip():
        raise ValidationFailed("text: a note cannot be empty")
    await audit.record(session, dsr, "note", actor=actor, personal={"text": text})


async def assignee_email(session: AsyncSession, dsr: DsrRequest) -> str | None:
    """The email of the ticket's assignee, if assigned."""
    if dsr.assignee_id is None:
        return None
    staff = await session.get(StaffUser, dsr.assignee_id)
    return staff.email if staff else None
