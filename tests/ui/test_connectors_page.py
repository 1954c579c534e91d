"""The connectors page through HTTP: each configured connector, its last test (admins run
it), and its recent tasks; agents and viewers read but cannot test."""

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.fanout.checks import CHECKS_CHAIN
from app.fanout.models import ConnectorTask, TaskStatus
from app.main import create_app
from app.settings import Settings
from tests.factories import make_request
from tests.fixtures.ui import page_csrf


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


@pytest.fixture
def connectors_file(settings: Settings) -> Path:
    """Two connectors: one that passes its test, one nobody answers."""
    path = Path(settings.connectors_file)
    path.write_text(
        "connectors:\n"
        "  - name: paper_ledger\n"
        "    type: manual\n"
        '    instructions: "Strike the person from the <b>ledger</b>."\n'
        "  - name: crm_hook\n"
        "    type: webhook\n"
        f"    url: http://127.0.0.1:{_closed_port()}/dsr\n"
        "    secret: webhook-secret-0123456789\n"
        "    timeout: 2\n"
    )
    return path


@pytest.fixture
async def app(settings: Settings, connectors_file: Path) -> AsyncIterator[FastAPI]:
    """The app running with those connectors."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_every_configured_connector_is_listed(
    viewer_browser: httpx.AsyncClient,
) -> None:
    page = await viewer_browser.get("/connectors")
    assert page.status_code == 200
    assert "paper_ledger" in page.text
    assert "crm_hook" in page.text
    assert "never tested from here" in page.text
    assert 'action="/connectors/test"' not in page.text  # viewers have no test button


async def test_an_admin_tests_the_connectors_and_sees_each_result(
    admin_browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    page = await admin_browser.get("/connectors")
    assert 'action="/connectors/test"' in page.text
    token = await page_csrf(admin_browser, "/connectors")
    answer = await admin_browser.post(
        "/connectors/test", data={"csrf_token": token, "name": ""}
    )
    assert answer.status_code == 303
    page = await admin_browser.get(answer.headers["location"])
    assert "Test failed: crm_hook." in page.text  # the flash
    assert page.text.count(">passed<") == 1
    assert page.text.count(">failed<") == 1
    assert "by staff:admin@example.com" in page.text
    events = await audit.events_of(session, CHECKS_CHAIN)
    assert {(e.data["connector"], e.data["ok"]) for e in events} == {
        ("paper_ledger", True),
        ("crm_hook", False),
    }


async def test_one_connector_is_tested_alone(
    admin_browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    token = await page_csrf(admin_browser, "/connectors")
    answer = await admin_browser.post(
        "/connectors/test", data={"csrf_token": token, "name": "paper_ledger"}
    )
    assert answer.status_code == 303
    page = await admin_browser.get("/connectors")
    assert "1 connector test(s) passed." in page.text
    events = await audit.events_of(session, CHECKS_CHAIN)
    assert [e.data["connector"] for e in events] == ["paper_ledger"]
    unknown = await admin_browser.post(
        "/connectors/test", data={"csrf_token": token, "name": "nope"}
    )
    assert unknown.status_code == 404


async def test_an_agent_cannot_test_connectors(
    agent_browser: httpx.AsyncClient,
) -> None:
    token = await page_csrf(agent_browser, "/connectors")
    answer = await agent_browser.post(
        "/connectors/test", data={"csrf_token": token, "name": ""}
    )
    assert answer.status_code == 403


async def test_recent_task_outcomes_are_shown_per_connector(
    session: AsyncSession, viewer_browser: httpx.AsyncClient
) -> None:
    dsr = await make_request(session)
    session.add_all(
        [
            ConnectorTask(
                request_id=dsr.id,
                connector="crm_hook",
                action="access",
                status=TaskStatus.FAILED,
                error="<script>alert(1)</script> refused",
            ),
            ConnectorTask(
                request_id=dsr.id,
                connector="crm_hook",
                action="erase",
                status=TaskStatus.SUCCEEDED,
            ),
        ]
    )
    await session.commit()
    page = await viewer_browser.get("/connectors")
    assert f'href="/requests/{dsr.reference}"' in page.text
    assert "1 failed, 1 succeeded" in page.text
    assert "success rate 50%" in page.text
    assert "<script>alert(1)</script>" not in page.text  # task errors are escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt; refused" in page.text
