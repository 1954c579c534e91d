"""Async builders of test objects with sensible fictional defaults."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.enums import Channel, Regulation, RequestType
from app.flows import intake
from app.requests.models import DsrRequest
from app.settings import Settings
from app.staff import service as staff_service
from app.staff.models import Role, StaffUser


async def make_staff(
    session: AsyncSession, *, role: Role = Role.AGENT, email: str = "agent@example.com"
) -> StaffUser:
    """A staff account with a known password ("correct horse battery")."""
    return await staff_service.add_staff(
        session,
        email=email,
        role=role,
        password="correct horse battery",
        name=email.split("@")[0],
    )


async def make_token(session: AsyncSession, staff: StaffUser) -> str:
    """An API token for the staff member."""
    token, _ = await staff_service.create_token(session, staff, name="test")
    return token


async def make_request(
    session: AsyncSession,
    *,
    type: RequestType = RequestType.ACCESS,
    regulation: Regulation = Regulation.GDPR,
    email: str = "subject@example.com",
    received_at: datetime | None = None,
    identity_verified: bool = False,
    **overrides: Any,
) -> DsrRequest:
    """A ticket opened by staff, committed (UTC business days, no holidays)."""
    dsr = await intake.create_request(
        session,
        type=RequestType(type),
        regulation=Regulation(regulation),
        email=email,
        channel=Channel.STAFF,
        actor="staff:test@example.com",
        settings=Settings(_env_file=None, secret_key="x" * 40),  # type: ignore[call-arg]
        received_at=received_at,
        identity_verified=identity_verified,
        **overrides,
    )
    await session.commit()
    return dsr
