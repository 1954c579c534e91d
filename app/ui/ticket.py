"""The request page (`/requests/{reference}`) and every staff action on a ticket.

Each action calls the same flow as the JSON API, checks its form with the API's body schema,
and answers POST → 303 → the page with a flash. Deny and extend show the requester's notice
first (a preview posted back with `confirm`), so nobody sends a legal notice unseen.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app import presenter
from app.audit import service as audit
from app.db import utcnow
from app.deadlines import service as deadlines
from app.enums import DenialReason, Status
from app.errors import DsrError, NotFound
from app.exports import service as exports_service
from app.fanout import service as fanout_service
from app.fanout.models import TaskStatus
from app.flows import review
from app.mail import outbox
from app.requests import lifecycle, tickets
from app.requests.models import DsrRequest
from app.requests.schemas import (
    AssignBody,
    CompleteTaskBody,
    DenyBody,
    NoteBody,
    ReasonBody,
    VerifyBody,
)
from app.settings import Settings
from app.staff import service as staff_service
from app.ui.forms import act_on_ticket, parsed, posted
from app.ui.pages import AgentPage, CurrentStaff, StaffPage, redirect, render
from app.web import SessionDep, SettingsDep

router = APIRouter(tags=["staff"], include_in_schema=False)

DENIAL_LABELS: dict[DenialReason, str] = {
    DenialReason.MANIFESTLY_UNFOUNDED: "Manifestly unfounded (Art. 12(5))",
    DenialReason.EXCESSIVE: "Excessive, e.g. repetitive (Art. 12(5))",
    DenialReason.LEGAL_OBLIGATION: "A legal duty to keep the data (Art. 17(3)(b))",
    DenialReason.LEGAL_CLAIMS: "Needed for legal claims (Art. 17(3)(e))",
    DenialReason.PUBLIC_INTEREST: "Public interest or public health (Art. 17(3)(c)/(d))",
    DenialReason.FREEDOM_OF_EXPRESSION: "Freedom of expression (Art. 17(3)(a))",
    DenialReason.RIGHTS_OF_OTHERS: "Would reveal others' data (Art. 15(4))",
    DenialReason.IDENTITY_NOT_VERIFIED: "Identity could not be verified (Art. 12(6))",
}
VERIFY_METHODS = {
    "id_checked": "Identity document checked",
    "phone_callback": "Called back on a known number",
    "logged_in": "Confirmed through the customer's account",
    "in_person": "Seen in person",
    "other": "Another method (say which in the note)",
}


def _page_url(dsr: DsrRequest) -> str:
    return f"/requests/{dsr.reference}"


async def _context(
    session: SessionDep, dsr: DsrRequest, settings: Settings, current: CurrentStaff
) -> dict[str, Any]:
    out = await presenter.detail(session, dsr, settings)
    tasks = out.tasks or []
    export = await exports_service.pending_export(session, dsr)
    status = dsr.status
    return {
        "dsr": out,
        "basis": presenter.legal_basis(dsr, settings),
        "tone": presenter.due_tone(out, settings.at_risk_days),
        "days": presenter.days_text(out),
        "events": await audit.timeline(session, dsr),
        "tasks": tasks,
        "tasks_done": sum(task.status == TaskStatus.SUCCEEDED for task in tasks),
        "failed_tasks": any(task.status == TaskStatus.FAILED for task in tasks),
        "assignable": [
            staff.email for staff in await staff_service.assignable(session)
        ],
        "export": export,
        "denial_reasons": DENIAL_LABELS,
        "verify_methods": VERIFY_METHODS,
        "can": {
            "approve": status is Status.PENDING_REVIEW,
            "deny": lifecycle.can_transition(status, Status.DENIED),
            "verify": status is Status.UNVERIFIED,
            "cancel": lifecycle.can_transition(status, Status.CANCELED),
            "tasks": status in (Status.IN_PROGRESS, Status.ACTION_REQUIRED),
            "resend": export is not None and export.purged_at is None,
            "act": current.can_act,
        },
    }


@router.get("/requests/{reference}")
async def request_page(
    request: Request,
    reference: str,
    current: StaffPage,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Everything about one request, and what staff can do with it now."""
    dsr = await tickets.require(session, reference)
    context = await _context(session, dsr, settings, current)
    return render(request, current, "staff/request.html", context, active="queue")


