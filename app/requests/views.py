"""The public request form (`/request`): no login, no JavaScript needed, CSRF-safe."""

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app import ratelimit
from app.enums import Channel, RequestType
from app.flows import intake
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
    set_csrf_cookie,
    templates,
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
    token, nonce = csrf_token(request, settings)
    context: dict[str, Any] = {
        "form": form,
        "errors": errors,
        "csrf_token": token,
        "types": [(kind.value, label) for kind, label in TYPE_LABELS.items()],
        "locations": [(key, label) for key, (label, _) in LOCATIONS.items()],
    }
    response = templates.TemplateResponse(
        request, "public/request.html", context, status_code=status
    )
    set_csrf_cookie(response, nonce, settings)
    return response


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
            {"form": "The form expired. Please send it again."},
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
        return _too_many(request)
    if form.website:
        log.info("form.honeypot")
        return RedirectResponse("/request/sent", status_code=303)
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
        return _too_many(request)
    regulation = LOCATIONS[form.location][1] or settings.default_regulation
    submission = intake.Submission(
        type=RequestType(form.type),
        regulation=regulation,
        email=form.email,
        channel=Channel.FORM,
        name=form.name.strip() or None,
        details=form.details.strip() or None,
        agent_name=form.agent_name.strip() or None if form.is_agent else None,
        agent_email=form.agent_email.strip() or None if form.is_agent else None,
        agent_details=form.agent_details.strip() or None if form.is_agent else None,
    )
    await intake.submit(session, submission, settings=settings, actor="requester:form")
    return RedirectResponse("/request/sent", status_code=303)


def _too_many(request: Request) -> Response:
    return message_page(
        request,
        "Please wait a little",
        "We received several requests from you in a short time.",
        "Please try again in an hour, or write to us by email.",
        status=429,
    )


@router.get("/request/sent")
async def request_sent(request: Request) -> Response:
    """The same answer for every submission: check your email."""
    return message_page(
        request,
        "Check your email",
        "Thank you. If the address you gave is yours, you will receive an email from us shortly.",
        "Please follow the link in it to confirm your request: we cannot start until you do.",
    )
