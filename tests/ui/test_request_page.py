"""The request page and every action on it, through HTTP as a browser posts them."""

import httpx
import pytest
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.audit import service as audit
from app.enums import Status
from app.flows.inbound import ingest
from app.mail.models import Direction, Message, MessageState
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings
from connectors.base import AuthError
from tests.factories import make_request
from tests.fixtures.fanout import Api, Fanout
from tests.fixtures.ui import browser_for, csrf_of, log_in, page_csrf

MANUAL = (
    "  - name: billing_team\n    type: manual\n"
    "    instructions: Delete the person from the paper ledger\n"
)


async def _ticket(session: AsyncSession, reference: str) -> DsrRequest:
    session.expire_all()
    return await tickets.require(session, reference)


async def _kinds(session: AsyncSession, reference: str) -> list[str]:
    return [
        event.kind
        for event in await audit.timeline(session, await _ticket(session, reference))
    ]


async def _post(
    browser: httpx.AsyncClient, reference: str, action: str, **fields: str
) -> httpx.Response:
    token = await page_csrf(browser, f"/requests/{reference}")
    return await browser.post(
        f"/requests/{reference}/{action}", data={"csrf_token": token, **fields}
    )


async def _done(browser: httpx.AsyncClient, answer: httpx.Response) -> str:
    """Follow the 303 of an action and return the page, with its flash."""
    assert answer.status_code == 303, answer.text
    page = await browser.get(answer.headers["location"])
    assert page.status_code == 200
    return page.text


async def _outbox(session: AsyncSession, kind: str) -> list[Message]:
    query = select(Message).where(
        Message.kind == kind, Message.direction == Direction.OUT
    )
    return list((await session.execute(query)).scalars())


async def test_the_page_shows_the_request_its_deadline_and_identity(
    session: AsyncSession, viewer_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session, email="ada@example.com", name="Ada Lovelace")
    page = await viewer_browser.get(f"/requests/{dsr.reference}")
    assert page.status_code == 200
    text = page.text
    assert "Ada Lovelace" in text
    assert "ada@example.com" in text
    assert "1 month from receipt, extendable once by 2 months more" in text
    assert "GDPR Art. 12(3)" in text  # the legal basis of the date
    assert "not verified" in text
    assert "status changed" in text or "created" in text  # the timeline
    assert 'action="/requests/' not in text  # a viewer gets no action forms
    assert page.headers["cache-control"] == "no-store"


async def test_a_link_in_a_staff_mail_opens_the_page_after_log_in(
    app: FastAPI, session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)
    async with browser_for(app) as browser:
        first = await browser.get(f"/requests/{dsr.reference}")
        assert first.headers["location"] == f"/login?next=/requests/{dsr.reference}"
        answer = await log_in(
            browser, "agent@example.com", next_url=f"/requests/{dsr.reference}"
        )
        assert answer.headers["location"] == f"/requests/{dsr.reference}"
        assert (await browser.get(answer.headers["location"])).status_code == 200


async def test_an_unknown_reference_is_404(agent_browser: httpx.AsyncClient) -> None:
    assert (await agent_browser.get("/requests/DSR-ZZZZZZZZ")).status_code == 404
    assert (await agent_browser.get("/requests/not-a-ref")).status_code == 404


async def test_approve_starts_the_work_and_says_so(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session, identity_verified=True)
    page = await _done(
        agent_browser, await _post(agent_browser, dsr.reference, "approve")
    )
    assert f"Approved {dsr.reference}" in page
    assert (await _ticket(session, dsr.reference)).status is Status.IN_PROGRESS
    [event] = [
        e
        for e in await audit.timeline(session, dsr)
        if e.kind == "status_changed" and e.data["to"] == "in_progress"
    ]
    assert event.actor == "staff:agent@example.com"


async def test_a_refused_action_changes_nothing_and_says_why(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)  # unverified: cannot be approved
    before = await _kinds(session, dsr.reference)
    page = await _done(
        agent_browser, await _post(agent_browser, dsr.reference, "approve")
    )
    assert "cannot become in_progress" in page
    assert "flash-error" in page
    assert await _kinds(session, dsr.reference) == before


