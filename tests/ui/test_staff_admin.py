"""Staff administration through HTTP (admins only) and the same service from the CLI:
add, change role, reset password, deactivate; the last active admin is kept."""

import asyncio
import re

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from app.audit import service as audit
from app.cli import cli
from app.settings import Settings
from app.staff import service as staff_service
from app.staff.models import Role
from tests.fixtures.ui import PASSWORD, browser_for, log_in, page_csrf


async def _post(browser: httpx.AsyncClient, path: str, **form: str) -> httpx.Response:
    token = await page_csrf(browser, "/staff")
    return await browser.post(path, data={"csrf_token": token, **form})


def _shown_password(html: str) -> str:
    found = re.search(r"<code class=\"secret\" data-password>([^<]+)</code>", html)
    assert found is not None, "no password on the page"
    return found.group(1)


async def test_admin_pages_refuse_agents_and_viewers(
    agent_browser: httpx.AsyncClient, viewer_browser: httpx.AsyncClient
) -> None:
    for browser in (agent_browser, viewer_browser):
        assert (await browser.get("/staff")).status_code == 403
        token = await page_csrf(browser, "/queue")
        for path in (
            "/staff/add",
            "/staff/role",
            "/staff/password",
            "/staff/deactivate",
        ):
            answer = await browser.post(
                path,
                data={"csrf_token": token, "email": "x@example.com", "role": "admin"},
            )
            assert answer.status_code == 403, path


async def test_an_admin_adds_someone_who_then_logs_in(
    app: FastAPI, admin_browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    answer = await _post(
        admin_browser,
        "/staff/add",
        email="New.Person@Example.com",
        name="<b>New</b> Person",
        role="agent",
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    password = _shown_password(answer.text)
    async with browser_for(app) as fresh:
        assert (
            await log_in(fresh, "new.person@example.com", password)
        ).status_code == 303
    listing = await admin_browser.get("/staff")
    assert "New.Person@example.com" in listing.text
    assert "&lt;b&gt;New&lt;/b&gt; Person" in listing.text  # names are escaped
    again = await _post(
        admin_browser, "/staff/add", email="new.person@example.com", role="agent"
    )
    assert again.status_code == 303  # refused, back to the page with the reason
    page = await admin_browser.get("/staff")
    assert "already exists" in page.text
    kinds = [e.kind for e in await audit.events_of(session, staff_service.STAFF_CHAIN)]
    assert "staff_added" in kinds


async def test_an_admin_changes_a_role(
    admin_browser: httpx.AsyncClient,
    agent_browser: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    answer = await _post(
        admin_browser, "/staff/role", email="agent@example.com", role="viewer"
    )
    assert answer.status_code == 303
    page = await admin_browser.get("/staff")
    assert "agent@example.com is now viewer." in page.text
    session.expire_all()
    staff = await staff_service.require_staff(session, "agent@example.com")
    assert staff.role is Role.VIEWER


async def test_the_last_active_admin_keeps_the_role_and_the_account(
    admin_browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    for path, form in (
        ("/staff/role", {"role": "agent"}),
        ("/staff/deactivate", {}),
    ):
        answer = await _post(admin_browser, path, email="admin@example.com", **form)
        assert answer.status_code == 303
        page = await admin_browser.get("/staff")
        assert "is the last active admin" in page.text
    session.expire_all()
    staff = await staff_service.require_staff(session, "admin@example.com")
    assert (staff.role, staff.active) == (Role.ADMIN, True)


async def test_a_reset_password_replaces_the_old_and_ends_sessions(
    app: FastAPI,
    admin_browser: httpx.AsyncClient,
    agent_browser: httpx.AsyncClient,
) -> None:
    assert (await agent_browser.get("/queue")).status_code == 200
    answer = await _post(admin_browser, "/staff/password", email="agent@example.com")
    assert answer.status_code == 200
    password = _shown_password(answer.text)
    ended = await agent_browser.get("/queue")
    assert ended.status_code == 303  # the agent's session ended with the old password
    async with browser_for(app) as fresh:
        assert (await log_in(fresh, "agent@example.com", PASSWORD)).status_code != 303
        assert (await log_in(fresh, "agent@example.com", password)).status_code == 303


async def test_a_deactivated_account_cannot_log_in(
    app: FastAPI, admin_browser: httpx.AsyncClient, agent_browser: httpx.AsyncClient
) -> None:
    answer = await _post(admin_browser, "/staff/deactivate", email="agent@example.com")
    assert answer.status_code == 303
    page = await admin_browser.get("/staff")
    assert "agent@example.com is deactivated." in page.text
    assert (await agent_browser.get("/queue")).status_code == 303
    async with browser_for(app) as fresh:
        assert (await log_in(fresh, "agent@example.com")).status_code != 303


def _dsr(settings: Settings, *args: str, stdin: str = "") -> tuple[int, str]:
    env = {
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_SECRET_KEY": settings.secret(),
        "DSR_DATA_DIR": str(settings.data_dir),
    }
    result = CliRunner().invoke(cli, list(args), input=stdin, env=env)
    return result.exit_code, result.output


async def test_the_cli_lists_changes_roles_and_resets_passwords(
    app: FastAPI, settings: Settings, admin_browser: httpx.AsyncClient
) -> None:
    code, out = await asyncio.to_thread(
        _dsr, settings, "staff", "add", "ops@example.com", "--role", "viewer"
    )
    assert code == 0, out
    code, out = await asyncio.to_thread(
        _dsr, settings, "staff", "role", "ops@example.com", "agent"
    )
    assert (code, out.strip()) == (0, "ops@example.com is now agent")
    code, out = await asyncio.to_thread(_dsr, settings, "staff", "list")
    assert code == 0
    assert "ops@example.com\tagent\t-\tactive" in out
    new = "a brand new password 42"
    code, out = await asyncio.to_thread(
        _dsr, settings, "staff", "password", "ops@example.com", stdin=new + "\n"
    )
    assert (code, "shown once" in out) == (0, False)
    async with browser_for(app) as fresh:
        assert (await log_in(fresh, "ops@example.com", new)).status_code == 303
    code, out = await asyncio.to_thread(
        _dsr, settings, "staff", "role", "admin@example.com", "viewer"
    )
    assert code == 1
    assert "last active admin" in out
