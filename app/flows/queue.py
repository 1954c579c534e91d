"""The queue: staff filters (emails, calendar days) turned into the kernel's ticket query."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.deadlines import rules
from app.enums import Regulation, RequestType, Status
from app.errors import ValidationFailed
from app.requests import tickets
from app.requests.models import DsrRequest
from app.requests.schemas import text_problem
from app.staff import service as staff_service


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """Queue filters as staff give them; every field is optional."""

    status: Status | None = None
    type: RequestType | None = None
    regulation: Regulation | None = None
    assignee: str | None = None  # a staff email, or "none" for unassigned
    overdue: bool | None = None
    due_before: date | None = None
    q: str | None = None


async def find(
    session: AsyncSession,
    filters: QueueFilters,
    *,
    calendar: rules.BusinessCalendar,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[DsrRequest], str | None]:
    """A page of matching tickets, soonest due first, and the next page's cursor."""
    for name, value in (("q", filters.q), ("assignee", filters.assignee)):
        if value is not None and (problem := text_problem(value, one_line=True)):
            raise ValidationFailed(f"{name}: {problem}")
    assignee_id = None
    if filters.assignee and filters.assignee != "none":
        staff = await staff_service.get_staff(session, filters.assignee)
        assignee_id = staff.id if staff and staff.id else -1  # nobody: an empty page
    due_until = None
    if filters.due_before is not None:
        if filters.due_before <= date.min + timedelta(days=1):
            raise ValidationFailed("due_before: too early a date")
        # Due moments are end-of-day instants: "due before D" means due on D-1 or earlier.
        due_until = rules.end_of_day(filters.due_before - timedelta(days=1), calendar)
    kernel = tickets.TicketFilters(
        status=filters.status,
        type=filters.type,
        regulation=filters.regulation,
        assignee_id=assignee_id,
        unassigned=filters.assignee == "none",
        overdue=filters.overdue,
        due_until=due_until,
        q=filters.q,
    )
    return await tickets.page(session, kernel, cursor=cursor, limit=limit)
