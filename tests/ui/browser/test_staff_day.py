"""A support agent's day in Chromium, against the whole app served on loopback (web,
scheduler and worker): find a request in the queue and approve it, complete the manual task
the approval opened, deny one with a reason (previewing the notice, then finding it in the
dev outbox), extend one, reply to a requester, and turn a triage mail into a request."""

import asyncio
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app.enums import Status
from app.fanout.models import ConnectorTask, TaskStatus
from app.flows.inbound import ingest
from app.mail.models import Direction, Message
from app.requests.models import DsrRequest
from app.settings import Settings
from tests.factories import make_request
from tests.ui.browser.conftest import MANUAL_STEP, csp_complaints, screenshot

pytestmark = pytest.mark.ui
MAIL = Path(__file__).parents[2] / "data" / "mail"


async def _request(
    store: async_sessionmaker[AsyncSession], email: str, **overrides: object
) -> str:
    async with store() as session:
        dsr = await make_request(
            session, email=email, identity_verified=True, **overrides
        )
        return dsr.reference


async def _status(store: async_sessionmaker[AsyncSession], reference: str) -> Status:
    async with store() as session:
        query = select(DsrRequest.status).where(DsrRequest.reference == reference)
        return (await session.execute(query)).scalar_one()


async def _open_from_queue(page: Page, server: str, email: str) -> str:
    await page.goto(f"{server}/queue")
    await page.locator("#q").fill(email)
    await page.get_by_role("button", name="Filter").click()
    row = page.get_by_role("row").filter(has_text=email)
    await expect(row).to_have_count(1)
    link = row.get_by_role("link", name=re.compile(r"^DSR-"))
    reference = await link.inner_text()
    await link.click()
    await page.wait_for_url(f"{server}/requests/{reference}")
    return reference


