"""Logging in and out of the staff UI, through HTTP: sessions, CSRF, next=, throttling, audit."""

from datetime import timedelta

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app import demo
from app.audit import service as audit
from app.db import utcnow
from app.settings import Settings
from app.staff import service as staff_service
from app.staff.models import Role
from app.ui.pages import SESSION_COOKIE
from tests.factories import make_staff
from tests.fixtures.ui import browser_for, csrf_of, log_in, page_csrf


async def _events(session: AsyncSession) -> list[tuple[str, dict[str, object]]]:
    events = await audit.events_of(session, staff_service.STAFF_CHAIN)
    return [(event.kind, event.data) for event in events]


async def test_the_demo_password_printed_by_make_run_logs_in(
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
) -> None:
    printed = await demo.seed(session, settings)  # the lines `dsr demo` prints
    await session.commit()
    line = next(text for text in printed if "demo admin" in text)
    password = line.split(" / ")[1].split()[0]
    async with browser_for(app) as browser:
        answer = await log_in(browser, demo.DEMO_ADMIN, password)
        assert (answer.status_code, answer.headers["location"]) == (303, "/queue")
        queue = await browser.get("/queue")
    assert queue.status_code == 200
    assert "Demo Admin" in queue.text
    assert "Log out" in queue.text


async def test_a_session_cookie_is_signed_httponly_and_samesite(
    app: FastAPI, session: AsyncSession
) -> None:
    await make_staff(session, role=Role.AGENT)
    await session.commit()
    async with browser_for(app) as browser:
        answer = await log_in(browser, "agent@example.com")
    cookie = next(
        value
        for name, value in answer.headers.multi_items()
        if name == "set-cookie" and value.startswith(SESSION_COOKIE + "=")
    )
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    assert "." in token  # itsdangerous: value.timestamp.signature


async def test_a_wrong_password_is_refused_and_audited(
    app: FastAPI, session: AsyncSession
) -> None:
    await make_staff(session, role=Role.AGENT)
    await session.commit()
    async with browser_for(app) as browser:
        answer = await log_in(browser, "agent@example.com", "not the password")
        assert answer.status_code == 400
        assert "Wrong email or password." in answer.text
        assert SESSION_COOKIE not in browser.cookies
        assert (await browser.get("/queue")).status_code == 303
        assert (await log_in(browser, "agent@example.com")).status_code == 303
    kinds = [kind for kind, _ in await _events(session)]
    assert kinds[-2:] == ["login_failed", "login"]


async def test_an_unknown_account_gets_the_same_answer(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        answer = await log_in(browser, "nobody@example.com", "whatever it is")
    assert answer.status_code == 400
    assert "Wrong email or password." in answer.text


async def test_a_deactivated_account_cannot_log_in(
    app: FastAPI, session: AsyncSession
) -> None:
    await make_staff(session, role=Role.AGENT)
    await staff_service.deactivate(session, "agent@example.com", actor="test")
    await session.commit()
    async with browser_for(app) as browser:
        assert (await log_in(browser, "agent@example.com")).status_code == 400


async def test_an_anonymous_browser_is_sent_to_log_in_and_back(
    app: FastAPI, session: AsyncSession
) -> None:
    await make_staff(session, role=Role.VIEWER, email="viewer@example.com")
    await session.commit()
    async with browser_for(app) as browser:
        first = await browser.get("/queue?view=mine")
        assert first.status_code == 303
        assert first.headers["location"] == "/login?next=/queue%3Fview%3Dmine"
        form = await browser.get(first.headers["location"])
        assert 'name="next" value="/queue?view=mine"' in form.text
        answer = await browser.post(
            "/login",
            data={
                "email": "viewer@example.com",
                "password": "correct horse battery",
                "next": "/queue?view=mine",
                "csrf_token": csrf_of(form.text),
            },
        )
    assert answer.headers["location"] == "/queue?view=mine"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/queue",
        "//evil.example/queue",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/login",
    ],
)
async def test_next_never_leaves_the_site(
    app: FastAPI, session: AsyncSession, target: str
) -> None:
    await make_staff(session, role=Role.AGENT)
    await session.commit()
    async with browser_for(app) as browser:
        answer = await log_in(browser, "agent@example.com", next_url=target)
    assert answer.headers["location"] == "/queue"


async def test_a_log_in_without_the_csrf_token_fails(
    app: FastAPI, session: AsyncSession
) -> None:
    await make_staff(session, role=Role.AGENT)
    await session.commit()
    async with browser_for(app) as browser:
        await browser.get("/login")
        answer = await browser.post(
            "/login",
            data={"email": "agent@example.com", "password": "correct horse battery"},
        )
    assert answer.status_code == 400
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


