"""The retention purge: closed tickets keep personal data for `DSR_RETENTION_DAYS` (CCPA's
24 months by default), then only the anonymous facts needed for metrics and the audit chain.

Every place a ticket's personal data can sit is scrubbed: the ticket's own fields, its mail,
tokens, the personal part of its audit events, and the free text of its connector tasks
(errors and instructions may quote the person).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.audit.models import Event
from app.db import try_advisory_lock
from app.enums import OPEN_STATUSES
from app.exports import service as exports
from app.fanout.models import ConnectorTask
from app.identity.models import VerificationToken
from app.mail.models import Message
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings

PURGED_EMAIL = "purged@invalid"
BATCH = 500


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """Tickets whose personal data was erased by one run."""

    purged: int = 0
    skipped: bool = False


async def purge_closed(
    session: AsyncSession, *, settings: Settings, now: datetime
) -> RetentionRun:
    """Erase personal data of tickets closed longer than the retention period; idempotent."""
    if not await try_advisory_lock(session, "dsr.retention-purge"):
        return RetentionRun(skipped=True)
    cutoff = now - timedelta(days=settings.retention_days)
    query = (
        select(DsrRequest.id)
        .where(
            col(DsrRequest.status).not_in(OPEN_STATUSES),
            col(DsrRequest.closed_at) < cutoff,
            col(DsrRequest.purged_at).is_(None),
        )
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    purged = 0
    for ident in list((await session.execute(query)).scalars()):
        dsr = await tickets.edit_or_none(session, ident)
        if dsr is not None:
            await _scrub(session, dsr, now, settings)
            purged += 1
    return RetentionRun(purged=purged)


async def _scrub(
    session: AsyncSession, dsr: DsrRequest, now: datetime, settings: Settings
) -> None:
    # Kept: reference, type, regulation, status, channel, dates, outcome, denial reason —
    # the anonymous facts the yearly metrics and the record of compliance need.
    dsr.subject_email = dsr.subject_email_key = PURGED_EMAIL
    dsr.subject_name = dsr.details = dsr.extension_reason = None
    dsr.agent_name = dsr.agent_email = dsr.agent_details = None
    dsr.purged_at = now
    await session.execute(delete(Message).where(col(Message.request_id) == dsr.id))
    await session.execute(
        delete(VerificationToken).where(col(VerificationToken.request_id) == dsr.id)
    )
    # A package never released (staff review) has no expiry: it goes now.
    await exports.remove_all_files(session, dsr, settings=settings, now=now)
    await session.execute(
        update(ConnectorTask)
        .where(col(ConnectorTask.request_id) == dsr.id)
        .values(error=None, instructions=None)
    )
    # The chain covers keyed hashes of personal values, so emptying them keeps it valid.
    await session.execute(
        update(Event).where(col(Event.request_id) == dsr.id).values(personal={})
    )
    await audit.record(session, dsr, "personal_data_purged", actor="system", at=now)
