"""The triage queue (`/queue`)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app import presenter
from app.deadlines import service as deadlines
from app.flows import queue
from app.ui.pages import StaffPage, render
from app.web import SessionDep, SettingsDep

router = APIRouter(tags=["staff"], include_in_schema=False)


@router.get("/queue")
async def queue_page(
    request: Request, current: StaffPage, session: SessionDep, settings: SettingsDep
) -> Response:
    """Open requests, soonest due first."""
    found, next_cursor = await queue.find(
        session, queue.QueueFilters(), calendar=deadlines.calendar_for(settings)
    )
    rows = await presenter.page(session, found, settings)
    context = {"rows": rows, "next_cursor": next_cursor}
    return render(request, current, "staff/queue.html", context, active="queue")
