"""Log-in and log-out of the staff UI (`/login`, `/logout`)."""

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app import web
from app.settings import Settings, derived_key
from app.staff import sessions
from app.ui.pages import (
    StaffPage,
    clear_session_cookie,
    current_staff,
    redirect,
    render,
    safe_next,
    session_token,
    set_session_cookie,
)
from app.web import SessionDep, SettingsDep

router = APIRouter(tags=["staff"], include_in_schema=False)
ERRORS = {
    sessions.LoginOutcome.WRONG: (400, "Wrong email or password."),
    sessions.LoginOutcome.THROTTLED: (
        429,
        "Too many attempts. Please wait a quarter of an hour and try again.",
    ),
}


def _login_page(
    request: Request,
    settings: Settings,
    *,
    email: str = "",
    next_url: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token, nonce = web.csrf_token(request, settings)
    context = {
        "email": email,
        "next": next_url,
        "error": error,
        "login_csrf": token,
    }
    response = render(request, None, "staff/login.html", context, status=status)
    web.set_csrf_cookie(response, nonce, settings)
    return response


@router.get("/login")
async def login_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    next: str | None = None,
) -> Response:
    """The log-in form; a logged-in browser goes straight on."""
    if await current_staff(request, session, settings) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, settings, next_url=safe_next(next))


@router.post("/login")
async def log_in(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=2000)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Check the password; on success a new session (the old one ended) and go on."""
    target = safe_next(next)
    if not web.csrf_valid(request, settings, csrf_token):
        return _login_page(
            request,
            settings,
            email=email,
            next_url=target,
            error="The form expired. Please log in again.",
            status=400,
        )
    outcome, staff = await sessions.check_login(
        session,
        email,
        password,
        ip=web.client_ip(request),
        key=derived_key(settings, "rate-limit"),
    )
    if staff is None:
        status, message = ERRORS[outcome]
        return _login_page(
            request,
            settings,
            email=email,
            next_url=target,
            error=message,
            status=status,
        )
    # Rotation: whatever session this browser had ends, and it gets a new id (and a new
    # CSRF nonce), so an id planted before the log-in is worth nothing after it.
    previous = session_token(request, settings)
    if previous is not None:
        await sessions.end_session(session, previous, reason="replaced")
    token = await sessions.start_session(
        session, staff, lifetime=timedelta(hours=settings.session_hours)
    )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token, settings)
    web.set_csrf_cookie(response, secrets.token_urlsafe(24), settings)
    return response


@router.post("/logout")
async def log_out(
    request: Request, _current: StaffPage, session: SessionDep, settings: SettingsDep
) -> Response:
    """End this browser's session."""
    token = session_token(request, settings)
    if token is not None:
        await sessions.end_session(session, token)
    response = redirect(request, "/login", "You are logged out.", kind="info")
    clear_session_cookie(response, settings)
    return response