async def _reload_until(page: Page, text: str, seconds: float = 30) -> None:
    """The worker acts after the page answered: look again until `text` shows."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await page.get_by_text(text).first.is_visible():
        assert asyncio.get_running_loop().time() < deadline, f"{text!r} never showed"
        await asyncio.sleep(0.5)
        await page.reload()


async def test_find_approve_and_complete_the_manual_task(
    agent_page: Page, server: str, store: async_sessionmaker[AsyncSession]
) -> None:
    complaints = csp_complaints(agent_page)
    await _request(store, "other@example.com")
    await _request(store, "ada@example.com")
    await agent_page.goto(f"{server}/queue")
    await screenshot(agent_page, "queue")
    reference = await _open_from_queue(agent_page, server, "ada@example.com")
    await screenshot(agent_page, "request")
    await agent_page.get_by_role("button", name="Approve").click()
    await agent_page.wait_for_url(f"{server}/requests/{reference}")
    await expect(agent_page.locator(".flash-success")).to_be_visible()
    assert await _status(store, reference) != Status.PENDING_REVIEW

    await _reload_until(agent_page, MANUAL_STEP)
    await screenshot(agent_page, "request-manual-task")
    await agent_page.get_by_label("What was done").fill(
        "Struck from the ledger, page 12."
    )
    await agent_page.get_by_role("button", name="Mark done").click()
    await expect(agent_page.locator(".flash-success")).to_be_visible()
    async with store() as session:
        query = (
            select(ConnectorTask.status)
            .join(DsrRequest, col(DsrRequest.id) == ConnectorTask.request_id)
            .where(DsrRequest.reference == reference)
        )
        statuses = set((await session.execute(query)).scalars())
    assert statuses == {TaskStatus.SUCCEEDED}
    assert complaints == []


async def test_deny_with_a_reason_and_the_notice_reaches_the_outbox(
    agent_page: Page, server: str, store: async_sessionmaker[AsyncSession]
) -> None:
    reference = await _request(store, "bob@example.com", type="erasure")
    await agent_page.goto(f"{server}/requests/{reference}")
    await agent_page.get_by_label("Ground").select_option("legal_obligation")
    explanation = "We must keep your invoices for ten years under tax law."
    await agent_page.get_by_label("Explanation to the requester").fill(explanation)
    await agent_page.get_by_role("button", name="Preview the notice").first.click()
    heading = agent_page.get_by_role(
        "heading", name="Check the notice before it is sent"
    )
    await expect(heading).to_be_visible()
    await expect(agent_page.get_by_text(explanation)).to_be_visible()
    await screenshot(agent_page, "deny-preview")
    assert await _status(store, reference) == Status.PENDING_REVIEW  # nothing sent yet
    await agent_page.get_by_role("button", name="Deny and send the notice").click()
    await agent_page.wait_for_url(f"{server}/requests/{reference}")
    await expect(agent_page.locator(".flash-success")).to_be_visible()
    assert await _status(store, reference) == Status.DENIED
    await agent_page.goto(f"{server}/dev/outbox")
    notice = agent_page.locator("article").filter(has_text=explanation)
    await expect(notice).to_have_count(1)
    assert "bob@example.com" in await notice.inner_text()
    await screenshot(agent_page, "outbox-denial")


async def test_extend_with_a_reason_then_reply_to_the_requester(
    agent_page: Page, server: str, store: async_sessionmaker[AsyncSession]
) -> None:
    reference = await _request(store, "cy@example.com")
    await agent_page.goto(f"{server}/requests/{reference}")
    reason = "Your request covers eleven systems; we need more time to search them all."
    await agent_page.get_by_label("Reason").first.fill(reason)
    extend = agent_page.locator(f'form[action="/requests/{reference}/extend"]')
    await extend.get_by_role("button", name="Preview the notice").click()
    await expect(agent_page.get_by_text(reason)).to_be_visible()
    await agent_page.get_by_role("button", name="Extend and send the notice").click()
    await agent_page.wait_for_url(f"{server}/requests/{reference}")
    await expect(agent_page.locator(".flash-success")).to_be_visible()
    await expect(agent_page.get_by_text("Extended to")).to_be_visible()

    answer = "Thank you, we are on it and will write again within the month."
    await agent_page.get_by_label("Reply to the requester").fill(answer)
    await agent_page.get_by_role("button", name="Send reply").click()
    await agent_page.wait_for_url(f"{server}/requests/{reference}")
    await expect(agent_page.locator(".flash-success")).to_be_visible()
    await expect(agent_page.locator(".mail").filter(has_text=answer)).to_have_count(1)
    await screenshot(agent_page, "request-extended-and-replied")
    async with store() as session:
        query = select(Message).where(
            Message.direction == Direction.OUT, Message.to_address == "cy@example.com"
        )
        texts = [message.text for message in (await session.execute(query)).scalars()]
    assert any(answer in text for text in texts)
    assert any(reason in text for text in texts)


async def test_a_triage_mail_becomes_a_request(
    agent_page: Page,
    server: str,
    settings: Settings,
    store: async_sessionmaker[AsyncSession],
) -> None:
    raw = await asyncio.to_thread((MAIL / "ambiguous_billing.eml").read_bytes)
    outcome = await ingest(store, raw, settings=settings, source="test")
    assert outcome.kind == "triage"
    await agent_page.get_by_role("link", name="Inbox").click()
    await agent_page.wait_for_url(f"{server}/inbox")
    item = agent_page.locator("article").filter(
        has_text="Charged twice for my March subscription"
    )
    await expect(item).to_have_count(1)
    await screenshot(agent_page, "inbox")
    await item.get_by_label("Type").select_option("erasure")
    await item.get_by_role("button", name="Open request").click()
    await expect(agent_page.locator(".flash-success")).to_be_visible()
    async with store() as session:
        query = select(DsrRequest).where(
            DsrRequest.subject_email_key == "g.papadopoulos@example.org"
        )
        [dsr] = (await session.execute(query)).scalars().all()
    assert dsr.type == "erasure"
