"""The queue: staff filters (emails, calendar days, saved views) turned into the kernel's
ticket query."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.deadlines import rules
from app.enums import OPEN_STATUSES, Channel, Regulation, RequestType, Status
from app.errors import ValidationFailed
from app.requests import tickets
from app.requests.models import DsrRequest
from app.requests.schemas import text_problem
from app.staff import service as staff_service

CLOSED_STATUSES = frozenset(Status) - OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """Queue filters as staff give them; every field is optional."""

    status: Status | None = None
    statuses: frozenset[Status] | None = None
    type: RequestType | None = None
    regulation: Regulation | None = None
    channel: Channel | None = None
    assignee: str | None = None  # a staff email, or "none" for unassigned
    overdue: bool | None = None
    due_before: date | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class View:
    """A saved view of the queue: a name, what it shows, and its filters."""

    key: str
    label: str
    description: str


VIEWS: tuple[View, ...] = (
    View("mine", "Mine", "Open requests assigned to you"),
    View("unassigned", "Unassigned", "Open requests nobody has taken"),
    View("due_week", "Due this week", "Open requests due in the next seven days"),
    View("overdue", "Overdue", "Open requests past their due date"),
    View(
        "needs_action",
        "Needs action",
        "A connector failed or a manual task waits for someone",
    ),
    View("triage", "Triage", "Verified requests waiting for approval or denial"),
    View("all_open", "All open", "Every open request"),
    View("closed", "Closed", "Completed, denied, canceled and closed requests"),
)
VIEW_KEYS = frozenset(view.key for view in VIEWS)
DEFAULT_VIEW = "all_open"


def view_filters(
    view: str, *, staff_email: str, today: date, base: QueueFilters | None = None
) -> QueueFilters:
    """The filters of a saved view for this staff member, on top of `base`."""
    base = base or QueueFilters()
    opened = replace(base, statuses=OPEN_STATUSES)
    match view:
        case "mine":
            return replace(opened, assignee=staff_email)
        case "unassigned":
            return replace(opened, assignee="none")
        case "due_week":
            return replace(opened, due_before=today + timedelta(days=8))
        case "overdue":
            return replace(opened, overdue=True)
        case "needs_action":
            return replace(base, statuses=frozenset({Status.ACTION_REQUIRED}))
        case "triage":
            return replace(base, statuses=frozenset({Status.PENDING_REVIEW}))
        case "closed":
            return replace(base, statuses=CLOSED_STATUSES)
        case "all_open":
            return opened
    raise ValidationFailed(f"view: no saved view {view!r}")


async def _kernel_filters(
    session: AsyncSession, filters: QueueFilters, calendar: rules.BusinessCalendar
) -> tickets.TicketFilters:
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
    return tickets.TicketFilters(
        status=filters.status,
        statuses=filters.statuses,
        type=filters.type,
        regulation=filters.regulation,
        channel=filters.channel,
        assignee_id=assignee_id,
        unassigned=filters.assignee == "none",
        overdue=filters.overdue,
        due_until=due_until,
        q=filters.q,
    )


async def find(
    session: AsyncSession,
    filters: QueueFilters,
    *,
    calendar: rules.BusinessCalendar,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[DsrRequest], str | None]:
    """A page of matching tickets, soonest due first, and the next page's cursor."""
    kernel = await _kernel_filters(session, filters, calendar)
    return await tickets.page(session, kernel, cursor=cursor, limit=limit)


async def view_counts(
    session: AsyncSession,
    *,
    staff_email: str,
    today: date,
    calendar: rules.BusinessCalendar,
) -> dict[str, int]:
    """The number of tickets in each saved view, for this staff member (one query)."""
    named = {
        view.key: await _kernel_filters(
            session,
            view_filters(view.key, staff_email=staff_email, today=today),
            calendar,
        )
        for view in VIEWS
    }
    return await tickets.counts(session, named)
