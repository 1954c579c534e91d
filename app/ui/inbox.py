"""The triage inbox (`/inbox`): mail that matched no ticket, with the classifier's guess;
staff turn it into a request, attach it to one, or dismiss it."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.enums import Regulation, RequestType
from app.errors import DsrError, ValidationFailed
from app.flows import triage
from app.mail.models import Message
from app.ui.forms import posted
from app.ui.pages import AgentPage, StaffPage, redirect, render
from app.web import SessionDep, SettingsDep

router = APIRouter(tags=["staff"], include_in_schema=False)


def _guess(message: Message, default: Regulation) -> dict[str, Any]:
    verdict = message.classification or {}
    kinds = {item.value for item in RequestType}
    laws = {item.value for item in Regulation}
    kind, law = verdict.get("request_type"), verdict.get("regulation")
    return {
        "type": kind if kind in kinds else None,
        "regulation": law if law in laws else default.value,
        "confident": bool(verdict.get("confident")),
        "matched": [str(cue) for cue in verdict.get("matched") or []],
        "language": verdict.get("language"),
    }


@router.get("/inbox")
async def inbox_page(
    request: Request, current: StaffPage, session: SessionDep, settings: SettingsDep
) -> Response:
    """Waiting mail, oldest first, each with what the classifier made of it."""
    items = [
        (message, _guess(message, settings.default_regulation))
        for message in await triage.waiting(session)
    ]
    context = {
        "items": items,
        "types": [item.value for item in RequestType],
        "regulations": [item.value for item in Regulation],
    }
    return render(request, current, "staff/inbox.html", context, active="inbox")


async def _decide(
    request: Request,
    session: SessionDep,
    message_id: str,
    work: Callable[[Message], Awaitable[tuple[str, str]]],
) -> Response:
    """Run `work` on the waiting message; 303 to where it says, or back with the reason."""
    try:
        message = await triage.require_waiting(session, message_id)
        target, done = await work(message)
    except DsrError as exc:
        await session.rollback()
        return redirect(request, "/inbox", exc.detail, kind="error")
    return redirect(request, target, done)


@router.post("/inbox/open")
async def open_request(
    request: Request, current: AgentPage, session: SessionDep, settings: SettingsDep
) -> Response:
    """Turn the mail into a request; its sender gets the verification mail."""
    values = await posted(request, "message_id", "type", "regulation", "email")

    async def work(message: Message) -> tuple[str, str]:
        try:
            kind, law = RequestType(values["type"]), Regulation(values["regulation"])
        except ValueError:
            raise ValidationFailed("choose the request's type and law") from None
        dsr = await triage.open_ticket(
            session,
            message,
            type=kind,
            regulation=law,
            email=values["email"].strip() or None,
            actor=current.actor,
            settings=settings,
        )
        return f"/requests/{dsr.reference}", f"Request {dsr.reference} opened."

    return await _decide(request, session, values["message_id"], work)


@router.post("/inbox/attach")
async def attach(request: Request, current: AgentPage, session: SessionDep) -> Response:
    """File the mail on an existing request (a reply that lost its thread)."""
    values = await posted(request, "message_id", "reference")

    async def work(message: Message) -> tuple[str, str]:
        dsr = await triage.attach(
            session, message, reference=values["reference"], actor=current.actor
        )
        return "/inbox", f"Filed on {dsr.reference}."

    return await _decide(request, session, values["message_id"], work)


@router.post("/inbox/dismiss")
async def dismiss(
    request: Request, _current: AgentPage, session: SessionDep
) -> Response:
    """Not a request: the mail is kept, out of the inbox."""
    values = await posted(request, "message_id")

    async def work(message: Message) -> tuple[str, str]:
        triage.dismiss(message)
        return "/inbox", "Dismissed as not a request."

    return await _decide(request, session, values["message_id"], work)
