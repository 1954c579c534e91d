"""The outbox delivers through a real SMTP server, retries when it is down, never drops mail."""

from datetime import timedelta

import time_machine
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.audit import service as audit
from app.db import utcnow
from app.mail import outbox
from app.mail.models import Message, MessageState
from app.mail.transport import SmtpTransport
from app.requests import tickets
from app.settings import Security, Settings
from tests.factories import make_request
from tests.fixtures.smtp import SmtpServer


def _smtp_settings(settings: Settings, server: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "smtp_security": Security.NONE,
        }
    )


async def _queue_two(session: AsyncSession, settings: Settings) -> str:
    made = await make_request(session)
    async with tickets.edit(session, made.reference) as dsr:
        for template in ("verify", "verify_reminder"):
            await outbox.queue(
                session,
                settings=settings,
                template=template,
                to=dsr.subject_email,
                dsr=dsr,
                context={
                    "verify_url": "https://desk.example.com/verify/abc",
                    "code": "7K3MQ9",
                    "code_url": "https://desk.example.com/verify",
                    "expires_on": utcnow().date(),
                    "closes_on": utcnow().date(),
                    "due_on": utcnow().date(),
                },
            )
    await session.commit()
    return dsr.reference


async def test_queued_mail_is_delivered_with_threading_headers(
    app: FastAPI, session: AsyncSession, settings: Settings, smtp_server: SmtpServer
) -> None:
    reference = await _queue_two(session, settings)
    run = await outbox.deliver_due(
        app.state.sessionmaker, SmtpTransport(_smtp_settings(settings, smtp_server))
    )
    assert run.sent == 2
    first, second = smtp_server.mailbox.messages
    assert first["Subject"].startswith(f"[{reference}] ")
    assert first["Auto-Submitted"] == "auto-replied"
    assert first["Message-ID"].startswith("<dsr.")
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    kinds = {part.get_content_type() for part in first.walk()}
    assert {"text/plain", "text/html"} <= kinds
    again = await outbox.deliver_due(
        app.state.sessionmaker, SmtpTransport(_smtp_settings(settings, smtp_server))
    )
    assert again.sent == 0  # nothing is sent twice


async def test_server_down_then_back_delivers_everything_once(
    app: FastAPI, session: AsyncSession, settings: Settings, smtp_server: SmtpServer
) -> None:
    await _queue_two(session, settings)
    transport = SmtpTransport(_smtp_settings(settings, smtp_server), timeout=2)
    smtp_server.stop()
    down = await outbox.deliver_due(app.state.sessionmaker, transport)
    assert (down.sent, down.retrying) == (0, 2)
    states = (await session.execute(select(Message.state))).scalars().all()
    assert set(states) == {MessageState.QUEUED}
    smtp_server.start()
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        early = await outbox.deliver_due(app.state.sessionmaker, transport)
    assert early.sent == 2  # the first backoff is at most a minute
    assert len(smtp_server.mailbox.messages) == 2


async def test_temporary_refusal_is_retried(
    app: FastAPI, session: AsyncSession, settings: Settings, smtp_server: SmtpServer
) -> None:
    await _queue_two(session, settings)
    smtp_server.mailbox.refuse = "451 4.3.0 try again later"
    run = await outbox.deliver_due(
        app.state.sessionmaker, SmtpTransport(_smtp_settings(settings, smtp_server))
    )
    assert run.retrying == 2
    row = (await session.execute(select(Message).limit(1))).scalar_one()
    assert row.state == MessageState.QUEUED
    assert "451" in (row.error or "")


async def test_permanent_refusal_fails_with_the_reason_on_the_ticket(
    app: FastAPI, session: AsyncSession, settings: Settings, smtp_server: SmtpServer
) -> None:
    reference = await _queue_two(session, settings)
    smtp_server.mailbox.refuse = "550 5.1.1 no such user"
    run = await outbox.deliver_due(
        app.state.sessionmaker, SmtpTransport(_smtp_settings(settings, smtp_server))
    )
    assert run.failed == 2
    from app.requests.tickets import require

    dsr = await require(session, reference)
    failures = [
        e for e in await audit.timeline(session, dsr) if e.kind == "mail_failed"
    ]
    assert len(failures) == 2
    assert "550" in failures[0].personal["error"]
