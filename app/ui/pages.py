"""The staff UI's glue: who is logged in (one dependency per role), CSRF, flash, rendering.

Every staff page declares exactly one of `StaffPage` (viewers read), `AgentPage` (agents
act) or `AdminPage` (admins manage staff and connectors), before any other dependency that
touches the database. The dependency

- sends an anonymous browser to `/login?next=<this page>` (303);
- refuses an unsafe method (POST…) whose form lacks this session's CSRF token (403);
- refuses a role below the page's (403).

Actions answer with `redirect(...)` (POST → 303 → GET) carrying a flash message, and pages
render through `render(...)`, which gives every template `current`, `csrf_token` and the
flash messages.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import pass_context

from app.errors import Forbidden
from app.settings import Settings, derived_key
from app.staff import sessions
from app.staff.models import Role, StaffUser
from app.web import CSRF_FIELD, SessionDep, SettingsDep, actor_of, templates

SESSION_COOKIE = "dsr_session"
FLASH_COOKIE = "dsr_flash"
FLASH_MAX_AGE = 300
HOME = "/queue"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FlashKind = Literal["success", "error", "info"]


@dataclass(frozen=True, slots=True)
class CurrentStaff:
    """The logged-in staff member of this request and the CSRF token of their session."""

    staff: StaffUser
    csrf_token: str

    @property
    def actor(self) -> str:
        """How this person appears in the audit trail."""
        return actor_of(self.staff)

    @property
    def can_act(self) -> bool:
        """Agents and admins act on tickets; viewers only read."""
        return self.staff.role.rank >= Role.AGENT.rank

    @property
    def is_admin(self) -> bool:
        """Admins also manage staff and connectors."""
        return self.staff.role is Role.ADMIN


class LoginRequired(Exception):
    """No valid session: the browser is sent to the log-in page (and back afterwards)."""

    def __init__(self, next_url: str | None) -> None:
        super().__init__("log in first")
        self.next_url = next_url


def _signer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret(), salt=f"dsr-desk {purpose}")


def _secure(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")


def session_token(request: Request, settings: Settings) -> str | None:
    """The session token in the browser's signed cookie, if it carries a valid one."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        token = _signer(settings, "staff session").loads(
            raw, max_age=settings.session_hours * 3600
        )
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """Give the browser its (signed, HttpOnly, SameSite) session cookie."""
    # Lax, not Strict: a link in a staff mail is a top-level GET from another site, and it
    # should open the request page of a logged-in agent rather than the log-in form.
    response.set_cookie(
        SESSION_COOKIE,
        _signer(settings, "staff session").dumps(token),
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(settings),
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Make the browser forget its session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(settings)
    )


def _csrf_for(settings: Settings, token: str) -> str:
    # Bound to the session: a new log-in (a new token) invalidates every older form.
    key = derived_key(settings, "staff csrf")
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


async def current_staff(
    request: Request, session: SessionDep, settings: SettingsDep
) -> CurrentStaff | None:
    """The logged-in staff member, or None (no cookie, ended, expired or deactivated)."""
    token = session_token(request, settings)
    if token is None:
        return None
    found = await sessions.resolve_session(
        session, token, idle=timedelta(minutes=settings.session_idle_minutes)
    )
    if found is None:
        return None
    return CurrentStaff(staff=found[0], csrf_token=_csrf_for(settings, token))


def _page_of(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


class RoleGate:
    """The dependency of a staff page allowing `role` and above (see the module doc)."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(
        self, request: Request, session: SessionDep, settings: SettingsDep
    ) -> CurrentStaff:
        current = await current_staff(request, session, settings)
        unsafe = request.method not in SAFE_METHODS
        if current is None:
            # After logging in, a browser comes back to the page, never to a POST target.
            raise LoginRequired(None if unsafe else _page_of(request))
        if unsafe:
            posted = (await request.form()).get(CSRF_FIELD)
            if not isinstance(posted, str) or not hmac.compare_digest(
                posted, current.csrf_token
            ):
                raise Forbidden(
                    "The form expired or did not come from this site."
                    " Go back, reload the page and try again."
                )
        if current.staff.role.rank < self.role.rank:
            raise Forbidden(
                f"This needs the {self.role} role; you are {current.staff.role}."
            )
        return current


StaffPage = Annotated[CurrentStaff, Depends(RoleGate(Role.VIEWER))]
AgentPage = Annotated[CurrentStaff, Depends(RoleGate(Role.AGENT))]
AdminPage = Annotated[CurrentStaff, Depends(RoleGate(Role.ADMIN))]


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this site, never another host."""
    if not value or len(value) > 2000 or not value.startswith("/"):
        return HOME
    # "//host" and "/\\host" are other hosts to a browser; control characters hide tricks.
    if value.startswith("//") or "\\" in value or any(ord(c) < 0x21 for c in value):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return HOME
    return value


def login_url(next_url: str | None) -> str:
    """The log-in page, coming back to `next_url` afterwards."""
    if not next_url or safe_next(next_url) == HOME:
        return "/login"
    return "/login?next=" + quote(next_url, safe="/")


def redirect(
    request: Request,
    url: str,
    message: str | None = None,
    *,
    kind: FlashKind = "success",
) -> RedirectResponse:
    """303 to `url` (post/redirect/get), with a flash message shown on the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        settings: Settings = request.app.state.settings
        flashes = [*_flashes(request, settings), [kind, message]][-5:]
        response.set_cookie(
            FLASH_COOKIE,
            _signer(settings, "flash").dumps(flashes),
            max_age=FLASH_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=_secure(settings),
        )
    return response


def _flashes(request: Request, settings: Settings) -> list[list[str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        value = _signer(settings, "flash").loads(raw, max_age=FLASH_MAX_AGE)
    except BadSignature:
        return []
    if not isinstance(value, list):
        return []
    return [
        [str(item[0]), str(item[1])]
        for item in value
        if isinstance(item, list) and len(item) == 2
    ]


@pass_context
def _staff_time(context: Any, moment: datetime | None) -> str:
    """A moment in the business timezone, to the minute."""
    if moment is None:
        return ""
    settings: Settings = context["request"].app.state.settings
    return moment.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")


def _staff_date(day: date | datetime | None) -> str:
    if day is None:
        return ""
    return f"{day.day} {day:%b %Y}"


templates.env.filters["staff_time"] = _staff_time
templates.env.filters["staff_date"] = _staff_date


def render(
    request: Request,
    current: CurrentStaff | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    active: str | None = None,
) -> Response:
    """A staff page: the template with `current`, `csrf_token`, flashes and the nav state.

    Staff pages show personal data: the browser is told not to store them.
    """
    settings: Settings = request.app.state.settings
    flashes = _flashes(request, settings)
    values: dict[str, Any] = {
        "current": current,
        "csrf_token": current.csrf_token if current else None,
        "flashes": flashes,
        "active": active,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, values, status_code=status)
    if flashes:
        response.delete_cookie(
            FLASH_COOKIE, httponly=True, samesite="lax", secure=_secure(settings)
        )
    response.headers["cache-control"] = "no-store"
    return response


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)  # noqa: S101 - registered for it only
    response = RedirectResponse(login_url(exc.next_url), status_code=303)
    # A stale cookie (expired, ended) is dropped so the browser stops sending it.
    if request.cookies.get(SESSION_COOKIE):
        clear_session_cookie(response, request.app.state.settings)
    return response


def install(app: FastAPI) -> None:
    """Send anonymous visitors of staff pages to the log-in page."""
    app.add_exception_handler(LoginRequired, _login_required)