async def test_deny_shows_the_notice_before_sending_it(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session, identity_verified=True)
    fields = {
        "reason_code": "excessive",
        "message": "You asked us 14 times this month.",
    }
    preview = await _post(agent_browser, dsr.reference, "deny", **fields)
    assert preview.status_code == 200
    assert "You asked us 14 times this month." in preview.text
    assert f"[{dsr.reference}] We cannot carry out your request" in preview.text
    assert "supervisory authority" in preview.text
    assert (await _ticket(session, dsr.reference)).status is Status.PENDING_REVIEW
    assert await _outbox(session, "denial") == []

    confirmed = await agent_browser.post(
        f"/requests/{dsr.reference}/deny",
        data={"csrf_token": csrf_of(preview.text), "confirm": "1", **fields},
    )
    page = await _done(agent_browser, confirmed)
    assert f"Denied {dsr.reference}" in page
    assert (await _ticket(session, dsr.reference)).status is Status.DENIED
    [notice] = await _outbox(session, "denial")
    assert notice.to_address == "subject@example.com"
    assert "You asked us 14 times this month." in notice.text


async def test_deny_needs_a_known_ground(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session, identity_verified=True)
    answer = await _post(
        agent_browser, dsr.reference, "deny", reason_code="because", message="x"
    )
    assert "reason_code" in await _done(agent_browser, answer)


async def test_extend_shows_the_notice_then_moves_the_due_date(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)
    reason = "Your data sits in four systems, two searched by hand."
    preview = await _post(agent_browser, dsr.reference, "extend", reason=reason)
    assert preview.status_code == 200
    assert "We need more time for your request" in preview.text
    assert escape(reason) in preview.text
    assert (await _ticket(session, dsr.reference)).extended_due_at is None

    confirmed = await agent_browser.post(
        f"/requests/{dsr.reference}/extend",
        data={"csrf_token": csrf_of(preview.text), "confirm": "1", "reason": reason},
    )
    assert f"Extended {dsr.reference}" in await _done(agent_browser, confirmed)
    assert (await _ticket(session, dsr.reference)).extended_due_at is not None
    [notice] = await _outbox(session, "extension")
    assert reason in notice.text
    again = await _post(agent_browser, dsr.reference, "extend", reason=reason)
    assert "already extended" in await _done(agent_browser, again)


async def test_assign_and_unassign(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)
    page = await _done(
        agent_browser,
        await _post(
            agent_browser, dsr.reference, "assign", staff_email="agent@example.com"
        ),
    )
    assert "assigned to agent@example.com" in page
    assert (await _ticket(session, dsr.reference)).assignee_id is not None
    await _post(agent_browser, dsr.reference, "assign", staff_email="")
    assert (await _ticket(session, dsr.reference)).assignee_id is None


async def test_an_internal_note_goes_on_the_timeline_only(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)
    page = await _done(
        agent_browser,
        await _post(
            agent_browser, dsr.reference, "note", text="Called the shop <b>owner</b>"
        ),
    )
    assert "Called the shop &lt;b&gt;owner&lt;/b&gt;" in page
    assert "note" in await _kinds(session, dsr.reference)
    assert await _outbox(session, "reply") == []


async def test_a_note_with_a_nul_character_is_refused(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)
    page = await _done(
        agent_browser, await _post(agent_browser, dsr.reference, "note", text="a\x00b")
    )
    assert "NUL" in page
    assert "note" not in await _kinds(session, dsr.reference)


async def test_a_reply_goes_to_the_requester_in_the_thread(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)
    reference = dsr.reference
    text = "Which of your two accounts do you mean?"
    page = await _done(
        agent_browser, await _post(agent_browser, reference, "reply", text=text)
    )
    assert "Reply queued to subject@example.com" in page
    [reply] = await _outbox(session, "reply")
    assert text in reply.text
    assert reply.automatic is False  # a person wrote it: no Auto-Submitted header
    # A staff-made ticket has no mail yet: the reply roots its thread.
    assert reply.subject.startswith(f"[{reference}]")
    reply_id = reply.message_id
    assert (await _ticket(session, reference)).thread_message_id == reply_id
    assert "replied" in await _kinds(session, reference)
    assert escape(text) in page  # shown in the thread
    assert "To subject@example.com, from " in page  # whom it went to, not just "out"


async def test_mark_verified_by_another_method(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)
    page = await _done(
        agent_browser,
        await _post(
            agent_browser, dsr.reference, "verify", method="phone_callback", note=""
        ),
    )
    assert "is verified (phone_callback)" in page
    ticket = await _ticket(session, dsr.reference)
    assert (ticket.status, ticket.verification_method) == (
        Status.PENDING_REVIEW,
        "phone_callback",
    )


async def test_cancel_needs_a_reason(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)
    await _post(agent_browser, dsr.reference, "cancel", reason="")
    assert (await _ticket(session, dsr.reference)).status is Status.UNVERIFIED
    page = await _done(
        agent_browser,
        await _post(agent_browser, dsr.reference, "cancel", reason="Withdrawn"),
    )
    assert "is canceled" in page
    assert (await _ticket(session, dsr.reference)).status is Status.CANCELED


