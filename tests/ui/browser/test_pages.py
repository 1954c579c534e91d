"""The staff pages in Chromium: each renders styled under the strict CSP, the dashboard's
charts are drawn, and a screenshot of each is saved to tests/ui/screenshots/."""

import pytest
from playwright.async_api import Browser, Page
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import utcnow
from tests.factories import make_request
from tests.ui.browser.conftest import csp_complaints, screenshot

pytestmark = pytest.mark.ui


async def _some_requests(store: async_sessionmaker[AsyncSession]) -> None:
    from datetime import timedelta

    async with store() as session:
        now = utcnow()
        for days, kind in (
            (1, "access"),
            (3, "erasure"),
            (10, "access"),
            (40, "opt_out"),
        ):
            await make_request(
                session,
                type=kind,
                email=f"person{days}@example.com",
                received_at=now - timedelta(days=days),
            )


async def test_the_dashboard_draws_its_charts(
    agent_page: Page, server: str, store: async_sessionmaker[AsyncSession]
) -> None:
    await _some_requests(store)
    complaints = csp_complaints(agent_page)
    await agent_page.get_by_role("link", name="Dashboard").click()
    await agent_page.wait_for_url(f"{server}/dashboard")
    assert await agent_page.get_by_role("heading", name="Dashboard").is_visible()
    weekly = agent_page.locator('svg[data-chart="chart-weekly"]')
    assert await weekly.is_visible()
    box = await weekly.bounding_box()
    assert box is not None
    assert box["width"] > 200
    assert box["height"] > 80  # drawn to scale, not collapsed
    assert await weekly.locator("rect").count() >= 3
    assert await agent_page.locator('[data-stat="overdue"]').inner_text() == "1"
    await screenshot(agent_page, "dashboard")
    await agent_page.set_viewport_size({"width": 640, "height": 900})
    await screenshot(agent_page, "dashboard-narrow")
    assert complaints == []


async def test_the_connectors_and_staff_pages_render(
    admin_page: Page, server: str
) -> None:
    complaints = csp_complaints(admin_page)
    await admin_page.get_by_role("link", name="Connectors").click()
    await admin_page.wait_for_url(f"{server}/connectors")
    assert await admin_page.get_by_role("heading", name="paper_ledger").is_visible()
    await admin_page.get_by_role("button", name="Test paper_ledger").click()
    await admin_page.wait_for_url(f"{server}/connectors")
    assert await admin_page.get_by_text("1 connector test(s) passed.").is_visible()
    await screenshot(admin_page, "connectors")
    await admin_page.get_by_role("link", name="Staff").click()
    await admin_page.wait_for_url(f"{server}/staff")
    await admin_page.get_by_label("Email").fill("new.agent@example.com")
    await admin_page.get_by_role(
        "button", name="Add, with a generated password"
    ).click()
    assert await admin_page.get_by_role("heading", name="Account created").is_visible()
    await screenshot(admin_page, "staff-password-shown")
    await admin_page.get_by_role("link", name="Back to staff").click()
    assert await admin_page.get_by_role(
        "cell", name="new.agent@example.com", exact=True
    ).is_visible()
    await screenshot(admin_page, "staff")
    assert complaints == []


async def test_the_api_docs_work_from_the_apps_own_files(
    browser: Browser, server: str
) -> None:
    page = await browser.new_page()
    complaints = csp_complaints(page)
    origins: set[str] = set()
    page.on("request", lambda request: origins.add(request.url.split("/")[2]))
    await page.goto(f"{server}/api/docs")
    await page.locator(".opblock").first.wait_for(timeout=20_000)
    assert await page.get_by_text("/api/v1/requests").first.is_visible()
    await screenshot(page, "api-docs")
    assert origins == {server.split("/")[2]}  # nothing from another host
    assert complaints == []
