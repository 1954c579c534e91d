"""Staff work the triage inbox through the API: open a ticket, attach, or dismiss."""

from pathlib import Path

import httpx
from fastapi import FastAPI

from app.flows.inbound import ingest
from app.settings import Settings

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


async def test_open_a_ticket_from_waiting_mail(
    app: FastAPI, client: httpx.AsyncClient, agent: dict[str, str], settings: Settings
) -> None:
    message_id = await _waiting(app, settings, "ambiguous_billing.eml")
    inbox = (await client.get("/api/v1/inbox", headers=agent)).json()
    assert [item["message_id"] for item in inbox] == [message_id]
    opened = await client.post(
        f"/api/v1/inbox/{message_id}/open",
        json={"type": "erasure", "regulation": "gdpr"},
        headers=agent,
    )
    assert opened.status_code == 200, opened.text
    reference = opened.json()["reference"]
    ticket = (await client.get(f"/api/v1/requests/{reference}", headers=agent)).json()
    assert (ticket["channel"], ticket["status"]) == ("email", "unverified")
    assert (await client.get("/api/v1/inbox", headers=agent)).json() == []
    again = await client.post(f"/api/v1/inbox/{message_id}/dismiss", headers=agent)
    assert again.status_code == 409


async def test_dismiss_and_unknown_messages(
    app: FastAPI,
    client: httpx.AsyncClient,
    agent: dict[str, str],
    viewer: dict[str, str],
    settings: Settings,
) -> None:
    message_id = await _waiting(app, settings, "bulk_newsletter_list_id.eml")
    assert (
        await client.post(f"/api/v1/inbox/{message_id}/dismiss", headers=viewer)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/inbox/{message_id}/dismiss", headers=agent)
    ).status_code == 200
    assert (
        await client.post("/api/v1/inbox/nope@example.com/dismiss", headers=agent)
    ).status_code == 404
