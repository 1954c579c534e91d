"""Browser fixtures: the whole app served on loopback (web, scheduler and worker, as
`dsr serve` runs it), Debian's Chromium driven by Playwright, and staff logged in."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app, make_app_sessionmaker
from app.settings import Settings
from app.staff.models import Role
from connectors.testing import serve_app
from tests.factories import make_staff
from tests.fixtures.app import cheap_passwords
from tests.fixtures.ui import PASSWORD

SCREENSHOTS = Path(__file__).parents[1] / "screenshots"
MANUAL_STEP = "Strike the person from the paper ledger in the finance office."


@pytest.fixture
def connectors_file(settings: Settings) -> Path:
    """One manual connector: every approved request gets a task a person completes."""
    path = Path(settings.connectors_file)
    path.write_text(
        "connectors:\n"
        "  - name: paper_ledger\n"
        "    type: manual\n"
        f'    instructions: "{MANUAL_STEP}"\n'
    )
    return path


@pytest.fixture
def server(settings: Settings, connectors_file: Path) -> Iterator[str]:
    """The app with its worker under uvicorn on a loopback port, in a thread."""
    application = create_app(settings, run_worker=True)
    cheap_passwords(application.state.sessionmaker)
    with serve_app(application, lifespan="on") as base:
        yield base


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the served app's database, for arranging and checking state."""
    maker = make_app_sessionmaker(settings)
    cheap_passwords(maker)
    try:
        yield maker
    finally:
        await maker.kw["bind"].dispose()


async def _account(
    store: async_sessionmaker[AsyncSession], role: Role, email: str
) -> str:
    async with store() as session:
        await make_staff(session, role=role, email=email)
        await session.commit()
    return email


async def log_in_page(browser: Browser, server: str, email: str) -> Page:
    """A new browser window, logged in through the form as a person does."""
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{server}/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{server}/queue")
    return page


@pytest.fixture
async def agent_page(
    browser: Browser, server: str, store: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Page]:
    """A browser logged in as an agent."""
    email = await _account(store, Role.AGENT, "agent@example.com")
    page = await log_in_page(browser, server, email)
    yield page
    await page.close()


@pytest.fixture
async def admin_page(
    browser: Browser, server: str, store: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Page]:
    """A browser logged in as an admin."""
    email = await _account(store, Role.ADMIN, "admin@example.com")
    page = await log_in_page(browser, server, email)
    yield page
    await page.close()


def csp_complaints(page: Page) -> list[str]:
    """The console's Content-Security-Policy complaints of `page` from now on."""
    complaints: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            complaints.append(message.text)

    page.on("console", keep)
    return complaints


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as tests/ui/screenshots/<name>.png (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    return path