@router.post("/requests/{reference}/approve")
async def approve(
    request: Request, reference: str, current: AgentPage, session: SessionDep
) -> Response:
    """Approve: the connectors start collecting or erasing."""

    async def work(dsr: DsrRequest) -> str:
        await review.approve(session, dsr, actor=current.actor)
        return f"Approved {dsr.reference}: the connector tasks are queued."

    return await act_on_ticket(request, session, reference, work)


def _preview(
    request: Request,
    current: CurrentStaff,
    dsr: DsrRequest,
    settings: Settings,
    *,
    action: str,
    template: str,
    notice: dict[str, Any],
    fields: dict[str, str],
    explanation: str,
) -> Response:
    mail = outbox.preview(settings, template, notice, dsr=dsr, language=dsr.language)
    context = {
        "dsr": dsr,
        "action": action,
        "mail": mail,
        "fields": fields,
        "explanation": explanation,
        "to": dsr.subject_email,
    }
    return render(request, current, "staff/preview.html", context, active="queue")


@router.post("/requests/{reference}/deny")
async def deny(
    request: Request,
    reference: str,
    current: AgentPage,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Deny with a legal ground: first the notice as it will be sent, then (confirmed) send."""
    values = await posted(request, "reason_code", "message", "confirm")
    try:
        body = parsed(
            DenyBody,
            {"reason_code": values["reason_code"], "message": values["message"]},
        )
        dsr = await tickets.require(session, reference)
    except DsrError as exc:
        return redirect(request, f"/requests/{reference}", exc.detail, kind="error")
    if not lifecycle.can_transition(dsr.status, Status.DENIED):
        message = f"{dsr.reference} is {dsr.status}; only a request under review can be denied."
        return redirect(request, _page_url(dsr), message, kind="error")
    if not values["confirm"]:
        notice = review.denial_notice(
            reason_code=body.reason_code, message=body.message, settings=settings
        )
        return _preview(
            request,
            current,
            dsr,
            settings,
            action="deny",
            template="denial",
            notice=notice,
            fields={"reason_code": body.reason_code.value, "message": body.message},
            explanation="Sending denies the request: it is closed as denied, and this"
            " notice goes to the requester now.",
        )

    async def work(dsr: DsrRequest) -> str:
        await review.deny(
            session,
            dsr,
            actor=current.actor,
            reason_code=body.reason_code,
            message=body.message,
            settings=settings,
        )
        return f"Denied {dsr.reference}: the notice is on its way to the requester."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/extend")
async def extend(
    request: Request,
    reference: str,
    current: AgentPage,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Extend the deadline once: first the notice, then (confirmed) extend and send it."""
    values = await posted(request, "reason", "confirm")
    try:
        body = parsed(ReasonBody, {"reason": values["reason"]})
        dsr = await tickets.require(session, reference)
        notice = deadlines.extension_notice(
            dsr, reason=body.reason, now=utcnow(), settings=settings
        )
    except DsrError as exc:
        return redirect(request, f"/requests/{reference}", exc.detail, kind="error")
    if not values["confirm"]:
        return _preview(
            request,
            current,
            dsr,
            settings,
            action="extend",
            template="extension",
            notice=notice,
            fields={"reason": body.reason},
            explanation="Sending moves the due date to"
            f" {notice['extended_due_on']:%d %B %Y} and tells the requester why now,"
            " as the law requires before the first due date.",
        )

    async def work(dsr: DsrRequest) -> str:
        await deadlines.extend(
            session,
            dsr,
            actor=current.actor,
            reason=body.reason,
            now=utcnow(),
            settings=settings,
        )
        return f"Extended {dsr.reference}: the requester is told the new due date."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/assign")
async def assign(
    request: Request, reference: str, current: AgentPage, session: SessionDep
) -> Response:
    """Give the request to a staff member, or (empty) to nobody."""
    values = await posted(request, "staff_email")

    async def work(dsr: DsrRequest) -> str:
        body = parsed(AssignBody, {"staff_email": values["staff_email"] or None})
        staff = await review.assign(
            session, dsr, actor=current.actor, staff_email=body.staff_email
        )
        who = staff.email if staff else "nobody"
        return f"{dsr.reference} is assigned to {who}."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/note")
async def add_note(
    request: Request, reference: str, current: AgentPage, session: SessionDep
) -> Response:
    """An internal note on the timeline (the requester never sees it)."""
    values = await posted(request, "text")

    async def work(dsr: DsrRequest) -> str:
        body = parsed(NoteBody, values)
        await review.add_note(session, dsr, actor=current.actor, text=body.text)
        return "Note added to the timeline."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/reply")
async def reply(
    request: Request,
    reference: str,
    current: AgentPage,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Write to the requester in the ticket's mail thread."""
    values = await posted(request, "text")

    async def work(dsr: DsrRequest) -> str:
        body = parsed(NoteBody, values)
        await review.reply(
            session, dsr, actor=current.actor, text=body.text, settings=settings
        )
        return f"Reply queued to {dsr.subject_email}."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/verify")
async def verify(
    request: Request,
    reference: str,
    current: AgentPage,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Record the identity as verified by another method (the method, never the evidence)."""
    values = await posted(request, "method", "note")

    async def work(dsr: DsrRequest) -> str:
        body = parsed(
            VerifyBody, {"method": values["method"], "note": values["note"] or None}
        )
        await review.verify(
            session,
            dsr,
            actor=current.actor,
            method=body.method,
            note=body.note,
            calendar=deadlines.calendar_for(settings),
            auto_approve=settings.auto_approve,
        )
        return f"{dsr.reference} is verified ({body.method}) and waits for review."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/merge")
async def merge(
    request: Request, reference: str, current: AgentPage, session: SessionDep
) -> Response:
    """Merge this duplicate into another open request of the same person."""
    values = await posted(request, "into")

    async def work(dsr: DsrRequest) -> str:
        if not values["into"].strip():
            raise NotFound("into: give the reference of the request to merge into")
        target = await review.merge(
            session, dsr, into=values["into"].strip(), actor=current.actor
        )
        return f"{dsr.reference} was merged into {target.reference} and canceled."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/cancel")
async def cancel(
    request: Request, reference: str, current: AgentPage, session: SessionDep
) -> Response:
    """Cancel an open request (withdrawn, opened by mistake)."""
    values = await posted(request, "reason")

    async def work(dsr: DsrRequest) -> str:
        body = parsed(ReasonBody, values)
        await review.cancel(session, dsr, actor=current.actor, reason=body.reason)
        return f"{dsr.reference} is canceled."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/resend")
async def resend(
    request: Request,
    reference: str,
    current: AgentPage,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Release the results package, or send a fresh download link."""

    async def work(dsr: DsrRequest) -> str:
        first = await exports_service.release_or_resend(
            session, dsr, settings=settings, actor=current.actor
        )
        if first:
            return "The results are released: the requester gets the download link."
        return "A fresh download link is on its way; the old one no longer works."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/retry")
async def retry(
    request: Request, reference: str, current: AgentPage, session: SessionDep
) -> Response:
    """Queue failed connector tasks again (one, or all of them)."""
    values = await posted(request, "task_id")

    async def work(dsr: DsrRequest) -> str:
        task_id = int(values["task_id"]) if values["task_id"].isdigit() else None
        chosen = await fanout_service.retry(session, dsr, task_id, actor=current.actor)
        if not chosen:
            return "The results step is tried again."
        return f"{len(chosen)} task{'s' if len(chosen) != 1 else ''} queued again."

    return await act_on_ticket(request, session, reference, work)


@router.post("/requests/{reference}/tasks/{task_id}/complete")
async def complete_task(
    request: Request,
    reference: str,
    task_id: int,
    current: AgentPage,
    session: SessionDep,
) -> Response:
    """Close a manual task, saying what was done."""
    values = await posted(request, "note")

    async def work(dsr: DsrRequest) -> str:
        body = parsed(CompleteTaskBody, values)
        task = await fanout_service.complete_manual(
            session, dsr, task_id, note=body.note, actor=current.actor
        )
        return f"Task {task.connector} is done."

    return await act_on_ticket(request, session, reference, work)
