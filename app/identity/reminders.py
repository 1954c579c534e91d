"""Unverified requests: one reminder with a fresh link, then closing with a notice.

Closing after twice `DSR_VERIFY_DAYS` follows legal-rules.md: unverified after the reminder
period, the request is closed with a notice saying why and how to ask again.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import try_advisory_lock
from app.deadlines.service import calendar_for
from app.enums import Status
from app.identity import service as identity
from app.identity.models import TokenPurpose
from app.mail import outbox
from app.requests import lifecycle, tickets
from app.requests.models import DsrRequest
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class ReminderRun:
    """What one run did."""

    reminded: int = 0
    closed: int = 0
    skipped: bool = False


def _unverified_since(moment: datetime) -> list[ColumnElement[bool]]:
    return [
        col(DsrRequest.status) == Status.UNVERIFIED,
        col(DsrRequest.created_at) <= moment,
    ]


async def remind_and_close(
    session: AsyncSession, *, settings: Settings, now: datetime
) -> ReminderRun:
    """Close tickets unverified for twice the link lifetime; remind those past it once."""
    if not await try_advisory_lock(session, "dsr.verification-reminders"):
        return ReminderRun(skipped=True)
    period = timedelta(days=settings.verify_days)
    closed = 0
    for dsr in await _locked(session, *_unverified_since(now - 2 * period)):
        await _close(session, dsr, settings=settings, now=now)
        closed += 1
    reminded = 0
    for dsr in await _locked(
        session, *_unverified_since(now - period), col(DsrRequest.reminded_at).is_(None)
    ):
        await _remind(session, dsr, settings=settings, now=now)
        reminded += 1
    return ReminderRun(reminded=reminded, closed=closed)


async def _locked(
    session: AsyncSession, *conditions: ColumnElement[bool]
) -> list[DsrRequest]:
    # Row locks (PostgreSQL) keep a concurrent run from handling the same ticket twice;
    # each still matching ticket is then taken into its unit of work.
    query = select(DsrRequest.id).where(*conditions).with_for_update(skip_locked=True)
    found = []
    for ident in (await session.execute(query)).scalars():
        dsr = await tickets.edit_or_none(session, ident)
        if dsr is not None:
            found.append(dsr)
    return found


async def _remind(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings, now: datetime
) -> None:
    dsr.reminded_at = now
    context = await identity.verification_context(session, dsr, settings=settings)
    closes_at = dsr.created_at + timedelta(days=2 * settings.verify_days)
    context["closes_on"] = closes_at.astimezone(calendar_for(settings).timezone).date()
    await outbox.to_requester(
        session,
        dsr,
        "verify_reminder",
        settings=settings,
        context=context,
    )
    await audit.record(session, dsr, "verification_reminded", actor="system", at=now)


async def _close(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings, now: datetime
) -> None:
    await lifecycle.transition(
        session,
        dsr,
        Status.CLOSED,
        actor="system",
        data={"why": "identity_not_verified"},
    )
    await identity.revoke_all(session, dsr, TokenPurpose.VERIFY)
    await outbox.to_requester(
        session,
        dsr,
        "closed_unverified",
        settings=settings,
        context={
            "closed_on": now.astimezone(calendar_for(settings).timezone).date(),
            "request_url": f"{settings.base_url}/request",
        },
    )
