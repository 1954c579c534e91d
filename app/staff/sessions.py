"""Staff UI log-ins: throttled password checks and server-side sessions, on the audit trail.

The browser holds a random session token (in a signed cookie); the database holds only its
SHA-256 hash, with the idle and absolute timeouts, so logging out, deactivating the account
or an expiry ends a session at once, whatever the browser still has.
"""

import secrets
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app import ratelimit
from app.audit import service as audit
from app.db import utcnow
from app.requests.schemas import text_problem
from app.staff import service as staff_service
from app.staff.models import StaffSession, StaffUser

# Failed and successful attempts both count: ten tries a quarter hour is plenty for a person
# and far too few for guessing; one address (an office NAT) gets room for a team.
PER_ACCOUNT = (10, timedelta(minutes=15))
PER_IP = (30, timedelta(minutes=15))
# A session's last use is written at most this often, so page views rarely write.
SEEN_EVERY = timedelta(minutes=1)
MAX_EMAIL, MAX_PASSWORD = 320, 1024  # argon2 of a megabyte "password" is a cheap DoS


class LoginOutcome(StrEnum):
    """How a log-in attempt ended."""

    OK = "ok"
    # Unknown account, wrong password or deactivated: one answer for all three.
    WRONG = "wrong"
    THROTTLED = "throttled"


async def check_login(
    session: AsyncSession, email: str, password: str, *, ip: str, key: bytes
) -> tuple[LoginOutcome, StaffUser | None]:
    """Throttle per account and per address, check the password, audit the outcome.

    `key` keys the rate-limit hashes (who is counted is never stored in clear).
    """
    email = email.strip()
    usable = (
        0 < len(email) <= MAX_EMAIL
        and len(password) <= MAX_PASSWORD
        and text_problem(email, one_line=True) is None
        and text_problem(password) is None
    )
    allowed = await ratelimit.hit(
        session, "login-ip", ip, limit=PER_IP[0], window=PER_IP[1], secret=key
    ) and (
        not usable
        or await ratelimit.hit(
            session,
            "login-account",
            email,
            limit=PER_ACCOUNT[0],
            window=PER_ACCOUNT[1],
            secret=key,
        )
    )
    staff = None
    if allowed and usable:
        staff = await staff_service.authenticate_password(session, email, password)
    outcome = (
        LoginOutcome.THROTTLED
        if not allowed
        else LoginOutcome.OK
        if staff
        else LoginOutcome.WRONG
    )
    if staff is not None:
        await audit.record_in(
            session,
            staff_service.STAFF_CHAIN,
            "login",
            actor=f"staff:{staff.email}",
            data={"staff_id": staff.id},
            personal={"ip": ip},
        )
    else:
        personal = {"ip": ip}
        if usable:
            personal["email"] = email
        await audit.record_in(
            session,
            staff_service.STAFF_CHAIN,
            "login_failed",
            actor="anonymous",
            data={"reason": outcome.value},
            personal=personal,
        )
    return outcome, staff


def _hash(token: str) -> str:
    return staff_service.hash_token(token)


async def start_session(
    session: AsyncSession, staff: StaffUser, *, lifetime: timedelta
) -> str:
    """Open a session for `staff` ending `lifetime` from now; the token is returned once."""
    assert staff.id is not None  # noqa: S101 - accounts are flushed on creation
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        StaffSession(
            staff_id=staff.id,
            token_hash=_hash(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return token


async def resolve_session(
    session: AsyncSession, token: str, *, idle: timedelta
) -> tuple[StaffUser, StaffSession] | None:
    """The active staff member of an open, unexpired session (its use recorded), or None."""
    now = utcnow()
    query = (
        select(StaffSession, StaffUser)
        .join(StaffUser, col(StaffUser.id) == StaffSession.staff_id)
        .where(
            StaffSession.token_hash == _hash(token),
            col(StaffSession.ended_at).is_(None),
            col(StaffSession.expires_at) > now,
            col(StaffSession.last_seen_at) > now - idle,
            col(StaffUser.active).is_(True),
        )
    )
    row = (await session.execute(query)).first()
    if row is None:
        return None
    staff_session, staff = row
    if now - staff_session.last_seen_at >= SEEN_EVERY:
        staff_session.last_seen_at = now
    return staff, staff_session


async def end_session(
    session: AsyncSession, token: str, *, reason: str = "logout"
) -> StaffUser | None:
    """End the session of this token (log-out, or replaced by a new log-in); its staff
    member, or None if none was open."""
    query = select(StaffSession, StaffUser).join(
        StaffUser, col(StaffUser.id) == StaffSession.staff_id
    )
    row = (
        await session.execute(
            query.where(
                StaffSession.token_hash == _hash(token),
                col(StaffSession.ended_at).is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    staff_session, staff = row
    staff_session.ended_at = utcnow()
    await audit.record_in(
        session,
        staff_service.STAFF_CHAIN,
        "logout",
        actor=f"staff:{staff.email}",
        data={"staff_id": staff.id, "reason": reason},
    )
    return staff
