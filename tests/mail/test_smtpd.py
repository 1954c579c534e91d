"""The embedded SMTP receiver: 250 only after the message is stored, 4xx when it is not."""

import asyncio
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from app.mail.models import Direction, Message
from app.mail.smtpd import Receiver, start_receiver
from app.main import make_app_sessionmaker
from app.settings import Settings
from tests.fixtures.mail import CORPUS
from tests.fixtures.smtp import free_port

Maker = async_sessionmaker[AsyncSession]
SENDER = "mx-test@example.net"
SUPPORT = "support@example.com"


def _corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


async def _send(port: int, raw: bytes) -> aiosmtplib.SMTPResponse:
    """Send like an MTA that does not announce the size: MAIL, RCPT, DATA."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as smtp:
        await smtp.mail(SENDER)
        await smtp.rcpt(SUPPORT)
        return await smtp.data(raw)


async def _inbound(maker: Maker) -> list[Message]:
    async with maker() as session:
        query = select(Message).where(Message.direction == Direction.IN)
        return list((await session.execute(query)).scalars())


async def test_a_message_is_stored_when_the_sender_gets_250(
    receiver: Receiver, db_maker: Maker
) -> None:
    response = await _send(receiver.port, _corpus("en_access_plain.eml"))

    assert response.code == 250
    stored = await _inbound(db_maker)
    assert [row.message_id for row in stored] == ["CAF3n9Xk2pQ7vLr0@mail.example.org"]


async def test_a_message_delivered_twice_is_stored_once(
    receiver: Receiver, db_maker: Maker
) -> None:
    raw = _corpus("it_art17_erasure.eml")

    first = await _send(receiver.port, raw)
    second = await _send(receiver.port, raw)  # an MTA retrying after a lost 250

    assert (first.code, second.code) == (250, 250)
    assert len(await _inbound(db_maker)) == 1


async def test_the_library_client_delivers_with_size_announced(
    receiver: Receiver, db_maker: Maker
) -> None:
    errors, _ = await aiosmtplib.send(
        _corpus("nl_inzage.eml"),
        sender=SENDER,
        recipients=[SUPPORT],
        hostname="127.0.0.1",
        port=receiver.port,
    )

    assert errors == {}
    assert len(await _inbound(db_maker)) == 1


async def test_an_oversized_message_is_refused_during_data(
    receiver: Receiver, db_maker: Maker
) -> None:
    raw = _corpus("en_access_plain.eml") + (b"A" * 76 + b"\r\n") * 1000  # > 64 KiB

    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await _send(receiver.port, raw)

    assert refused.value.code == 552
    assert await _inbound(db_maker) == []


async def test_an_oversized_message_is_refused_when_its_size_is_announced(
    receiver: Receiver, db_maker: Maker
) -> None:
    raw = _corpus("en_access_plain.eml") + (b"A" * 76 + b"\r\n") * 1000

    with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
        await aiosmtplib.send(
            raw,
            sender=SENDER,
            recipients=[SUPPORT],
            hostname="127.0.0.1",
            port=receiver.port,
        )

    assert refused.value.code == 552
    assert await _inbound(db_maker) == []


async def test_lines_longer_than_rfc_5321_allows_are_accepted(
    receiver: Receiver, db_maker: Maker
) -> None:
    head, _, body = _corpus("en_portability.eml").partition(b"\r\n\r\n")
    raw = head + b"\r\n\r\n" + b"<p>" + b"long line " * 600 + b"</p>\r\n" + body

    response = await _send(receiver.port, raw)

    assert response.code == 250
    assert len(await _inbound(db_maker)) == 1


async def test_mail_that_cannot_be_stored_gets_a_temporary_failure(
    settings: Settings, tmp_path: Path
) -> None:
    # A database without our tables: ingest raises, the sender must keep the message.
    empty = settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"}
    )
    maker = make_app_sessionmaker(empty)
    running = await start_receiver(maker, empty, port=0)
    try:
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await _send(running.port, _corpus("en_access_plain.eml"))
    finally:
        await running.stop()
        await maker.kw["bind"].dispose()

    assert 400 <= refused.value.code < 500


async def test_an_unreachable_database_gets_a_temporary_failure(
    settings: Settings,
) -> None:
    url = f"postgresql+asyncpg://dsr@127.0.0.1:{free_port()}/nowhere"
    unreachable = settings.model_copy(update={"database_url": url})
    maker = make_app_sessionmaker(unreachable)
    running = await start_receiver(maker, unreachable, port=0)
    try:
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await _send(running.port, _corpus("en_access_plain.eml"))
    finally:
        await running.stop()
        await maker.kw["bind"].dispose()

    assert refused.value.code == 451


async def test_unreadable_mail_gets_an_answer_that_matches_the_database(
    receiver: Receiver, db_maker: Maker
) -> None:
    try:
        code = (await _send(receiver.port, _corpus("garbage_not_mail.eml"))).code
    except aiosmtplib.SMTPDataError as refused:
        code = refused.code

    # Either stored for triage and accepted, or refused for good and not stored.
    assert (code, len(await _inbound(db_maker))) in {(250, 1), (554, 0)}


async def test_stopping_the_receiver_closes_open_sessions(
    db_maker: Maker, settings: Settings
) -> None:
    running = await start_receiver(db_maker, settings, port=0)
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=running.port, timeout=10)
    await smtp.connect()
    await smtp.ehlo()

    await running.stop()

    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await smtp.noop()
    smtp.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", running.port)


async def test_the_port_comes_from_the_settings(
    db_maker: Maker, settings: Settings
) -> None:
    port = free_port()
    running = await start_receiver(
        db_maker, settings.model_copy(update={"inbound_smtp_port": port})
    )
    try:
        assert running.port == port
    finally:
        await running.stop()


async def test_a_receiver_that_is_off_does_not_start(
    db_maker: Maker, settings: Settings
) -> None:
    with pytest.raises(ValueError, match="DSR_INBOUND_SMTP_PORT"):
        await start_receiver(db_maker, settings)
