"""Staff accounts, passwords (argon2) and API tokens (stored as SHA-256 hashes)."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import anyio
from pwdlib import PasswordHash
from sqlalchemy import func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.db import utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.requests.emails import normalise_email
from app.staff.models import ApiToken, Role, StaffSession, StaffUser

_passwords = PasswordHash.recommended()
# session.info entry: a PasswordHash used instead of the recommended one. The test suite
# sets a cheap argon2 there (it creates and logs in hundreds of accounts); nothing else does.
PASSWORDS_KEY = "passwords"
TOKEN_PREFIX = "dsr_"  # noqa: S105 - a public prefix, not a secret
MIN_PASSWORD = 12
STAFF_CHAIN = "staff"  # the audit chain of account events
# Token use is recorded at most this often: every API read writing the row would make
# concurrent readers of one token wait on its row lock.
LAST_USED_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _hasher(session: AsyncSession) -> PasswordHash:
    chosen = session.info.get(PASSWORDS_KEY)
    return chosen if isinstance(chosen, PasswordHash) else _passwords


def generate_password() -> str:
    """A random password for accounts created without one."""
    return secrets.token_urlsafe(15)


async def get_staff(session: AsyncSession, email: str) -> StaffUser | None:
    """The staff account with this email (case-insensitive), if any."""
    query = select(StaffUser).where(
        func.lower(StaffUser.email) == email.strip().lower()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def require_staff(session: AsyncSession, email: str) -> StaffUser:
    """The staff account with this email, or NotFound."""
    staff = await get_staff(session, email)
    if staff is None:
        raise NotFound(f"no staff account {email}")
    return staff


async def assignable(session: AsyncSession) -> list[StaffUser]:
    """Active agents and admins (who tickets can be given to), by email."""
    query = select(StaffUser).where(
        col(StaffUser.active).is_(True),
        col(StaffUser.role).in_([Role.AGENT, Role.ADMIN]),
    )
    return list((await session.execute(query.order_by(col(StaffUser.email)))).scalars())


def token_state(row: ApiToken, *, now: datetime) -> str:
    """`revoked`, `expired` or `active`: whether the token still authenticates."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


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
    digest = await anyio.to_thread.run_sync(_hasher(session).hash, password)
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
        await anyio.to_thread.run_sync(_hasher(session).hash, password)
        return None
    matches = await anyio.to_thread.run_sync(
        _hasher(session).verify, password, staff.password_hash
    )
    return staff if matches else None


async def create_token(
    session: AsyncSession,
    staff: StaffUser,
    *,
    name: str,
    days: int = 90,
    actor: str = "system",
) -> tuple[str, ApiToken]:
    """Issue an API token valid for `days`; only its hash is stored, so show it once."""
    assert staff.id is not None  # noqa: S101 - accounts are flushed on creation
    if not staff.active:
        raise Conflict(f"{staff.email} is deactivated")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        staff_id=staff.id,
        name=name,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    await session.flush()
    await audit.record_in(
        session,
        STAFF_CHAIN,
        "token_created",
        actor=actor,
        data={"staff_id": staff.id, "token_id": row.id, "days": days},
    )
    return token, row


async def tokens_of(session: AsyncSession, staff: StaffUser) -> list[ApiToken]:
    """The staff member's tokens, newest first (revoked and expired ones included)."""
    query = select(ApiToken).where(ApiToken.staff_id == staff.id)
    return list(
        (await session.execute(query.order_by(col(ApiToken.id).desc()))).scalars()
    )


async def revoke_token(session: AsyncSession, token_id: int, *, actor: str) -> ApiToken:
    """Revoke one token at once; NotFound when there is no such token."""
    row = await session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no API token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await audit.record_in(
            session,
            STAFF_CHAIN,
            "token_revoked",
            actor=actor,
            data={"staff_id": row.staff_id, "token_id": row.id},
        )
    return row


