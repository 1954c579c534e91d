"""The connectors page (`/connectors`): each configured connector, its last test, a test
button (admins), and how its recent tasks went."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.db import utcnow
from app.fanout import overview
from app.fanout.config import runtime_of
from app.ui.pages import AdminPage, StaffPage, redirect, render
from app.web import SessionDep

router = APIRouter(tags=["staff"], include_in_schema=False)
OUTCOME_DAYS = 30


@router.get("/connectors")
async def connectors_page(
    request: Request, current: StaffPage, session: SessionDep
) -> Response:
    """Every configured connector with its last test and its tasks' outcomes."""
    since = utcnow() - timedelta(days=OUTCOME_DAYS)
    runtime = runtime_of(session)
    boards = await overview.board(session, runtime, since=since)
    context = {
        "boards": boards,
        "source": runtime.source if runtime else None,
        "days": OUTCOME_DAYS,
    }
    return render(
        request, current, "staff/connectors.html", context, active="connectors"
    )


@router.post("/connectors/test")
async def run_connector_tests(
    request: Request,
    current: AdminPage,
    session: SessionDep,
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Run the connectors' own test (credentials, reachability) and keep the result."""
    runtime = runtime_of(session)
    if runtime is None or not runtime.connectors:
        return redirect(
            request, "/connectors", "No connectors are configured.", kind="error"
        )
    results = await overview.test_and_record(
        session, runtime, name or None, actor=current.actor
    )
    failed = [result for result in results if not result.ok]
    tested = [result for result in results if not result.skipped]
    if failed:
        names = ", ".join(result.name for result in failed)
        return redirect(request, "/connectors", f"Test failed: {names}.", kind="error")
    return redirect(request, "/connectors", f"{len(tested)} connector test(s) passed.")
