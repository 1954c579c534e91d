"""Deadlines applied to tickets: due dates, the derived due state, and extensions."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.deadlines import rules
from app.enums import OPEN_STATUSES, Regulation, RequestType
from app.errors import Conflict, ValidationFailed
from app.mail import outbox
from app.requests.models import DsrRequest
from app.settings import Settings


@lru_cache(maxsize=8)
def _calendar(timezone: str, holidays: str | None) -> rules.BusinessCalendar:
    return rules.BusinessCalendar(timezone=ZoneInfo(timezone), holidays=holidays)


def calendar_for(settings: Settings) -> rules.BusinessCalendar:
    """The business calendar the settings describe (timezone and holidays)."""
    return _calendar(settings.timezone, settings.holidays)


def due_at_for(dsr: DsrRequest, calendar: rules.BusinessCalendar) -> datetime:
    """The legal due moment of a ticket: end of its due day in the business timezone."""
    return due_moment(
        dsr.regulation,
        dsr.type,
        received_at=dsr.received_at,
        verified_at=dsr.verified_at,
        calendar=calendar,
    )


def due_moment(
    regulation: Regulation,
    request_type: RequestType,
    *,
    received_at: datetime,
    verified_at: datetime | None,
    calendar: rules.BusinessCalendar,
) -> datetime:
    """The legal due moment of a request not yet a ticket: end of its due day."""
    day = rules.due_date(
        regulation,
        request_type,
        received_at,
        calendar=calendar,
        verified_at=verified_at,
    )
    return rules.end_of_day(day, calendar)


def due_day(dsr: DsrRequest, calendar: rules.BusinessCalendar) -> date:
    """The due date in force (extended or not), as a business-timezone date."""
    return dsr.effective_due_at.astimezone(calendar.timezone).date()


@dataclass(frozen=True, slots=True)
class DueState:
    """How close a ticket is to its deadline, derived from the clock, never stored."""

    days_left: int | None
    at_risk: bool
    overdue: bool


def due_state(
    dsr: DsrRequest,
    *,
    now: datetime,
    calendar: rules.BusinessCalendar,
    at_risk_days: int,
) -> DueState:
    """Days left, at-risk and overdue for an open ticket; closed tickets have none."""
    if dsr.status not in OPEN_STATUSES:
        return DueState(days_left=None, at_risk=False, overdue=False)
    day = due_day(dsr, calendar)
    return DueState(
        days_left=rules.days_left(day, now=now, calendar=calendar),
        at_risk=rules.is_at_risk(
            day, now=now, calendar=calendar, at_risk_days=at_risk_days
        ),
        overdue=rules.is_overdue(day, now=now, calendar=calendar),
    )


def extension_available(
    dsr: DsrRequest, *, now: datetime, calendar: rules.BusinessCalendar
) -> bool:
    """Whether the ticket can still be extended: once, and before its first due date ends."""
    return rules.can_extend(
        dsr.regulation,
        dsr.type,
        dsr.received_at,
        now=now,
        calendar=calendar,
        verified_at=dsr.verified_at,
        already_extended=dsr.extended_due_at is not None,
    )


def extension_notice(
    dsr: DsrRequest, *, reason: str, now: datetime, settings: Settings
) -> dict[str, Any]:
    """The extension notice's context, when the ticket may be extended now with `reason`.

    Raises Conflict (closed, already extended, not allowed by the law, too late) or
    ValidationFailed (no reason): staff see the notice before it is sent, so this is the
    same check `extend` makes.
    """
    calendar = calendar_for(settings)
    if dsr.status not in OPEN_STATUSES:
        raise Conflict(
            f"{dsr.reference} is {dsr.status}; only open requests can be extended"
        )
    if not reason.strip():
        raise ValidationFailed("reason: an extension needs a reason")
    if dsr.extended_due_at is not None:
        raise Conflict(
            f"{dsr.reference} was already extended; the law allows one extension"
        )
    try:
        day = rules.extended_due_date(
            dsr.regulation,
            dsr.type,
            dsr.received_at,
            calendar=calendar,
            verified_at=dsr.verified_at,
        )
    except rules.ExtensionNotAllowed as exc:
        raise Conflict(
            f"{dsr.regulation} allows no extension for {dsr.type}: {exc}"
        ) from None
    if not extension_available(dsr, now=now, calendar=calendar):
        raise Conflict(
            "the first due date has passed; an extension must be notified before it"
        )
    return {
        "due_on": dsr.due_at.astimezone(calendar.timezone).date(),
        "extended_due_on": day,
        "reason": reason,
    }


async def extend(
    session: AsyncSession,
    dsr: DsrRequest,
    *,
    actor: str,
    reason: str,
    now: datetime,
    settings: Settings,
) -> None:
    """Extend once, before the first due date ends, with a reason; notify the requester.

    The notice with the reasons must reach the requester within the first period
    (GDPR Art. 12(3); 11 CCR 7021(b)), so it is queued in the same transaction.
    """
    notice = extension_notice(dsr, reason=reason, now=now, settings=settings)
    dsr.extended_due_at = rules.end_of_day(
        notice["extended_due_on"], calendar_for(settings)
    )
    dsr.extension_reason = reason
    dsr.updated_at = now
    await audit.record(
        session,
        dsr,
        "extended",
        actor=actor,
        data={
            "due_at": dsr.due_at.isoformat(),
            "extended_due_at": dsr.extended_due_at.isoformat(),
        },
        personal={"reason": reason},
        at=now,
    )
    await outbox.to_requester(
        session, dsr, "extension", settings=settings, context=notice
    )
