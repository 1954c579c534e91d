"""Public verification pages. A GET never changes anything: mail scanners prefetch links."""

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app import ratelimit
from app.deadlines import service as deadlines
from app.enums import OPEN_STATUSES
from app.flows import verification
from app.i18n import LANGUAGES, N_, format_day, translations
from app.identity import service
from app.identity.models import TokenPurpose
from app.requests.models import DsrRequest
from app.settings import Settings, derived_key
from app.web import (
    CSRF_FIELD,
    SessionDep,
    SettingsDep,
    client_ip,
    csrf_token,
    csrf_valid,
    message_page,
    page_language,
    public_page,
    set_csrf_cookie,
)

router = APIRouter(tags=["public"], include_in_schema=False)
# Codes typed per address and hour, beside each code's own cap of five wrong tries.
CODES_PER_IP, HOUR = 20, timedelta(hours=1)


def _expired(request: Request, language: str | None = None) -> Response:
    return message_page(
        request,
        N_("This link has expired"),
        N_("Confirmation links work once and for a limited time."),
        N_("If you still want us to act, please make your request again at /request."),
        status=410,
        language=language,
    )


def _done(request: Request, dsr: DsrRequest, language: str) -> Response:
    return message_page(
        request,
        N_("Thank you, your request is confirmed"),
        N_(
            "Your reference is %(reference)s. We will write to you when we have an"
            " answer."
        ),
        language=language,
        values={"reference": dsr.reference},
    )


def _already_confirmed(
    request: Request, dsr: DsrRequest, settings: Settings
) -> Response:
    """A used link of a confirmed ticket: no need to ask again (that would duplicate it)."""
    language = page_language(request, dsr.language)
    due_on = deadlines.due_day(dsr, deadlines.calendar_for(settings))
    next_step = (
        N_(
            "We are working on it and will answer by %(due_on)s at the latest. You do"
            " not need to confirm it again or make a new request."
        )
        if dsr.status in OPEN_STATUSES
        else N_(
            "We have answered it: please look for our email about reference"
            " %(reference)s. You do not need to confirm it again."
        )
    )
    return message_page(
        request,
        N_("Your request is already confirmed"),
        N_("You confirmed your request %(reference)s before."),
        next_step,
        language=language,
        values={
            "reference": dsr.reference,
            "due_on": format_day(due_on, language=language),
        },
    )


@router.get("/verify/{token}")
async def confirm_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Show a confirm button for a live link; changes nothing."""
    stored = await service.find(session, token, TokenPurpose.VERIFY)
    dsr = await session.get(DsrRequest, stored.request_id) if stored else None
    if stored is None or dsr is None:
        return _expired(request)
    if not service.is_usable(stored):
        if dsr.verified_at is not None:
            return _already_confirmed(request, dsr, settings)
        return _expired(request, page_language(request, dsr.language))
    context = {"token": token, "reference": dsr.reference}
    return public_page(
        request,
        "public/verify.html",
        context,
        language=page_language(request, dsr.language),
    )


@router.post("/verify/{token}")
async def confirm(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Verify the request. The unguessable token in the URL is the proof, so no CSRF token.

    The page's language (its switch) becomes the ticket's: mails follow the requester's
    choice."""
    posted = (await request.form()).get("language")
    chosen = posted if isinstance(posted, str) and posted in LANGUAGES else None
    result = await verification.confirm_link(
        session, token, settings=settings, language=chosen
    )
    if result.dsr is None:
        stored = await service.find(session, token, TokenPurpose.VERIFY)
        dsr = await session.get(DsrRequest, stored.request_id) if stored else None
        if dsr is not None and dsr.verified_at is not None:
            return _already_confirmed(request, dsr, settings)
        return _expired(request, chosen)
    return _done(request, result.dsr, page_language(request, result.dsr.language))


@router.get("/verify")
async def code_page(request: Request, settings: SettingsDep) -> Response:
    """The form for people who type the code instead of clicking."""
    return _code_form(request, settings, reference=None, error=None)


def _code_form(
    request: Request, settings: SettingsDep, *, reference: str | None, error: str | None
) -> Response:
    token, nonce = csrf_token(request, settings)
    language = page_language(request)
    shown = translations(language).gettext(error) if error else None
    context = {"csrf_token": token, "reference": reference, "error": shown}
    status = 200 if error is None else 422
    response = public_page(
        request,
        "public/verify_code.html",
        context,
        language=language,
        status=status,
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
            error=N_("The form expired. Please try again."),
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
            N_("Please wait a little"),
            N_("We received many codes from you in a short time."),
            N_("Please try again in an hour, or use the link in the email."),
            status=429,
        )
    result = await verification.confirm_code(
        session, reference, code if isinstance(code, str) else "", settings=settings
    )
    if result.dsr is None:
        return _code_form(request, settings, reference=reference, error=result.problem)
    return _done(request, result.dsr, page_language(request, result.dsr.language))
