"""The triage queue (`/queue`): saved views with counts, filters, search, keyset pages, and
bulk assign / approve / close after a confirmation page."""

from datetime import date
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app import presenter
from app.db import utcnow
from app.deadlines import service as deadlines
from app.enums import Channel, Regulation, RequestType, Status
from app.errors import DsrError
from app.flows import queue, review
from app.requests import lifecycle, tickets
from app.requests.models import DsrRequest
from app.requests.reference import is_reference
from app.requests.schemas import AssignBody, ReasonBody
from app.settings import Settings
from app.staff import service as staff_service
from app.ui.forms import parsed
from app.ui.pages import AgentPage, CurrentStaff, StaffPage, redirect, render
from app.web import SessionDep, SettingsDep

router = APIRouter(tags=["staff"], include_in_schema=False)
PAGE_SIZE = 50
FILTERS = ("status", "type", "regulation", "channel", "assignee", "q")
BULK_ACTIONS = {
    "assign": "Assign",
    "approve": "Approve",
    "close": "Close (cancel)",
}
E = TypeVar("E", bound=StrEnum)


def _choice(kind: type[E], value: str | None) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None  # a stale or hand-edited link: show everything rather than fail


def _filters(
    params: dict[str, str], current: CurrentStaff, today: date
) -> queue.QueueFilters:
    base = queue.QueueFilters(
        status=_choice(Status, params.get("status")),
        type=_choice(RequestType, params.get("type")),
        regulation=_choice(Regulation, params.get("regulation")),
        channel=_choice(Channel, params.get("channel")),
        assignee=params.get("assignee") or None,
        q=params.get("q", "").strip() or None,
    )
    view = params.get("view", queue.DEFAULT_VIEW)
    if view not in queue.VIEW_KEYS:
        view = queue.DEFAULT_VIEW
    return queue.view_filters(
        view, staff_email=current.staff.email, today=today, base=base
    )


def _params(request: Request) -> dict[str, str]:
    # One-line text only: a value a person could not type is dropped, not an error page.
    return {
        key: value
        for key, value in request.query_params.items()
        if key in {*FILTERS, "view", "cursor"}
        and len(value) <= 320
        and value.isprintable()
    }


def _today(settings: Settings) -> date:
    return utcnow().astimezone(deadlines.calendar_for(settings).timezone).date()


async def _counts(
    session: SessionDep, current: CurrentStaff, settings: Settings
) -> dict[str, int]:
    return await queue.view_counts(
        session,
        staff_email=current.staff.email,
        today=_today(settings),
        calendar=deadlines.calendar_for(settings),
    )