async def end_sessions(session: AsyncSession, staff: StaffUser) -> int:
    """End every open staff UI session of an account; how many there were."""
    result = await session.execute(
        update(StaffSession)
        .where(
            col(StaffSession.staff_id) == staff.id,
            col(StaffSession.ended_at).is_(None),
        )
        .values(ended_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def deactivate(session: AsyncSession, email: str, *, actor: str) -> StaffUser:
    """Deactivate an account: it can no longer log in, its UI sessions end and every
    token of it is revoked."""
    staff = await require_staff(session, email)
    await _keep_an_admin(session, staff)
    staff.active = False
    now = utcnow()
    revoked = 0
    for row in await tokens_of(session, staff):
        if row.revoked_at is None:
            row.revoked_at, revoked = now, revoked + 1
    ended = await end_sessions(session, staff)
    await audit.record_in(
        session,
        STAFF_CHAIN,
        "staff_deactivated",
        actor=actor,
        data={"staff_id": staff.id, "tokens_revoked": revoked, "sessions_ended": ended},
    )
    return staff


async def authenticate_token(session: AsyncSession, token: str) -> StaffUser | None:
    """The active staff member owning this unrevoked, unexpired token, or None."""
    digest = hash_token(token)
    query = (
        select(ApiToken, StaffUser)
        .join(StaffUser, col(StaffUser.id) == ApiToken.staff_id)
        .where(
            ApiToken.token_hash == digest,
            col(ApiToken.revoked_at).is_(None),
            or_(
                col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > utcnow()
            ),
        )
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
        await _mark_used(session, api_token, now)
    return staff


async def _mark_used(session: AsyncSession, api_token: ApiToken, now: datetime) -> None:
    """Record the token's use, unless another request is recording it right now.

    Every request of a busy client finds the minute over at once; they would all wait for
    the first one's row lock. The row is skipped when locked, and the time re-checked in
    SQL, so one request writes it and the others go on.
    """
    stale = or_(
        col(ApiToken.last_used_at).is_(None),
        col(ApiToken.last_used_at) <= now - LAST_USED_EVERY,
    )
    claim = (
        select(ApiToken.id)
        .where(ApiToken.id == api_token.id, stale)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        update(ApiToken)
        .where(col(ApiToken.id).in_(claim.scalar_subquery()))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


async def list_staff(session: AsyncSession) -> list[StaffUser]:
    """Every staff account, active ones first, then by email."""
    query = select(StaffUser).order_by(
        col(StaffUser.active).desc(), func.lower(StaffUser.email)
    )
    return list((await session.execute(query)).scalars())


async def _keep_an_admin(session: AsyncSession, staff: StaffUser) -> None:
    """Refuse to take away the last active admin: nobody could manage staff after."""
    if staff.role is not Role.ADMIN or not staff.active:
        return
    query = select(func.count()).where(
        StaffUser.role == Role.ADMIN,
        col(StaffUser.active).is_(True),
        StaffUser.id != staff.id,
    )
    if not (await session.execute(query)).scalar_one():
        raise Conflict(f"{staff.email} is the last active admin; make another first")


async def change_role(
    session: AsyncSession, email: str, role: Role, *, actor: str
) -> StaffUser:
    """Give an account another role (audited); the last active admin keeps theirs."""
    staff = await require_staff(session, email)
    if staff.role is role:
        return staff
    if role is not Role.ADMIN:
        await _keep_an_admin(session, staff)
    previous, staff.role = staff.role, role
    await audit.record_in(
        session,
        STAFF_CHAIN,
        "staff_role_changed",
        actor=actor,
        data={"staff_id": staff.id, "from": previous, "to": role},
    )
    return staff


async def reset_password(
    session: AsyncSession, email: str, *, actor: str, password: str | None = None
) -> tuple[StaffUser, str]:
    """Set a new password (generated unless given) and return it to show once; the
    account's UI sessions end (audited)."""
    staff = await require_staff(session, email)
    password = password if password is not None else generate_password()
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"password: use at least {MIN_PASSWORD} characters")
    staff.password_hash = await anyio.to_thread.run_sync(
        _hasher(session).hash, password
    )
    # Whoever held the old password may be logged in with it: those sessions end too.
    ended = await end_sessions(session, staff)
    await audit.record_in(
        session,
        STAFF_CHAIN,
        "staff_password_reset",
        actor=actor,
        data={"staff_id": staff.id, "sessions_ended": ended},
    )
    return staff, password
