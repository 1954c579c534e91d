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
from app.identity import service as identity
from app.identity.models import TokenPurpose
from app.mail import outbox
from app.requests import service as requests_service
from app.requests import suppression
from app.requests.emails import normalise_email
from app.requests.enums import OPEN_STATUSES, Channel, Regulation, RequestType, Status
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


async def open_duplicate(
    session: AsyncSession, submission: Submission
) -> DsrRequest | None:
    """An open ticket of the same type for the same address, if any."""
    _, key = normalise_email(submission.email)
    query = select(DsrRequest).where(
        DsrRequest.subject_email_key == key,
        DsrRequest.type == submission.type,
        col(DsrRequest.status).in_(OPEN_STATUSES),
    )
    return (
        await session.execute(query.order_by(col(DsrRequest.id)).limit(1))
    ).scalar_one_or_none()


async def submit(
    session: AsyncSession, submission: Submission, *, settings: Settings, actor: str
) -> IntakeResult:
    """Open (or join) a ticket, and queue the acknowledgement with the verification step."""
    existing = await open_duplicate(session, submission)
    if existing is not None:
        await _join(session, existing, submission, settings=settings, actor=actor)
        return IntakeResult(existing, joined=True)
    verify = needs_verification(submission)
    dsr = await requests_service.create_request(
        session,
        type=submission.type,
        regulation=submission.regulation,
        email=submission.email,
        channel=submission.channel,
        actor=actor,
        calendar=deadlines.calendar_for(settings),
        name=submission.name,
        details=submission.details,
        language=submission.language,
        received_at=submission.received_at,
        identity_verified=not verify,
        auto_approve=settings.auto_approve,
    )
    dsr.agent_name, dsr.agent_email = submission.agent_name, submission.agent_email
    dsr.agent_details = submission.agent_details
    if not verify:
        dsr.verification_method = "not_required"
    if await suppression.is_suppressed(
        session, dsr.subject_email_key, settings=settings
    ):
        # An erased person is back: whatever systems show for them may have synced back.
        await audit.record(session, dsr, "previously_erased", actor="system")
    await acknowledge(session, dsr, settings=settings)
    return IntakeResult(dsr, joined=False)


async def acknowledge(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings
) -> None:
    """Send the acknowledgement (with the verification step when needed) and tell staff.

    It states the legal due date: for CCPA this is the 10-business-day confirmation.
    """
    if await suppression.is_suppressed(
        session, dsr.subject_email_key, settings=settings
    ):
        # An erased person is back: whatever systems show for them may have synced back.
        await audit.record(session, dsr, "previously_erased", actor="system")
    context: dict[str, Any] = {
        "due_on": deadlines.due_day(dsr, deadlines.calendar_for(settings))
    }
    if dsr.status is Status.UNVERIFIED:
        context |= await verification_context(session, dsr, settings=settings)
    await outbox.to_requester(
        session,
        dsr,
        "received",
        settings=settings,
        context=context,
    )
    dsr.acknowledged_at = utcnow()
    await audit.record(
        session, dsr, "acknowledged", actor="system", data={"template": "received"}
    )
    await notify_staff(session, dsr, settings=settings)


async def verification_context(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings
) -> dict[str, Any]:
    """Issue a fresh verification link and code, for a mail's template context."""
    issued = await identity.issue(
        session, dsr, TokenPurpose.VERIFY, days=settings.verify_days, with_code=True
    )
    calendar = deadlines.calendar_for(settings)
    return {
        "verify_url": f"{settings.base_url}/verify/{issued.token}",
        "code": issued.code,
        "code_url": f"{settings.base_url}/verify",
        "expires_on": issued.expires_at.astimezone(calendar.timezone).date(),
    }


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
