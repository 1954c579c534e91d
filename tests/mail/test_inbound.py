"""The inbound pipeline end to end on the .eml corpus."""

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.enums import Channel, RequestType
from app.flows.inbound import ingest
from app.mail.inbound import IngestOutcome
from app.mail.models import Direction, Message, Triage
from app.requests.models import DsrRequest
from app.settings import Settings

CORPUS = Path(__file__).parents[1] / "data" / "mail"


def _eml(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


async def _ingest(app: FastAPI, settings: Settings, raw: bytes) -> IngestOutcome:
    return await ingest(app.state.sessionmaker, raw, settings=settings, source="test")


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
    return int((await session.execute(query)).scalar_one())


async def test_italian_art17_ingested_twice_makes_one_erasure_ticket(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    first = await _ingest(app, settings, _eml("it_art17_erasure.eml"))
    second = await _ingest(app, settings, _eml("it_art17_erasure.eml"))
    assert (first.kind, second.kind) == ("new_ticket", "duplicate")
    [dsr] = (await session.execute(select(DsrRequest))).scalars().all()
    assert (dsr.type, dsr.channel) == (RequestType.ERASURE, Channel.EMAIL)
    assert dsr.language == "it"
    replies = await _count(
        session, Message, Message.direction == Direction.OUT, Message.kind == "received"
    )
    assert replies == 1


async def test_auto_reply_gets_no_answer(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    outcome = await _ingest(app, settings, _eml("auto_ooo_auto_submitted.eml"))
    assert outcome.kind == "triage"
    assert await _count(session, Message, Message.direction == Direction.OUT) == 0


async def test_reply_to_the_verification_mail_lands_on_its_ticket(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    opened = await _ingest(app, settings, _eml("en_access_plain.eml"))
    assert opened.kind == "new_ticket"
    sent = (
        await session.execute(select(Message).where(Message.kind == "received"))
    ).scalar_one()
    reply = (
        f"From: someone@example.com\r\nTo: privacy@example.com\r\n"
        f"Subject: Re: {sent.subject}\r\nMessage-ID: <reply-1@example.com>\r\n"
        f"In-Reply-To: <{sent.message_id}>\r\nReferences: <{sent.message_id}>\r\n\r\n"
        "Yes, it was me.\r\n"
    ).encode()
    outcome = await _ingest(app, settings, reply)
    assert (outcome.kind, outcome.reference) == ("reply", opened.reference)
    session.expire_all()
    dsr = (await session.execute(select(DsrRequest))).scalar_one()
    assert dsr.unread


async def test_subject_reference_alone_matches_the_ticket(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    opened = await _ingest(app, settings, _eml("en_access_plain.eml"))
    reply = (
        f"From: x@example.com\r\nSubject: question about {opened.reference}\r\n"
        "Message-ID: <loose@example.com>\r\n\r\nHello\r\n"
    ).encode()
    outcome = await _ingest(app, settings, reply)
    assert outcome.reference == opened.reference


async def test_unclear_mail_waits_in_triage(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    outcome = await _ingest(app, settings, _eml("ambiguous_billing.eml"))
    assert outcome.kind == "triage"
    assert await _count(session, Message, Message.triage == Triage.NEW) == 1
    assert await _count(session, DsrRequest) == 0


async def test_malformed_mail_never_crashes_the_pipeline(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    huge = (
        b"From: big@example.com\r\nSubject: files\r\nMessage-ID: <big@example.com>\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b"QUFB" * (20_000_000 // 4)
        + b"\r\n--XX--\r\n"
    )
    names = [
        "broken_mime.eml",
        "unknown_charset.eml",
        "header_injection.eml",
        "garbage_not_mail.eml",
    ]
    outcomes = [await _ingest(app, settings, _eml(name)) for name in names]
    outcomes.append(await _ingest(app, settings, huge))
    assert all(
        outcome.kind in {"triage", "new_ticket", "rejected"} for outcome in outcomes
    )
    stored = (
        await session.execute(
            select(Message).where(Message.message_id == "big@example.com")
        )
    ).scalar_one()
    assert stored.attachments[0]["too_large"] is True
    assert all(
        "\n" not in m.subject and "\r" not in m.subject
        for m in (await session.execute(select(Message))).scalars()
    )


async def test_cli_ingest(settings: Settings, app: FastAPI) -> None:
    import asyncio

    from typer.testing import CliRunner

    from app.cli import cli

    env = {
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_SECRET_KEY": settings.secret(),
        "DSR_DATA_DIR": str(settings.data_dir),
    }
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["mail", "ingest", str(CORPUS / "it_art17_erasure.eml")],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "new_ticket DSR-" in result.stdout
    missing = await asyncio.to_thread(
        CliRunner().invoke, cli, ["mail", "ingest", "/nonexistent.eml"], env=env
    )
    assert missing.exit_code == 1
    assert "no such file" in missing.stderr


async def test_a_bounce_fails_our_message_and_lands_on_its_ticket(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    opened = await _ingest(app, settings, _eml("en_access_plain.eml"))
    sent = (
        await session.execute(select(Message).where(Message.kind == "received"))
    ).scalar_one()
    report = _eml("bounce_delivery_status.eml").replace(
        b"<dsr.DSR-4HX8PQ2M.verify@desk.example.com>", f"<{sent.message_id}>".encode()
    )
    outcome = await _ingest(app, settings, report)
    assert (outcome.kind, outcome.reference) == ("bounce", opened.reference)
    assert "5.4.4" in (outcome.reason or "")
    session.expire_all()
    await session.refresh(sent)
    assert sent.state == "failed"
    assert (sent.error or "").startswith("bounced: Status: 5.4.4")
    outbound = (
        select(func.count())
        .select_from(Message)
        .where(Message.direction == Direction.OUT)
    )
    before = (await session.execute(outbound)).scalar_one()
    assert before == 1  # no automatic answer to a bounce


async def test_a_bounce_about_unknown_mail_waits_in_triage(
    app: FastAPI, settings: Settings
) -> None:
    outcome = await _ingest(app, settings, _eml("bounce_delivery_status.eml"))
    assert outcome.kind == "triage"
