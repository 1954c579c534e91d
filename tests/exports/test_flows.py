"""Requests answered end to end: form to downloaded ZIP, erasure to report, refusal notice.

Everything real: HTTP through the app, a SQL store behind the `sql` connector, the worker
jobs, and mail delivered through an SMTP server on loopback.
"""

import io
import json
import re
import zipfile
from datetime import timedelta
from email.message import EmailMessage

import httpx
import time_machine
from fastapi import FastAPI

from app.db import utcnow
from app.mail import outbox
from app.mail.transport import SmtpTransport
from app.settings import Security, Settings
from tests.fixtures.fanout import ADA, Api, Fanout, Store
from tests.fixtures.smtp import SmtpServer


async def _deliver(
    app: FastAPI, settings: Settings, smtp: SmtpServer
) -> list[EmailMessage]:
    smtp_settings = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": Security.NONE,
        }
    )
    await outbox.deliver_due(
        app.state.sessionmaker, SmtpTransport(smtp_settings), data_dir=settings.data_dir
    )
    return smtp.mailbox.messages


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _mail(messages: list[EmailMessage], to: str, subject_part: str) -> EmailMessage:
    found = [
        m
        for m in messages
        if m["To"].lower() == to.lower() and subject_part in m["Subject"]
    ]
    assert found, [m["Subject"] for m in messages]
    return found[-1]


def _link(message: EmailMessage, kind: str) -> str:
    """The path of the /verify/ or /download/ link in a mail's text part."""
    found = re.search(rf"https?://[^/\s]+(/{kind}/[\w-]+)", _text(message))
    assert found is not None, _text(message)
    return found.group(1)


