"""Public verification pages. A GET never changes anything: mail scanners prefetch links."""

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app import ratelimit
from app.flows import verification
from app.identity import service
from app.identity.models import TokenPurpose
from app.requests.models import DsrRequest
from app.settings import derived_key
from app.web import (
    CSRF_FIELD,
    SessionDep,
    SettingsDep,
    client_ip,
    csrf_token,
    csrf_valid,
    message_page,
    set_csrf_cookie,
    templates,
)

router = APIRouter(tags=["public"], include_in_schema=False)
# Codes typed per address and hour, beside each code's own cap of five wrong tries.
CODES_PER_IP, HOUR = 20, timedelta(hours=1)


def _expired(request: Request) -> Response:
    return message_page(
        request,
        "This link has expired",
        "Confirmation links work once and for a limited time.",
        "If you still want us to act, please make your request again at /request.",
        status=410,
    )


def _done(request: Request, dsr: DsrRequest) -> Response:
    return message_page(
        request,
        "Thank you, your request is confirmed",
        f"Your reference is {dsr.reference}. We will write to you when we have an answer.",
    )


@router.get("/verify/{token}")
async def confirm_page(token: str, request: Request, session: SessionDep) -> Response:
    """Show a confirm button for a live link; changes nothing."""
    stored = await service.find(session, token, TokenPurpose.VERIFY)
    if stored is None or not service.is_usable(stored):
        return _expired(request)
    dsr = await session.get(DsrRequest, stored.request_id)
    assert dsr is not None  # noqa: S101 - tokens cascade with their ticket
    context = {"token": token, "reference": dsr.reference}
    return templates.TemplateResponse(request, "public/verify.html", context)


@router.post("/verify/{token}")
async def confirm(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Verify the request. The unguessable token in the URL is the proof, so no CSRF token."""
    result = await verification.confirm_link(session, token, settings=settings)
    return _expired(request) if result.dsr is None else _done(request, result.dsr)


@router.get("/verify")
async def code_page(request: Request, settings: SettingsDep) -> Response:
    """The form for people who type the code instead of clicking."""
    return _code_form(request, settings, reference=None, error=None)


def _code_form(
    request: Request, settings: SettingsDep, *, reference: str | None, error: str | None
) -> Response:
    token, nonce = csrf_token(request, settings)
    context = {"csrf_token": token, "reference": reference, "error": error}
    status = 200 if error is None else 422
    response = templates.TemplateResponse(
        request, "public/verify_code.html", context, status_code=status
    )
    set_csrf_cookie(response, nonce, settings)
    return response


@router.post("/verify")
async def enter_code(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Verify with reference and code; wrong codes are counted and capped."""
    form = await request.form()
    reference, code, posted = (
        form.get(name) for name in ("reference", "code", CSRF_FIELD)
    )
    reference = reference if isinstance(reference, str) else ""
    if not csrf_valid(request, settings, posted if isinstance(posted, str) else None):
        return _code_form(
            request,
            settings,
            reference=reference,
            error="The form expired. Please try again.",
        )
    key = derived_key(settings, "rate-limit")
    if not await ratelimit.hit(
        session,
        "verify-ip",
        client_ip(request),
        limit=CODES_PER_IP,
        window=HOUR,
        secret=key,
    ):
        return message_page(
            request,
            "Please wait a little",
            "We received many codes from you in a short time.",
            "Please try again in an hour, or use the link in the email.",
            status=429,
        )
    result = await verification.confirm_code(
        session, reference, code if isinstance(code, str) else "", settings=settings
    )
    if result.dsr is None:
        return _code_form(request, settings, reference=reference, error=result.problem)
    return _done(request, result.dsr)
