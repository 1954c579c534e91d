"""Verification flows: the requester confirms by link or by code, and the ticket moves on.

The ticket is locked (`tickets.edit`) before a token is spent or a wrong code is counted,
so parallel clicks verify once and parallel guesses are each counted.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.deadlines import service as deadlines
from app.enums import Status
from app.flows import review
from app.i18n import N_
from app.identity import service as identity
from app.identity.models import TokenPurpose, VerificationToken
from app.mail import outbox
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings

# One answer for every failure (wrong, expired, five wrong tries, no such reference), so
# that the form cannot be used to learn which references exist.
WRONG_CODE = N_(
    "That code is not right, or it can no longer be used. Please check it,"
    " or use the link in the email."
)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The ticket a confirmation landed on, or the problem to show the requester."""

    dsr: DsrRequest | None
    problem: str | None = None


async def confirm_link(
    session: AsyncSession,
    token: str,
    *,
    settings: Settings,
    language: str | None = None,
) -> Confirmation:
    """Verify by the emailed link; an unknown, used or expired link gives no ticket.

    `language`, the one the requester chose on the page, becomes the ticket's (and so the
    language of every later mail)."""
    stored = await identity.find(session, token, TokenPurpose.VERIFY)
    if stored is None or not identity.is_usable(stored):
        return Confirmation(None, "expired")
    dsr = await tickets.edit_or_none(session, stored.request_id)
    if dsr is None:
        return Confirmation(None, "expired")
    if dsr.status is Status.UNVERIFIED:
        if language is not None and language != dsr.language:
            dsr.language = language
        await _confirm(session, dsr, stored, method="email_link", settings=settings)
    return Confirmation(dsr)


async def confirm_code(
    session: AsyncSession, reference: str, code: str, *, settings: Settings
) -> Confirmation:
    """Verify by reference and code; wrong codes are counted (and capped) under the lock."""
    found = await tickets.get(session, reference) if reference.strip() else None
    dsr = await tickets.edit_or_none(session, found.id) if found and found.id else None
    if dsr is None or dsr.status is not Status.UNVERIFIED:
        # The same words whether or not the reference exists: references are not probed.
        return Confirmation(None, WRONG_CODE)
    token = await identity.check_code(session, dsr, code)
    if token is None:
        return Confirmation(None, WRONG_CODE)
    await _confirm(session, dsr, token, method="email_code", settings=settings)
    return Confirmation(dsr)


async def _confirm(
    session: AsyncSession,
    dsr: DsrRequest,
    stored: VerificationToken,
    *,
    method: str,
    settings: Settings,
) -> bool:
    """Spend the token and verify the ticket; False if the token was already spent."""
    if not await identity.spend(session, stored):
        return False
    calendar = deadlines.calendar_for(settings)
    await review.verify(
        session,
        dsr,
        actor="requester",
        method=method,
        calendar=calendar,
        auto_approve=settings.auto_approve,
    )
    await identity.revoke_all(session, dsr, TokenPurpose.VERIFY)
    await outbox.to_requester(
        session,
        dsr,
        "verified",
        settings=settings,
        context={"due_on": deadlines.due_day(dsr, calendar)},
    )
    return True
