"""The queue page: saved views and counts, filters, search, due colours, keyset pages, bulk
actions with a confirmation, and the counts the page's script refreshes."""

import re
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.enums import Status
from app.requests import tickets
from app.staff import service as staff_service
from tests.factories import make_request
from tests.fixtures.ui import csrf_of, page_csrf


def _refs(page: str) -> list[str]:
    return re.findall(r'name="ref" value="(DSR-[A-Z0-9]+)"', page)


async def _status(session: AsyncSession, reference: str) -> Status:
    session.expire_all()
    return (await tickets.require(session, reference)).status


async def test_saved_views_show_their_counts_and_their_tickets(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    mine = await make_request(session, email="ada@example.com", identity_verified=True)
    await make_request(session, email="grace@example.org")
    agent = await staff_service.require_staff(session, "agent@example.com")
    async with tickets.edit(session, mine.reference) as dsr:
        dsr.assignee_id = agent.id
    await session.commit()
    page = (await agent_browser.get("/queue")).text
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts["all_open"] == "2"
    assert counts["mine"] == "1"
    assert counts["unassigned"] == "1"
    assert counts["triage"] == "1"  # verified, waiting for a decision
    assert counts["closed"] == "0"
    assert _refs((await agent_browser.get("/queue?view=mine")).text) == [mine.reference]
    counted = (await agent_browser.get("/queue/counts")).json()
    assert counted == {key: int(value) for key, value in counts.items()}


async def test_filters_and_search_by_email_name_and_reference(
    session: AsyncSession, viewer_browser: httpx.AsyncClient
) -> None:
    ada = await make_request(session, email="ada@example.com", name="Ada Lovelace")
    grace = await make_request(session, email="grace@example.org", type="erasure")
    assert _refs((await viewer_browser.get("/queue?type=erasure")).text) == [
        grace.reference
    ]
    for needle in ("ada@example", "lovelace", ada.reference.lower()):
        found = (await viewer_browser.get("/queue", params={"q": needle})).text
        assert _refs(found) == [ada.reference], needle
    unknown = await viewer_browser.get("/queue?status=nonsense&view=nonsense")
    assert sorted(_refs(unknown.text)) == sorted([ada.reference, grace.reference])


async def test_due_colours_and_days_left(
    session: AsyncSession, viewer_browser: httpx.AsyncClient
) -> None:
    now = utcnow()
    fresh = await make_request(session, email="a@example.com", received_at=now)
    close = await make_request(
        session, email="b@example.com", received_at=now - timedelta(days=26)
    )
    late = await make_request(
        session, email="c@example.com", received_at=now - timedelta(days=40)
    )
    page = (await viewer_browser.get("/queue")).text
    rows = {
        ref: row
        for row in page.split("<tr ")
        for ref in re.findall(r'value="(DSR-[A-Z0-9]+)"', row)
    }
    assert re.search(r"due-ok\">\d+ days left", rows[fresh.reference])
    assert re.search(r"due-risk\">\d+ days? left", rows[close.reference])
    assert re.search(r"due-overdue\">\d+ days? overdue", rows[late.reference])
    assert _refs((await viewer_browser.get("/queue?view=overdue")).text) == [
        late.reference
    ]


async def test_pages_continue_with_a_keyset_cursor(
    session: AsyncSession, viewer_browser: httpx.AsyncClient
) -> None:
    start = utcnow() - timedelta(days=20)
    for n in range(53):
        await make_request(
            session, email=f"p{n}@example.com", received_at=start + timedelta(hours=n)
        )
    first = (await viewer_browser.get("/queue?type=access")).text
    found = re.search(r'href="(/queue\?[^"]*cursor=[^"]+)" rel="next"', first)
    assert found is not None
    second = (await viewer_browser.get(found.group(1).replace("&amp;", "&"))).text
    assert len(_refs(first)) == 50
    assert len(_refs(second)) == 3
    assert not set(_refs(first)) & set(_refs(second))
    assert "type=access" in found.group(1)  # the filters carry over
    assert 'rel="next"' not in second


async def test_bulk_approve_asks_first_and_skips_what_cannot_be_approved(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    ready = (
        await make_request(session, email="a@example.com", identity_verified=True)
    ).reference
    unverified = (await make_request(session, email="b@example.com")).reference
    token = await page_csrf(agent_browser)
    fields = {
        "csrf_token": token,
        "action": "approve",
        "ref": [ready, unverified],
    }
    confirm = await agent_browser.post("/queue/bulk", data=fields)
    assert confirm.status_code == 200
    assert "Approve 1 request?" in confirm.text
    assert "skipped: is unverified" in confirm.text
    assert await _status(session, ready) is Status.PENDING_REVIEW
    done = await agent_browser.post(
        "/queue/bulk",
        data={**fields, "csrf_token": csrf_of(confirm.text), "confirm": "1"},
    )
    assert done.status_code == 303
    assert (
        "Approve: 1 request done, 1 skipped."
        in (await agent_browser.get(done.headers["location"])).text
    )
    assert await _status(session, ready) is Status.IN_PROGRESS
    assert await _status(session, unverified) is Status.UNVERIFIED


async def test_bulk_assign_and_close(
    session: AsyncSession, agent_browser: httpx.AsyncClient
) -> None:
    one = (await make_request(session, email="a@example.com")).reference
    two = (await make_request(session, email="b@example.com")).reference
    token = await page_csrf(agent_browser)
    base = {"csrf_token": token, "ref": [one, two], "confirm": "1"}
    assigned = await agent_browser.post(
        "/queue/bulk",
        data={**base, "action": "assign", "staff_email": "agent@example.com"},
    )
    assert assigned.status_code == 303
    mine = (await agent_browser.get("/queue?view=mine")).text
    assert sorted(_refs(mine)) == sorted([one, two])
    unexplained = await agent_browser.post(
        "/queue/bulk", data={**base, "action": "close", "reason": ""}
    )
    assert "reason" in (await agent_browser.get(unexplained.headers["location"])).text
    closed = await agent_browser.post(
        "/queue/bulk", data={**base, "action": "close", "reason": "Spam"}
    )
    assert closed.status_code == 303
    assert await _status(session, one) is Status.CANCELED
    assert await _status(session, two) is Status.CANCELED


async def test_the_page_loads_only_what_the_app_serves(
    viewer_browser: httpx.AsyncClient,
) -> None:
    page = (await viewer_browser.get("/queue")).text
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<style" not in page
    assert re.search(r"<script(?! src=)", page) is None
    script = await viewer_browser.get("/static/staff.js")
    style = await viewer_browser.get("/static/staff.css")
    assert script.status_code == style.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert style.headers["content-type"].startswith("text/css")
