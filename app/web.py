"""FastAPI glue: session, settings and authentication dependencies, templates, CSRF."""

import functools
import hmac
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Undefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import Forbidden, Unauthorized
from app.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    format_day,
    pick_language,
    supported,
    translated_environment,
    translations,
)
from app.paths import TEMPLATES_DIR
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings
from app.staff import service as staff_service
from app.staff.models import Role, StaffUser


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed before the response is sent, rolled back on error."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def get_settings(request: Request) -> Settings:
    """The app's settings object."""
    settings: Settings = request.app.state.settings
    return settings


# scope="function" runs the commit before the response goes out: a failed commit is a 500,
# never a false 200.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
_bearer = HTTPBearer(
    auto_error=False, description="An API token from `dsr staff token`."
)


async def get_api_staff(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffUser:
    """The staff member behind the bearer token; 401 without a valid one."""
    if credentials is None:
        raise Unauthorized("send `Authorization: Bearer <token>`")
    staff = await staff_service.authenticate_token(session, credentials.credentials)
    if staff is None:
        raise Unauthorized("the token is unknown or revoked")
    return staff


ApiStaffDep = Annotated[StaffUser, Depends(get_api_staff)]


def require_role(role: Role) -> Callable[[StaffUser], Coroutine[Any, Any, StaffUser]]:
    """A dependency allowing only staff of at least `role`; 403 otherwise."""

    async def check(staff: ApiStaffDep) -> StaffUser:
        if staff.role.rank < role.rank:
            raise Forbidden(f"this needs the {role} role; you are {staff.role}")
        return staff

    return check


AgentDep = Annotated[StaffUser, Depends(require_role(Role.AGENT))]


async def edit_ticket(reference: str, session: SessionDep) -> AsyncIterator[DsrRequest]:
    """The path's ticket in its unit of work (locked and writable) for one route; 404."""
    async with tickets.edit(session, reference) as dsr:
        yield dsr


# Declare it after the staff dependency, so no ticket is locked for a refused caller.
TicketDep = Annotated[DsrRequest, Depends(edit_ticket, scope="function")]


def actor_of(staff: StaffUser) -> str:
    """How a staff member appears in the audit trail."""
    return f"staff:{staff.email}"


templates = Jinja2Templates(directory=TEMPLATES_DIR)


def page_language(request: Request, ticket_language: str | None = None) -> str:
    """The language of a public page: the switch's `?lang=`, else the ticket's, else the
    browser's Accept-Language."""
    chosen = request.query_params.get("lang", "")
    if chosen in LANGUAGES:
        return chosen
    if ticket_language:
        return supported(ticket_language)
    return pick_language(request.headers.get("accept-language"))


@functools.cache
def _public_templates(language: str) -> Jinja2Templates:
    """The public pages' templates in one language (gettext and the `date` filter bound)."""
    environment = translated_environment(
        "", language, autoescape=select_autoescape(enabled_extensions=("html",))
    )
    # The pages test optional values plainly (`errors.type`), as Starlette's default allows.
    environment.undefined = Undefined
    environment.filters["date"] = functools.partial(format_day, language=language)
    return Jinja2Templates(env=environment)


def public_page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    language: str,
    status: int = 200,
) -> HTMLResponse:
    """Render a public page in `language`, with the switch to the other languages."""
    switch = [
        (code, LANGUAGE_NAMES[code], f"{request.url.path}?lang={code}")
        for code in LANGUAGES
        if code != language
    ]
    values = {"lang": language, "switch": switch, "link": None, **context}
    return _public_templates(language).TemplateResponse(
        request, name, values, status_code=status
    )


def message_page(
    request: Request,
    heading: str,
    *paragraphs: str,
    status: int = 200,
    language: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    """A plain page with a heading and a few paragraphs, translated (strings marked with
    `N_`; `%(name)s` placeholders filled from `values` after translation)."""
    language = language or page_language(request)
    gettext = translations(language).gettext
    fill = values or {}
    context = {
        "heading": gettext(heading) % fill if fill else gettext(heading),
        "paragraphs": [
            gettext(text) % fill if fill else gettext(text) for text in paragraphs
        ],
    }
    return public_page(
        request, "public/message.html", context, language=language, status=status
    )


# CSRF: a signed double-submit token. itsdangerous does the cryptography; the glue is ours
# because the FastAPI CSRF packages configure themselves through process-global class state,
# which does not fit one Settings object per app.
CSRF_COOKIE = "dsr_csrf"
CSRF_FIELD = "csrf_token"
CSRF_MAX_AGE = 4 * 3600


def _csrf_signer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret(), salt="dsr-desk csrf")


def csrf_token(request: Request, settings: Settings) -> tuple[str, str]:
    """(form token, cookie nonce): reuse the browser's nonce so open tabs keep working."""
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    return _csrf_signer(settings).dumps(nonce), nonce


def set_csrf_cookie(response: Response, nonce: str, settings: Settings) -> None:
    """Give the browser the nonce its form tokens are bound to."""
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        max_age=CSRF_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
    )


def csrf_valid(request: Request, settings: Settings, token: str | None) -> bool:
    """Whether a posted form token is fresh, ours, and bound to this browser's cookie."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if not token or not nonce:
        return False
    try:
        signed = _csrf_signer(settings).loads(token, max_age=CSRF_MAX_AGE)
    except BadSignature:
        return False
    return isinstance(signed, str) and hmac.compare_digest(signed, nonce)


def client_ip(request: Request) -> str:
    """The peer address (a proxy in front should set it via uvicorn --proxy-headers)."""
    return request.client.host if request.client else "unknown"
