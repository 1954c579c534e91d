"""Staff accounts, passwords (argon2) and API tokens (stored as SHA-256 hashes)."""

import hashlib
import hmac
import secrets
from datetime import timedelta

import anyio
from pwdlib import PasswordHash
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import utcnow
from app.errors import Conflict, ValidationFailed
from app.requests.emails import normalise_email
from app.staff.models import ApiToken, Role, StaffUser

_passwords = PasswordHash.recommended()
TOKEN_PREFIX = "dsr_"  # noqa: S105 - a public prefix, not a secret
MIN_PASSWORD = 12
STAFF_CHAIN = "staff"  # the audit chain of account events
# Token use is recorded at most this often: every API read writing the row would make
# concurrent readers of one token wait on its row lock.
LAST_USED_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def generate_password() -> str:
    """A random password for accounts created without one."""
    return secrets.token_urlsafe(15)


async def get_staff(session: AsyncSession, email: str) -> StaffUser | None:
    """The staff account with this email (case-insensitive), if any."""
    query = select(StaffUser).where(
        func.lower(StaffUser.email) == email.strip().lower()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def add_staff(
    session: AsyncSession,
    *,
    email: str,
    role: Role,
    password: str,
    name: str | None = None,
    actor: str = "system",
) -> StaffUser:
    """Create a staff account (audited on the `staff` chain); the password is kept only
    as an argon2 hash."""
    display, _ = normalise_email(email)
    if await get_staff(session, display) is not None:
        raise Conflict(f"a staff account {display} already exists")
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"password: use at least {MIN_PASSWORD} characters")
    digest = await anyio.to_thread.run_sync(_passwords.hash, password)
    staff = StaffUser(email=display, name=name, role=role, password_hash=digest)
    session.add(staff)
    await session.flush()
    await audit.record_in(
        session,
        STAFF_CHAIN,
        "staff_added",
        actor=actor,
        data={"staff_id": staff.id, "role": role},
        personal={"email": display},
    )
    return staff


async def authenticate_password(
    session: AsyncSession, email: str, password: str
) -> StaffUser | None:
    """The active account matching email and password, or None.

    Argon2 runs in a worker thread: it is slow on purpose and must not stall the loop.
    """
    staff = await get_staff(session, email)
    if staff is None or not staff.active:
        # Spend the same time whether or not the account exists.
        await anyio.to_thread.run_sync(_passwords.hash, password)
        return None
    matches = await anyio.to_thread.run_sync(
        _passwords.verify, password, staff.password_hash
    )
    return staff if matches else None


async def create_token(session: AsyncSession, staff: StaffUser, *, name: str) -> str:
    """Issue an API token for the staff member; only its hash is stored, so show it once."""
    assert staff.id is not None  # noqa: S101 - accounts are flushed on creation
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(staff_id=staff.id, name=name, token_hash=hash_token(token)))
    await session.flush()
    return token


async def authenticate_token(session: AsyncSession, token: str) -> StaffUser | None:
    """The active staff member owning this unrevoked token, or None."""
    digest = hash_token(token)
    query = (
        select(ApiToken, StaffUser)
        .join(StaffUser, col(StaffUser.id) == ApiToken.staff_id)
        .where(ApiToken.token_hash == digest, col(ApiToken.revoked_at).is_(None))
    )
    row = (await session.execute(query)).first()
    if row is None:
        return None
    api_token, staff = row
    # The lookup is by hash; compare again in constant time as a belt-and-braces check.
    if not hmac.compare_digest(api_token.token_hash, digest) or not staff.active:
        return None
    now = utcnow()
    if (
        api_token.last_used_at is None
        or now - api_token.last_used_at >= LAST_USED_EVERY
    ):
        api_token.last_used_at = now
    return staff
