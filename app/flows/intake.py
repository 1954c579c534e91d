"""Intake: every channel's new request becomes one kind of ticket, acknowledged by email.

Duplicate requests (same type, same address, one still open) join the open ticket instead of
opening another. CCPA opt-outs need no identity verification (11 CCR 7026(d)).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import utcnow
from app.deadlines import service as deadlines
from app.enums import OPEN_STATUSES, Channel, Regulation, RequestType, Status
from app.errors import ValidationFailed
from app.flows import review
from app.identity import service as identity
from app.mail import outbox
from app.requests import suppression, tickets
from app.requests.emails import normalise_email
from app.requests.models import DsrRequest
from app.settings import Settings
from app.staff.models import Role, StaffUser


@dataclass(frozen=True, slots=True)
class Submission:
    """A request as a person made it, before it is a ticket."""

    type: RequestType
    regulation: Regulation
    email: str
    channel: Channel
    name: str | None = None
    details: str | None = None
    language: str = "en"
    received_at: datetime | None = None
    agent_name: str | None = None
    agent_email: str | None = None
    agent_details: str | None = None


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """The ticket the submission landed on, and whether it joined an open one."""

    dsr: DsrRequest
    joined: bool


def needs_verification(submission: Submission) -> bool:
    """Whether the requester must prove control of the address first."""
    return not (
        submission.type is RequestType.OPT_OUT
        and submission.regulation is Regulation.CCPA
    )


async def create_request(
    session: AsyncSession,
    *,
    type: RequestType,
    regulation: Regulation,
    email: str,
    channel: Channel,
    actor: str,
    settings: Settings,
    name: str | None = None,
    details: str | None = None,
    language: str = "en",
    received_at: datetime | None = None,
    identity_verified: bool = False,
) -> DsrRequest:
    """Open a ticket with its legal due date; pre-verified ones start at `pending_review`.

    The ticket is not yet acknowledged: `submit` and the API call `acknowledge` next.
    """
    now = utcnow()
    received_at = received_at or now
    if received_at.tzinfo is None:
        raise ValidationFailed(
            "received_at: give a timezone (e.g. 2026-03-02T09:00:00Z)"
        )
    if received_at > now:
        raise ValidationFailed("received_at: cannot be in the future")
    display, key = normalise_email(email)
    due_at = deadlines.due_moment(
        regulation,
        type,
        received_at=received_at,
        verified_at=received_at if identity_verified else None,
        calendar=deadlines.calendar_for(settings),
    )
    subject_name = (name or "").strip() or None
    dsr = await tickets.create(
        session,
        Status.PENDING_REVIEW if identity_verified else Status.UNVERIFIED,
        actor=actor,
        data={
            "type": type,
            "regulation": regulation,
            "channel": channel,
            "received_at": received_at.isoformat(),
            "due_at": due_at.isoformat(),
            "identity_verified": identity_verified,
        },
        personal={"email": display, **({"name": subject_name} if subject_name else {})},
        type=type,
        regulation=regulation,
        channel=channel,
        subject_email=display,
        subject_email_key=key,
        subject_name=subject_name,
        details=details,
        language=language,
        received_at=received_at,
        verified_at=received_at if identity_verified else None,
        verification_method="pre_verified" if identity_verified else None,
        due_at=due_at,
        created_at=now,
        updated_at=now,
    )
    if await suppression.is_suppressed(session, key, settings=settings):
        # An erased person is back: whatever systems show for them may have synced back.
        await audit.record(session, dsr, "previously_erased", actor="system")
    if identity_verified and settings.auto_approve:
        await review.approve(session, dsr, actor="system")
    return dsr


async def submit(
    session: AsyncSession, submission: Submission, *, settings: Settings, actor: str
) -> IntakeResult:
    """Open (or join) a ticket, and queue the acknowledgement with the verification step."""
    _, key = normalise_email(submission.email)
    existing = await _open_duplicate(session, key, submission.type)
    if existing is not None:
        await _join(session, existing, submission, settings=settings, actor=actor)
        return IntakeResult(existing, joined=True)
    verify = needs_verification(submission)
    dsr = await create_request(
        session,
        type=submission.type,
        regulation=submission.regulation,
        email=submission.email,
        channel=submission.channel,
        actor=actor,
        settings=settings,
        name=submission.name,
        details=submission.details,
        language=submission.language,
        received_at=submission.received_at,
        identity_verified=not verify,
    )
    dsr.agent_name, dsr.agent_email = submission.agent_name, submission.agent_email
    dsr.agent_details = submission.agent_details
    if not verify:
        dsr.verification_method = "not_required"
    await acknowledge(session, dsr, settings=settings)
    return IntakeResult(dsr, joined=False)


async def _open_duplicate(
    session: AsyncSession, email_key: str, type: RequestType
) -> DsrRequest | None:
    """The open duplicate, locked; re-checked under the lock, since it may just have closed."""
    while ident := await tickets.open_duplicate_id(
        session, email_key=email_key, type=type
    ):
        dsr = await tickets.edit_or_none(session, ident)
        if dsr is not None and dsr.status in OPEN_STATUSES:
            return dsr
    return None


async def acknowledge(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings
) -> None:
    """Send the acknowledgement (with the verification step when needed) and tell staff.

    It states the legal due date: for CCPA this is the 10-business-day confirmation.
    """
    context: dict[str, Any] = {
        "due_on": deadlines.due_day(dsr, deadlines.calendar_for(settings))
    }
    if dsr.status is Status.UNVERIFIED:
        context |= await identity.verification_context(session, dsr, settings=settings)
    dsr.acknowledged_at = utcnow()  # the same transaction queues the mail
    await outbox.to_requester(
        session,
        dsr,
        "received",
        settings=settings,
        context=context,
    )
    await audit.record(
        session, dsr, "acknowledged", actor="system", data={"template": "received"}
    )
    await notify_staff(session, dsr, settings=settings)


async def _join(
    session: AsyncSession,
    dsr: DsrRequest,
    submission: Submission,
    *,
    settings: Settings,
    actor: str,
) -> None:
    personal = {"details": submission.details} if submission.details else {}
    await audit.record(
        session,
        dsr,
        "duplicate_joined",
        actor=actor,
        data={"channel": submission.channel},
        personal=personal,
    )
    dsr.unread = True
    context = {"due_on": deadlines.due_day(dsr, deadlines.calendar_for(settings))}
    await outbox.to_requester(
        session,
        dsr,
        "duplicate",
        settings=settings,
        context=context,
    )


async def notify_staff(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings
) -> None:
    """Tell the admins (or the assignee) that a request arrived."""
    query = select(StaffUser.email).where(
        StaffUser.role == Role.ADMIN, col(StaffUser.active)
    )
    query = query.execution_options(autoflush=False)  # the ticket's rows flush together
    calendar = deadlines.calendar_for(settings)
    for email in (await session.execute(query)).scalars():
        await outbox.queue(
            session,
            settings=settings,
            template="staff_new_request",
            to=email,
            context={
                "channel": dsr.channel.value,
                "due_on": deadlines.due_day(dsr, calendar),
                "ticket_url": f"{settings.base_url}/requests/{dsr.reference}",
            },
            dsr=dsr,
            automatic=False,
        )
