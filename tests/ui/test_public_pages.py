"""The public pages in a real browser (Debian's Chromium, driven by Playwright).

A person asks for their data with the keyboard and labels only, confirms through the
emailed link, and sees errors tied to the fields when they mistype. No JavaScript is needed
by the pages; the browser just proves what a person sees.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page
from sqlmodel import select

from app.enums import Status
from app.mail.models import Message
from app.main import create_app, make_app_sessionmaker
from app.requests.models import DsrRequest
from app.settings import Settings
from connectors.testing import serve_app

pytestmark = pytest.mark.ui


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    """The whole app under uvicorn on a loopback port, in a thread."""
    with serve_app(create_app(settings), lifespan="on") as base:
        yield base


async def _outbox_text(settings: Settings) -> str:
    maker = make_app_sessionmaker(settings)
    try:
        async with maker() as session:
            texts = (await session.execute(select(Message.text))).scalars().all()
    finally:
        await maker.kw["bind"].dispose()
    return "\n".join(texts)


async def _ticket(settings: Settings) -> DsrRequest:
    maker = make_app_sessionmaker(settings)
    try:
        async with maker() as session:
            return (await session.execute(select(DsrRequest))).scalar_one()
    finally:
        await maker.kw["bind"].dispose()


async def _fill_request(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/request")
    await page.get_by_label("What would you like us to do?").select_option("access")
    await page.get_by_label("Your email address").first.fill(email)
    await page.get_by_label("Where do you live?").select_option("eea")
    await page.get_by_role("button", name="Send request").click()


async def test_a_person_asks_for_their_data_and_confirms_it(
    server: str, browser: Browser, settings: Settings, tmp_path: Path
) -> None:
    page = await browser.new_page(java_script_enabled=False)
    await _fill_request(page, server, "ada@example.com")
    await page.wait_for_url(f"{server}/request/sent")
    assert await page.get_by_role("heading", name="Check your email").is_visible()
    await page.screenshot(path=tmp_path / "sent.png")  # kept with the test's tmp files

    link = re.search(r"https?://[^/\s]+(/verify/[\w-]+)", await _outbox_text(settings))
    assert link is not None
    await page.goto(server + link.group(1))
    assert (
        await _ticket(settings)
    ).status == Status.UNVERIFIED  # looking changes nothing
    await page.get_by_role("button", name="Yes, I made this request").click()
    assert await page.get_by_role(
        "heading", name="Thank you, your request is confirmed"
    ).is_visible()
    assert (await _ticket(settings)).status == Status.PENDING_REVIEW


async def test_a_mistyped_address_is_explained_next_to_the_field(
    server: str, browser: Browser
) -> None:
    page = await browser.new_page(java_script_enabled=False)
    await _fill_request(page, server, "ada-at-example.com")
    field = page.get_by_label("Your email address").first
    assert await field.get_attribute("aria-invalid") == "true"
    described = await field.get_attribute("aria-describedby") or ""
    assert "email-error" in described
    error = page.locator("#email-error")
    assert "valid email address" in (await error.inner_text())
    assert await field.input_value() == "ada-at-example.com"  # nothing typed is lost


async def test_the_pages_are_styled_under_their_content_security_policy(
    server: str, browser: Browser
) -> None:
    page = await browser.new_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text))
    for path in ("/request", "/verify", "/request/sent"):
        await page.goto(f"{server}{path}")
        width = await page.evaluate("getComputedStyle(document.body).maxWidth")
        assert width != "none", path  # the stylesheet applied
    assert [text for text in complaints if "Content Security Policy" in text] == []