async def test_merge_moves_the_mail_and_cancels_the_duplicate(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    first = (await make_request(session, email="ada@example.com")).reference
    duplicate = await make_request(session, email="Ada@Example.com", type="erasure")
    duplicate_id, duplicate_ref = duplicate.id, duplicate.reference
    await review_thread(session, duplicate)
    other = (await make_request(session, email="grace@example.org")).reference
    refused = await _post(agent_browser, duplicate_ref, "merge", into=other)
    assert "another person" in await _done(agent_browser, refused)
    page = await _done(
        agent_browser, await _post(agent_browser, duplicate_ref, "merge", into=first)
    )
    assert f"merged into {first}" in page
    assert (await _ticket(session, duplicate_ref)).status is Status.CANCELED
    target = await _ticket(session, first)
    [merged] = [e for e in await audit.timeline(session, target) if e.kind == "merged"]
    assert merged.data == {"merged_from": duplicate_ref, "messages": 1}
    left = await session.execute(
        select(Message).where(Message.request_id == duplicate_id)
    )
    assert list(left.scalars()) == []


async def review_thread(session: AsyncSession, dsr: DsrRequest) -> None:
    """One inbound message on the ticket (what a merge must carry over)."""
    session.add(
        Message(
            request_id=dsr.id,
            direction=Direction.IN,
            message_id=f"in-{dsr.reference}@example.com",
            subject="My second request",
            from_address=dsr.subject_email,
            to_address="privacy@example.com",
            text="Please also delete everything.",
            state=MessageState.RECEIVED,
        )
    )
    await session.commit()


async def test_resend_without_a_package_says_so(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session, identity_verified=True)
    page = await _done(
        agent_browser, await _post(agent_browser, dsr.reference, "resend")
    )
    assert "has no export package yet" in page


async def test_retry_a_failed_connector_task(
    fanout: Fanout, api: Api, session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    fanout.configure(fanout.scripted("crm"))
    fanout.script.then("crm", AuthError("HTTP 401 from crm.example: <b>refused</b>"))
    reference = await api.approved("erasure")
    await fanout.run()
    page = (await agent_browser.get(f"/requests/{reference}")).text
    assert "0 of 1 done" in page
    assert "&lt;b&gt;refused&lt;/b&gt;" in page  # a vendor's error is text, not markup
    task_id = (await api.tasks(reference))["crm"]["id"]
    answer = await _post(agent_browser, reference, "retry", task_id=str(task_id))
    assert "1 task queued again" in await _done(agent_browser, answer)
    assert (await api.tasks(reference))["crm"]["status"] == "pending"
    await fanout.run()
    assert (await _ticket(session, reference)).status is Status.COMPLETED


async def test_complete_a_manual_task(
    fanout: Fanout, api: Api, session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    fanout.configure(MANUAL)
    reference = await api.approved("erasure")
    await fanout.run()
    page = (await agent_browser.get(f"/requests/{reference}")).text
    assert "Delete the person from the paper ledger" in page
    task_id = (await api.tasks(reference))["billing_team"]["id"]
    answer = await _post(
        agent_browser,
        reference,
        f"tasks/{task_id}/complete",
        note="Ledger page 12 inked",
    )
    assert "Task billing_team is done" in await _done(agent_browser, answer)
    assert (await api.tasks(reference))["billing_team"]["status"] == "succeeded"


HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def _hostile_mail(reference: str | None) -> bytes:
    subject = f"[{reference}] {HOSTILE}" if reference else HOSTILE
    return (
        "From: Mallory <mallory@example.net>\r\n"
        "To: privacy@example.com\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <hostile-1@example.net>\r\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Hello, a question about my account. {HOSTILE}\r\n"
    ).encode()


@pytest.mark.parametrize("filed", [True, False], ids=["on-a-ticket", "in-the-inbox"])
async def test_html_in_an_inbound_mail_renders_as_text(
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    agent_browser: httpx.AsyncClient,
    filed: bool,
) -> None:
    reference = (await make_request(session, email="mallory@example.net")).reference
    outcome = await ingest(
        app.state.sessionmaker,
        _hostile_mail(reference if filed else None),
        settings=settings,
        source="test",
    )
    assert outcome.kind == ("reply" if filed else "triage"), outcome
    page = (
        await agent_browser.get(f"/requests/{reference}" if filed else "/inbox")
    ).text
    assert HOSTILE not in page
    assert "<script>alert" not in page
    assert "onerror=alert(1)>" not in page
    assert escape(HOSTILE) in page