async def _form_request(client: httpx.AsyncClient, **fields: str) -> None:
    page = (await client.get("/request")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    data = {"csrf_token": token.group(1), "location": "eea", "email": ADA} | fields
    assert (await client.post("/request", data=data)).status_code == 303


async def test_access_from_the_form_to_a_downloaded_zip(
    app: FastAPI,
    client: httpx.AsyncClient,
    api: Api,
    fanout: Fanout,
    store: Store,
    settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    fanout.configure(store.block())
    await _form_request(client, type="access", name="Ada Lovelace")
    received = _mail(await _deliver(app, settings, smtp_server), ADA, "")
    link = _link(received, "verify")
    assert (await client.post(link)).status_code == 200
    [ticket] = (await client.get("/api/v1/requests", headers=api.headers)).json()[
        "items"
    ]
    reference = ticket["reference"]
    assert (await api.post(f"{reference}/approve", {})).status_code == 200
    await fanout.run()
    assert (await api.ticket(reference))["status"] == "completed"

    ready = _mail(await _deliver(app, settings, smtp_server), ADA, f"[{reference}]")
    download = _link(ready, "download")
    page = await client.get(download)
    assert page.status_code == 200
    assert "<form" in page.text  # the GET only offers the download
    response = await client.post(download)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"index.html", "manifest.json", "data/app_db/orders.json"} <= names
    index = archive.read("index.html").decode()
    assert "Data Protection Commission" in index  # the named supervisory authority
    assert "legitimate" in index.lower()  # purposes with their legal bases
    orders = json.loads(archive.read("data/app_db/orders.json"))
    assert sorted(order["id"] for order in orders) == [10, 11]  # Ada's, nobody else's
    users = json.loads(archive.read("data/app_db/users.json"))
    assert [user["id"] for user in users] == [1]
    downloads = await api.events(reference, "downloaded")
    assert len(downloads) == 1


async def test_an_expired_download_link_explains_itself(
    app: FastAPI,
    client: httpx.AsyncClient,
    api: Api,
    fanout: Fanout,
    store: Store,
    settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    fanout.configure(store.block())
    reference = await api.approved("access")
    await fanout.run()
    ready = _mail(await _deliver(app, settings, smtp_server), ADA, f"[{reference}]")
    download = _link(ready, "download")
    with time_machine.travel(utcnow() + timedelta(days=settings.download_days + 1)):
        expired = await client.get(download)
    assert expired.status_code == 410
    assert "new link" in expired.text


async def test_a_link_replaced_by_a_fresh_one_stops_working(
    app: FastAPI,
    client: httpx.AsyncClient,
    api: Api,
    fanout: Fanout,
    store: Store,
    settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    fanout.configure(store.block())
    reference = await api.approved("access")
    await fanout.run()
    first = _mail(await _deliver(app, settings, smtp_server), ADA, f"[{reference}]")
    old = _link(first, "download")
    assert (await api.post(f"{reference}/export/send", {})).status_code == 200
    fresh = _link(
        _mail(await _deliver(app, settings, smtp_server), ADA, f"[{reference}]"),
        "download",
    )
    assert fresh != old
    assert (await client.post(old)).status_code == 410  # revoked: no ZIP
    assert (await client.get(old)).status_code == 410
    assert (await client.post(fresh)).status_code == 200


async def test_portability_gets_machine_readable_files_only(
    app: FastAPI,
    client: httpx.AsyncClient,
    api: Api,
    fanout: Fanout,
    store: Store,
    settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    fanout.configure(store.block())
    reference = await api.approved("portability")
    await fanout.run()
    ready = _mail(await _deliver(app, settings, smtp_server), ADA, f"[{reference}]")
    download = _link(ready, "download")
    archive = zipfile.ZipFile(io.BytesIO((await client.post(download)).content))
    assert "index.html" not in archive.namelist()
    assert "data/app_db/orders.csv" in archive.namelist()


async def test_erasure_ends_with_a_report_and_a_suppression_record(
    app: FastAPI,
    api: Api,
    fanout: Fanout,
    store: Store,
    settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    fanout.configure(store.block())
    reference = await api.approved("erasure")
    await fanout.run()
    assert (await api.ticket(reference))["status"] == "completed"
    report = _mail(await _deliver(app, settings, smtp_server), ADA, f"[{reference}]")
    text = _text(report)
    assert "app_db" in text
    from app.requests.suppression import is_suppressed

    async with app.state.sessionmaker() as session:
        assert await is_suppressed(session, ADA, settings=settings)
        assert not await is_suppressed(session, "bob@example.com", settings=settings)
    again = await api.approved("access")  # the same person asks again later
    assert len(await api.events(again, "previously_erased")) == 1  # once per ticket


async def test_a_refusal_names_the_authority_and_the_judicial_remedy(
    app: FastAPI,
    client: httpx.AsyncClient,
    api: Api,
    settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    created = await client.post(
        "/api/v1/requests",
        json={
            "type": "erasure",
            "regulation": "gdpr",
            "email": ADA,
            "identity_verified": True,
        },
        headers=api.headers,
    )
    reference = created.json()["reference"]
    denied = await api.post(
        f"{reference}/deny",
        {
            "reason_code": "legal_obligation",
            "message": "Invoices must be kept for 6 years.",
        },
    )
    assert denied.status_code == 200
    notice = _mail(await _deliver(app, settings, smtp_server), ADA, f"[{reference}]")
    text = _text(notice)
    assert "Data Protection Commission" in text
    assert "court" in text.lower()
    assert "Invoices must be kept for 6 years." in text


async def test_staff_review_holds_the_package_until_released(
    app: FastAPI, api: Api, fanout: Fanout, store: Store, settings: Settings
) -> None:
    fanout.settings = settings.model_copy(update={"review_exports": True})
    fanout.configure(store.block())
    reference = await api.approved("access")
    await fanout.run()
    assert (await api.ticket(reference))["status"] == "in_progress"
    assert await api.events(reference, "export_built")
    released = await api.post(f"{reference}/export/send", {})
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "completed"


async def test_a_small_package_is_also_attached(
    app: FastAPI,
    api: Api,
    fanout: Fanout,
    store: Store,
    settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    fanout.settings = settings.model_copy(update={"attach_max_bytes": 10_000_000})
    fanout.configure(store.block())
    reference = await api.approved("access")
    await fanout.run()
    ready = _mail(await _deliver(app, settings, smtp_server), ADA, f"[{reference}]")
    [attachment] = list(ready.iter_attachments())
    assert attachment.get_content_type() == "application/zip"
    payload = attachment.get_content()
    assert isinstance(payload, bytes)
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(payload)).namelist()