async def test_a_staff_post_without_the_session_csrf_token_fails(
    agent_browser: httpx.AsyncClient,
) -> None:
    assert (await agent_browser.post("/logout")).status_code == 403
    forged = await agent_browser.post("/logout", data={"csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert (await agent_browser.get("/queue")).status_code == 200  # still logged in


async def test_log_out_ends_the_session(
    app: FastAPI, agent_browser: httpx.AsyncClient
) -> None:
    cookie = agent_browser.cookies[SESSION_COOKIE]
    answer = await agent_browser.post(
        "/logout", data={"csrf_token": await page_csrf(agent_browser)}
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    assert "You are logged out." in (await agent_browser.get("/login")).text
    async with browser_for(app) as replay:  # the old cookie, replayed, is worth nothing
        replay.cookies.set(SESSION_COOKIE, cookie, domain="dsr.test")
        assert (await replay.get("/queue")).status_code == 303


async def test_log_in_rotates_the_session_id(
    app: FastAPI, agent_browser: httpx.AsyncClient
) -> None:
    planted = agent_browser.cookies[SESSION_COOKIE]
    old_csrf = await page_csrf(agent_browser)
    async with browser_for(app) as browser:  # a session id planted before a log-in
        form = await browser.get("/login")
        browser.cookies.set(SESSION_COOKIE, planted, domain="dsr.test")
        answer = await browser.post(
            "/login",
            data={
                "email": "agent@example.com",
                "password": "correct horse battery",
                "csrf_token": csrf_of(form.text),
            },
        )
        assert answer.status_code == 303
        assert browser.cookies[SESSION_COOKIE] != planted
        assert await page_csrf(browser) != old_csrf
    assert (await agent_browser.get("/queue")).status_code == 303  # planted one ended


async def test_an_idle_session_expires(
    agent_browser: httpx.AsyncClient, settings: Settings
) -> None:
    idle = timedelta(minutes=settings.session_idle_minutes)
    start = utcnow()
    with time_machine.travel(start + idle - timedelta(minutes=2), tick=False):
        assert (await agent_browser.get("/queue")).status_code == 200
    with time_machine.travel(start + 2 * idle - timedelta(minutes=4), tick=False):
        assert (await agent_browser.get("/queue")).status_code == 200  # kept alive
    with time_machine.travel(start + 3 * idle, tick=False):
        answer = await agent_browser.get("/queue")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


async def test_a_session_ends_at_its_absolute_timeout_however_busy(
    agent_browser: httpx.AsyncClient, settings: Settings
) -> None:
    start, step = utcnow(), timedelta(minutes=settings.session_idle_minutes - 5)
    moment = start
    while moment + step < start + timedelta(hours=settings.session_hours):
        moment += step
        with time_machine.travel(moment, tick=False):
            assert (await agent_browser.get("/queue")).status_code == 200
    with time_machine.travel(
        start + timedelta(hours=settings.session_hours, minutes=1), tick=False
    ):
        assert (await agent_browser.get("/queue")).status_code == 303


async def test_deactivating_an_account_ends_its_sessions(
    agent_browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert (await agent_browser.get("/queue")).status_code == 200
    await staff_service.deactivate(session, "agent@example.com", actor="cli")
    await session.commit()
    assert (await agent_browser.get("/queue")).status_code == 303
    _, data = (await _events(session))[-1]
    assert data["sessions_ended"] == 1


async def test_log_in_attempts_are_throttled_per_account(
    app: FastAPI, session: AsyncSession
) -> None:
    await make_staff(session, role=Role.AGENT)
    await session.commit()
    for _ in range(10):  # each from another address: the account's own limit
        async with browser_for(app) as browser:
            answer = await log_in(browser, "agent@example.com", "guess guess guess")
            assert answer.status_code == 400
    async with browser_for(app) as browser:
        answer = await log_in(browser, "agent@example.com")  # even the right password
    assert answer.status_code == 429
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    _, data = (await _events(session))[-1]
    assert data == {"reason": "throttled"}


async def test_log_in_attempts_are_throttled_per_address(
    app: FastAPI, session: AsyncSession
) -> None:
    await make_staff(session, role=Role.AGENT)
    await session.commit()
    async with browser_for(app, ip="10.99.0.1") as browser:
        for n in range(30):
            answer = await log_in(browser, f"guess{n}@example.com", "guess guess")
            assert answer.status_code == 400
        assert (await log_in(browser, "agent@example.com")).status_code == 429
    async with browser_for(app, ip="10.99.0.2") as elsewhere:
        assert (await log_in(elsewhere, "agent@example.com")).status_code == 303
