"""Verification tokens: issue, check and spend the emailed link and short code."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.db import utcnow
from app.deadlines import service as deadlines
from app.identity.models import TokenPurpose, VerificationToken
from app.requests.models import DsrRequest
from app.settings import Settings

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
MAX_CODE_ATTEMPTS = 5


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _normal_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly issued token: the secrets exist only here, to be mailed once."""

    token: str
    code: str | None
    expires_at: datetime


async def issue(
    session: AsyncSession,
    dsr: DsrRequest,
    purpose: TokenPurpose,
    *,
    days: int,
    with_code: bool = False,
) -> IssuedToken:
    """Create a random single-use token (and short code); only their hashes are stored."""
    assert dsr.id is not None  # noqa: S101 - tickets are flushed before tokens are issued
    token = secrets.token_urlsafe(32)
    code = None
    if with_code:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = utcnow() + timedelta(days=days)
    session.add(
        VerificationToken(
            request_id=dsr.id,
            purpose=purpose,
            token_hash=_digest(token),
            code_hash=_digest(code) if code else None,
            expires_at=expires_at,
        )
    )
    return IssuedToken(token=token, code=code, expires_at=expires_at)


async def find(
    session: AsyncSession, token: str, purpose: TokenPurpose
) -> VerificationToken | None:
    """The stored token matching this secret and purpose, used or not, expired or not."""
    query = select(VerificationToken).where(
        VerificationToken.token_hash == _digest(token),
        VerificationToken.purpose == purpose,
    )
    return (await session.execute(query)).scalar_one_or_none()


def is_usable(stored: VerificationToken, *, now: datetime | None = None) -> bool:
    """Unused and not expired."""
    return stored.used_at is None and stored.expires_at > (now or utcnow())


async def spend(session: AsyncSession, stored: VerificationToken) -> bool:
    """Mark the token used; False if another request spent it first (single use)."""
    result = await session.execute(
        update(VerificationToken)
        .where(
            col(VerificationToken.id) == stored.id,
            col(VerificationToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(stored)
    return bool(getattr(result, "rowcount", 0))


async def check_code(
    session: AsyncSession, dsr: DsrRequest, code: str
) -> VerificationToken | None:
    """The live token this typed code matches, or None; wrong codes count and are capped.

    Returns rather than raises, so the caller's transaction commits the attempt counter.
    Why a code failed (wrong, expired, capped) is not returned: telling those apart would
    tell a stranger that the reference exists.
    """
    query = (
        select(VerificationToken)
        .where(
            VerificationToken.request_id == dsr.id,
            VerificationToken.purpose == TokenPurpose.VERIFY,
            col(VerificationToken.used_at).is_(None),
            VerificationToken.expires_at > utcnow(),
        )
        .order_by(col(VerificationToken.id).desc())
    )
    live = list((await session.execute(query)).scalars())
    if not live or any(token.attempts >= MAX_CODE_ATTEMPTS for token in live):
        return None
    wanted = _digest(_normal_code(code))
    for token in live:
        if token.code_hash and hmac.compare_digest(token.code_hash, wanted):
            return token
    for token in live:
        token.attempts += 1
    return None


async def revoke_all(
    session: AsyncSession, dsr: DsrRequest, purpose: TokenPurpose
) -> None:
    """Spend every live token of the ticket (after verification or when closing)."""
    await session.execute(
        update(VerificationToken)
        .where(
            col(VerificationToken.request_id) == dsr.id,
            col(VerificationToken.purpose) == purpose,
            col(VerificationToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def verification_context(
    session: AsyncSession, dsr: DsrRequest, *, settings: Settings
) -> dict[str, Any]:
    """Issue a fresh verification link and code, for a mail's template context."""
    issued = await issue(
        session, dsr, TokenPurpose.VERIFY, days=settings.verify_days, with_code=True
    )
    calendar = deadlines.calendar_for(settings)
    return {
        "verify_url": f"{settings.base_url}/verify/{issued.token}",
        "code": issued.code,
        "code_url": f"{settings.base_url}/verify",
        "expires_on": issued.expires_at.astimezone(calendar.timezone).date(),
    }