@router.get("/queue")
async def queue_page(
    request: Request, current: StaffPage, session: SessionDep, settings: SettingsDep
) -> Response:
    """Requests of a saved view and the filters, soonest due first, a page at a time."""
    params = _params(request)
    view = params.get("view", queue.DEFAULT_VIEW)
    view = view if view in queue.VIEW_KEYS else queue.DEFAULT_VIEW
    calendar = deadlines.calendar_for(settings)
    filters = _filters(params, current, _today(settings))
    error = None
    try:
        found, next_cursor = await queue.find(
            session,
            filters,
            calendar=calendar,
            cursor=params.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except DsrError as exc:
        found, next_cursor, error = [], None, exc.detail
    rows = [
        (row, presenter.due_tone(row, settings.at_risk_days), presenter.days_text(row))
        for row in await presenter.page(session, found, settings)
    ]
    kept = {key: value for key, value in params.items() if key != "cursor"}
    context = {
        "rows": rows,
        "views": queue.VIEWS,
        "view": view,
        "counts": await _counts(session, current, settings),
        "params": kept,
        "next_url": (
            "/queue?" + urlencode({**kept, "cursor": next_cursor})
            if next_cursor
            else None
        ),
        "first_url": "/queue?" + urlencode(kept) if params.get("cursor") else None,
        "error": error,
        "options": {
            "status": [item.value for item in Status],
            "type": [item.value for item in RequestType],
            "regulation": [item.value for item in Regulation],
            "channel": [item.value for item in Channel],
        },
        "assignable": [
            staff.email for staff in await staff_service.assignable(session)
        ],
        "bulk_actions": BULK_ACTIONS,
    }
    return render(request, current, "staff/queue.html", context, active="queue")


@router.get("/queue/counts")
async def queue_counts(
    current: StaffPage, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """The saved views' counts, for the page's script to refresh without a reload."""
    counts = await _counts(session, current, settings)
    return JSONResponse(counts, headers={"cache-control": "no-store"})


def _feasible(dsr: DsrRequest, action: str) -> str | None:
    """Why the action cannot apply to this ticket now, or None."""
    if action == "approve" and dsr.status is not Status.PENDING_REVIEW:
        return f"is {dsr.status}, not waiting for review"
    if action == "close" and not lifecycle.can_transition(dsr.status, Status.CANCELED):
        return f"is already {dsr.status}"
    return None


async def _selected(session: SessionDep, refs: list[str]) -> list[DsrRequest]:
    wanted = sorted({ref.strip().upper() for ref in refs if is_reference(ref.strip())})
    found = [await tickets.get(session, ref) for ref in wanted[:PAGE_SIZE]]
    return [dsr for dsr in found if dsr is not None]


@router.post("/queue/bulk")
async def bulk(
    request: Request, current: AgentPage, session: SessionDep, settings: SettingsDep
) -> Response:
    """Bulk assign, approve or close: a confirmation page first, then each ticket."""
    form = await request.form()
    refs = [value for value in form.getlist("ref") if isinstance(value, str)]
    values = {
        name: value if isinstance(value := form.get(name), str) else ""
        for name in ("action", "staff_email", "reason", "confirm", "back")
    }
    back = values["back"] if values["back"].startswith("/queue") else "/queue"
    action = values["action"]
    chosen = await _selected(session, refs)
    if action not in BULK_ACTIONS or not chosen:
        message = "Choose one or more requests and an action."
        return redirect(request, back, message, kind="error")
    try:
        assignee = parsed(AssignBody, {"staff_email": values["staff_email"] or None})
        reason = (
            parsed(ReasonBody, {"reason": values["reason"]})
            if action == "close"
            else None
        )
    except DsrError as exc:
        return redirect(request, back, exc.detail, kind="error")
    plan = [(dsr, _feasible(dsr, action)) for dsr in chosen]
    if not values["confirm"]:
        context = {
            "plan": plan,
            "ready": sum(problem is None for _, problem in plan),
            "action": action,
            "label": BULK_ACTIONS[action],
            "staff_email": assignee.staff_email,
            "reason": reason.reason if reason else "",
            "back": back,
        }
        return render(
            request, current, "staff/bulk_confirm.html", context, active="queue"
        )
    done = []
    try:
        for dsr, problem in plan:
            if problem is not None:
                continue
            async with tickets.edit(session, dsr.reference) as locked:
                if _feasible(locked, action) is not None:
                    continue  # changed since the confirmation page
                if action == "approve":
                    await review.approve(session, locked, actor=current.actor)
                elif action == "close" and reason is not None:
                    await review.cancel(
                        session, locked, actor=current.actor, reason=reason.reason
                    )
                else:
                    await review.assign(
                        session,
                        locked,
                        actor=current.actor,
                        staff_email=assignee.staff_email,
                    )
            done.append(dsr.reference)
    except DsrError as exc:
        await session.rollback()
        return redirect(
            request, back, f"Nothing was changed: {exc.detail}", kind="error"
        )
    skipped = len(plan) - len(done)
    message = f"{BULK_ACTIONS[action]}: {len(done)} request{'s' if len(done) != 1 else ''} done"
    if skipped:
        message += f", {skipped} skipped"
    return redirect(request, back, message + ".")
