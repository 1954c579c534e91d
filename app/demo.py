"""Demo data for `make run`: an admin account and a few requests to look at."""

from datetime import timedelta

import typer
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.db import utcnow
from app.deadlines.rules import BusinessCalendar
from app.requests import service as requests_service
from app.requests.enums import Channel, Regulation, RequestType
from app.requests.models import DsrRequest
from app.staff import service as staff_service
from app.staff.models import Role

DEMO_ADMIN = "admin@example.com"


async def seed(session: AsyncSession) -> None:
    """Create the demo admin (password printed once) and demo requests, once."""
    if await staff_service.get_staff(session, DEMO_ADMIN) is None:
        password = staff_service.generate_password()
        await staff_service.add_staff(
            session,
            email=DEMO_ADMIN,
            role=Role.ADMIN,
            password=password,
            name="Demo Admin",
        )
        typer.echo(f"demo admin: {DEMO_ADMIN} / {password} (shown once)")
    if (
        await session.execute(select(func.count()).select_from(DsrRequest))
    ).scalar_one():
        return
    now, calendar = utcnow(), BusinessCalendar()
    for days_ago, kind, regulation, email, verified in (
        (2, RequestType.ACCESS, Regulation.GDPR, "ada@example.com", True),
        (25, RequestType.ERASURE, Regulation.GDPR, "grace@example.org", True),
        (40, RequestType.ACCESS, Regulation.CCPA, "alan@example.net", False),
    ):
        await requests_service.create_request(
            session,
            type=kind,
            regulation=regulation,
            email=email,
            channel=Channel.STAFF,
            actor="system:demo",
            calendar=calendar,
            received_at=now - timedelta(days=days_ago),
            identity_verified=verified,
        )
    typer.echo("demo requests created")
