"""The triage inbox page: turn waiting mail into a request, attach it, or dismiss it."""

from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.enums import Channel, Status
from app.flows.inbound import ingest
from app.mail.models import Message, Triage
from app.requests import tickets
from app.settings import Settings
from tests.factories import make_request
from tests.fixtures.ui import page_csrf

CORPUS = Path(__file__).parents[1] / "data" / "mail"


async def _waiting(app: FastAPI, settings: Settings, name: str) -> str:
    outcome = await ingest(
        app.state.sessionmaker,
        (CORPUS / name).read_bytes(),
        settings=settings,
        source="test",
    )
    assert outcome.kind == "triage"
    assert outcome.message_id is not None
    return outcome.message_id


async def _message(session: AsyncSession, message_id: str) -> Message:
    session.expire_all()
    query = select(Message).where(Message.message_id == message_id)
    return (await session.execute(query)).scalar_one()


async def test_waiting_mail_is_listed_with_the_guess(
    app: FastAPI, settings: Settings, viewer_browser: httpx.AsyncClient
) -> None:
    await _waiting(app, settings, "ambiguous_billing.eml")
    page = (await viewer_browser.get("/inbox")).text
    assert "1 waiting" in page
    assert "Guess:" in page
    assert 'action="/inbox/open"' not in page  # viewers read only


async def test_turn_a_mail_into_a_request(
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    agent_browser: httpx.AsyncClient,
) -> None:
    message_id = await _waiting(app, settings, "ambiguous_billing.eml")
    token = await page_csrf(agent_browser, "/inbox")
    answer = await agent_browser.post(
        "/inbox/open",
        data={
            "csrf_token": token,
            "message_id": message_id,
            "type": "erasure",
            "regulation": "gdpr",
            "email": "",
        },
    )
    assert answer.status_code == 303
    reference = answer.headers["location"].removeprefix("/requests/")
    dsr = await tickets.require(session, reference)
    assert (dsr.channel, dsr.status) == (Channel.EMAIL, Status.UNVERIFIED)
    page = (await agent_browser.get(answer.headers["location"])).text
    assert f"Request {reference} opened." in page
    assert (await _message(session, message_id)).triage is Triage.OPENED
    assert "Nothing waiting" in (await agent_browser.get("/inbox")).text


async def test_attach_a_mail_to_a_request(
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    agent_browser: httpx.AsyncClient,
) -> None:
    dsr = await make_request(session)
    reference, ticket_id = dsr.reference, dsr.id
    message_id = await _waiting(app, settings, "ambiguous_billing.eml")
    token = await page_csrf(agent_browser, "/inbox")
    answer = await agent_browser.post(
        "/inbox/attach",
        data={"csrf_token": token, "message_id": message_id, "reference": reference},
    )
    assert (
        f"Filed on {reference}."
        in (await agent_browser.get(answer.headers["location"])).text
    )
    assert (await _message(session, message_id)).request_id == ticket_id


async def test_dismiss_and_a_second_decision_is_refused(
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    agent_browser: httpx.AsyncClient,
) -> None:
    message_id = await _waiting(app, settings, "bulk_newsletter_list_id.eml")
    token = await page_csrf(agent_browser, "/inbox")
    data = {"csrf_token": token, "message_id": message_id}
    first = await agent_browser.post("/inbox/dismiss", data=data)
    assert "Dismissed" in (await agent_browser.get(first.headers["location"])).text
    assert (await _message(session, message_id)).triage is Triage.DISMISSED
    again = await agent_browser.post("/inbox/dismiss", data=data)
    assert (
        "already handled" in (await agent_browser.get(again.headers["location"])).text
    )
    unknown = await agent_browser.post(
        "/inbox/dismiss", data={**data, "message_id": "nope@example.com"}
    )
    assert (
        "no inbound message"
        in (await agent_browser.get(unknown.headers["location"])).text
    )
