"""Review flows: the staff actions on a ticket (approve, deny, cancel, verify, assign, note,
reply, merge).

Each takes a ticket the caller holds in its unit of work (`tickets.edit`) and orchestrates
the lifecycle with the domains it touches: the fan-out plan, the requester's mail, deadlines.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.db import utcnow
from app.deadlines import rules
from app.deadlines import service as deadlines
from app.enums import OPEN_STATUSES, DenialReason, Status
from app.errors import Conflict, ValidationFailed
from app.fanout import service as fanout_service
from app.mail import outbox
from app.mail import service as mail_service
from app.mail.models import Message
from app.privacy import facts_for
from app.requests import lifecycle, tickets
from app.requests.models import DsrRequest
from app.settings import Settings
from app.staff import service as staff_service
from app.staff.models import Role, StaffUser


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
    await outbox.to_requester(
        session,
        dsr,
        "denial",
        settings=settings,
        context=denial_notice(
            reason_code=reason_code, message=message, settings=settings
        ),
    )


def denial_notice(
    *, reason_code: DenialReason, message: str, settings: Settings
) -> dict[str, Any]:
    """The refusal notice's context (staff preview it before `deny` sends it)."""
    authority = facts_for(settings.privacy_file).supervisory_authority
    return {
        "reason_code": reason_code.value,
        "message": message,
        "partial": False,
        "authority": {
            "name": authority.name,
            "url": str(authority.url),
            "email": authority.email,
        },
    }


async def cancel(
    session: AsyncSession, dsr: DsrRequest, *, actor: str, reason: str
) -> None:
    """Cancel an open request (withdrawn by the requester, opened by mistake)."""
    await lifecycle.transition(
        session, dsr, Status.CANCELED, actor=actor, reason=reason
    )


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
        staff = await staff_service.get_staff(session, staff_email)
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


async def reply(
    session: AsyncSession, dsr: DsrRequest, *, actor: str, text: str, settings: Settings
) -> Message:
    """Write to the requester in the ticket's thread (a person's mail, not an automatic
    one); the ticket's unread replies count as read."""
    if not text.strip():
        raise ValidationFailed("text: a reply cannot be empty")
    message = await outbox.to_requester(
        session,
        dsr,
        "reply",
        settings=settings,
        context={"text": text},
        automatic=False,
    )
    dsr.unread = False
    dsr.updated_at = utcnow()
    await audit.record(
        session,
        dsr,
        "replied",
        actor=actor,
        data={"message_id": message.message_id},
    )
    return message


async def merge(
    session: AsyncSession, dsr: DsrRequest, *, into: str, actor: str
) -> DsrRequest:
    """Merge a duplicate into another open request of the same person: its mail moves
    there, and it is canceled as merged. Returns the request it went into."""
    async with tickets.edit(session, into) as target:
        if target.id == dsr.id:
            raise ValidationFailed("into: a request cannot be merged into itself")
        if target.status not in OPEN_STATUSES:
            raise Conflict(
                f"{target.reference} is {target.status}; merge into an open one"
            )
        # Another person's thread would reach them with their results: never across people.
        if target.subject_email_key != dsr.subject_email_key:
            raise ValidationFailed(
                f"into: {target.reference} is about another person; only requests of the"
                " same person can be merged"
            )
        await lifecycle.transition(
            session,
            dsr,
            Status.CANCELED,
            actor=actor,
            reason=f"merged into {target.reference}",
            data={"merged_into": target.reference},
        )
        moved = await mail_service.move_thread(session, dsr, target)
        target.unread = target.unread or dsr.unread
        target.updated_at = utcnow()
        await audit.record(
            session,
            target,
            "merged",
            actor=actor,
            data={"merged_from": dsr.reference, "messages": moved},
        )
    return target
