"""The public request form (`/request`): no login, no JavaScript needed, CSRF-safe."""

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app import ratelimit
from app.enums import Channel, RequestType
from app.flows import intake
from app.i18n import LANGUAGES, N_, translations
from app.logging import log
from app.requests.schemas import LOCATIONS, TYPE_LABELS, RequestForm, form_errors
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
PER_IP = (20, timedelta(hours=1))
PER_ADDRESS = (5, timedelta(hours=1))


def render_form(
    request: Request,
    settings: Settings,
    form: RequestForm,
    errors: dict[str, str],
    status: int,
) -> Response:
    """The form page with its values, errors tied to fields, and a fresh CSRF token."""
    language = _language(request, form)
    gettext = translations(language).gettext
    token, nonce = csrf_token(request, settings)
    context: dict[str, Any] = {
        "form": form,
        "errors": {field: gettext(message) for field, message in errors.items()},
        "csrf_token": token,
        "types": [(kind.value, gettext(label)) for kind, label in TYPE_LABELS.items()],
        "locations": [(key, gettext(label)) for key, (label, _) in LOCATIONS.items()],
    }
    response = public_page(
        request, "public/request.html", context, language=language, status=status
    )
    set_csrf_cookie(response, nonce, settings)
    return response


def _language(request: Request, form: RequestForm) -> str:
    """The form's language: the page's it was filled in on, else the browser's."""
    return form.language if form.language in LANGUAGES else page_language(request)


@router.get("/request")
async def request_form(request: Request, settings: SettingsDep) -> Response:
    """Show the empty request form."""
    default = next(
        (
            key
            for key, (_, law) in LOCATIONS.items()
            if law == settings.default_regulation
        ),
        "other",
    )
    return render_form(request, settings, RequestForm(location=default), {}, 200)


@router.post("/request")
async def submit_request(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Validate and submit; the answer is the same whether or not the address is known."""
    raw = await request.form()
    form = RequestForm.posted(
        {key: value for key, value in raw.items() if isinstance(value, str)}
    )
    posted_token = raw.get(CSRF_FIELD)
    if not csrf_valid(
        request, settings, posted_token if isinstance(posted_token, str) else None
    ):
        return render_form(
            request,
            settings,
            form,
            {"form": N_("The form expired. Please send it again.")},
            400,
        )
    key = derived_key(settings, "rate-limit")
    if not await ratelimit.hit(
        session,
        "form-ip",
        client_ip(request),
        limit=PER_IP[0],
        window=PER_IP[1],
        secret=key,
    ):
        return _too_many(request, _language(request, form))
    language = _language(request, form)
    sent = "/request/sent" + ("" if language == "en" else f"?lang={language}")
    if form.website:
        log.info("form.honeypot")
        return RedirectResponse(sent, status_code=303)
    errors = form_errors(form)
    if errors:
        return render_form(request, settings, form, errors, 422)
    if not await ratelimit.hit(
        session,
        "form-address",
        form.email,
        limit=PER_ADDRESS[0],
        window=PER_ADDRESS[1],
        secret=key,
    ):
        return _too_many(request, language)
    regulation = LOCATIONS[form.location][1] or settings.default_regulation
    submission = intake.Submission(
        type=RequestType(form.type),
        regulation=regulation,
        email=form.email,
        channel=Channel.FORM,
        name=form.name.strip() or None,
        details=form.details.strip() or None,
        language=language,
        agent_name=form.agent_name.strip() or None if form.is_agent else None,
        agent_email=form.agent_email.strip() or None if form.is_agent else None,
        agent_details=form.agent_details.strip() or None if form.is_agent else None,
    )
    await intake.submit(session, submission, settings=settings, actor="requester:form")
    return RedirectResponse(sent, status_code=303)


def _too_many(request: Request, language: str) -> Response:
    return message_page(
        request,
        N_("Please wait a little"),
        N_("We received several requests from you in a short time."),
        N_("Please try again in an hour, or write to us by email."),
        status=429,
        language=language,
    )


@router.get("/request/sent")
async def request_sent(request: Request) -> Response:
    """The same answer for every submission: check your email."""
    return message_page(
        request,
        N_("Check your email"),
        N_(
            "Thank you. If the address you gave is yours, you will receive an email from"
            " us shortly."
        ),
        N_(
            "Please follow the link in it to confirm your request: we cannot start until"
            " you do."
        ),
    )
