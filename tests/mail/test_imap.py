"""IMAP polling against a real dovecot: every message is ingested exactly once."""

import asyncio
import shutil
import ssl
import subprocess
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import delete, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from app.flows.inbound import ingest
from app.mail.imap import FetchResult, MailboxError
from app.mail.imap import fetch_once as fetch_with
from app.mail.inbound import IngestOutcome
from app.mail.models import Direction, MailboxState, Message
from app.main import make_app_sessionmaker
from app.settings import Security, Settings
from tests.fixtures.mail import CORPUS, Dovecot, TestMailbox
from tests.fixtures.smtp import free_port

pytestmark = pytest.mark.imap

Maker = async_sessionmaker[AsyncSession]
REQUESTS = ("en_access_plain.eml", "it_art17_erasure.eml", "en_portability.eml")


async def fetch_once(maker: Any, settings: Settings, **options: Any) -> FetchResult:
    """One poll that hands messages to the real pipeline unless a test gives another."""
    options.setdefault("ingest_func", ingest)
    return await fetch_with(maker, settings, **options)


def _message_id(name: str) -> str:
    for line in (CORPUS / name).read_bytes().splitlines():
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().strip(b"<>").decode()
    raise AssertionError(f"{name} has no Message-ID")


async def _inbound_ids(maker: Maker) -> list[str]:
    """Message-IDs of the stored inbound mail, one entry per row."""
    async with maker() as session:
        query = select(Message.message_id).where(Message.direction == Direction.IN)
        return sorted(
            mid.strip("<>") for mid in (await session.execute(query)).scalars()
        )


async def _state(maker: Maker, folder: str = "INBOX") -> MailboxState | None:
    async with maker() as session:
        return await session.get(MailboxState, folder)


def _counts(result: FetchResult) -> tuple[int, int, int, int, int]:
    return (
        result.fetched,
        result.ingested,
        result.duplicates,
        result.rejected,
        result.errors,
    )


async def test_new_mail_is_ingested_once_and_marked_seen(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    uids = mailbox.append_files(*REQUESTS)
    assert all("\\Seen" not in mailbox.flags(uid) for uid in uids)

    result = await fetch_once(db_maker, imap_settings)

    assert _counts(result) == (3, 3, 0, 0, 0)
    assert await _inbound_ids(db_maker) == sorted(map(_message_id, REQUESTS))
    assert all("\\Seen" in mailbox.flags(uid) for uid in uids)
    state = await _state(db_maker)
    assert state is not None
    assert state.last_uid == max(uids)


async def test_a_second_fetch_ingests_nothing(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    mailbox.append_files(*REQUESTS)
    await fetch_once(db_maker, imap_settings)

    again = await fetch_once(db_maker, imap_settings)

    # `UID FETCH n:*` still matches the highest UID; it must not be fetched again.
    assert _counts(again) == (0, 0, 0, 0, 0)
    assert len(await _inbound_ids(db_maker)) == 3


async def test_a_restart_ingests_nothing_again(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    mailbox.append_files(*REQUESTS)
    await fetch_once(db_maker, imap_settings)

    restarted = make_app_sessionmaker(
        imap_settings
    )  # a new engine on the same database
    try:
        result = await fetch_once(restarted, imap_settings)
    finally:
        await restarted.kw["bind"].dispose()

    assert _counts(result) == (0, 0, 0, 0, 0)
    assert len(await _inbound_ids(db_maker)) == 3


async def test_mail_appended_after_a_fetch_is_picked_up(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    mailbox.append_files(REQUESTS[0])
    await fetch_once(db_maker, imap_settings)
    later = mailbox.append_files(*REQUESTS[1:])

    result = await fetch_once(db_maker, imap_settings)

    assert _counts(result) == (2, 2, 0, 0, 0)
    assert await _inbound_ids(db_maker) == sorted(map(_message_id, REQUESTS))
    state = await _state(db_maker)
    assert state is not None
    assert state.last_uid == max(later)


async def test_an_empty_mailbox_gives_an_empty_result(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    result = await fetch_once(db_maker, imap_settings)

    assert _counts(result) == (0, 0, 0, 0, 0)
    state = await _state(db_maker)
    assert state is not None
    assert state.last_uid == 0


async def test_mail_stays_unseen_until_ingest_has_committed(
    db_maker: Maker,
    imap_settings: Settings,
    mailbox: TestMailbox,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    [uid] = mailbox.append_files(REQUESTS[0])
    # A database that has the mailbox state but no message table: ingest fails after the
    # message was downloaded.
    path = tmp_path_factory.mktemp("broken") / "dsr.db"
    url = f"sqlite+aiosqlite:///{path}"
    broken = make_app_sessionmaker(
        imap_settings.model_copy(update={"database_url": url})
    )
    try:
        async with broken.kw["bind"].begin() as connection:
            await connection.run_sync(MailboxState.__table__.create)  # type: ignore[attr-defined]
        with pytest.raises(SQLAlchemyError):
            await fetch_once(broken, imap_settings)
    finally:
        await broken.kw["bind"].dispose()
    assert "\\Seen" not in mailbox.flags(uid)

    result = await fetch_once(db_maker, imap_settings)

    assert result.ingested == 1
    assert "\\Seen" in mailbox.flags(uid)


async def test_a_crash_between_ingest_and_the_state_update_is_exactly_once(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    uids = mailbox.append_files(*REQUESTS)
    await fetch_once(db_maker, imap_settings)
    # What a crash right after `ingest` committed leaves behind: stored messages that are
    # still unseen in the folder and above the watermark.
    for uid in uids:
        mailbox.unsee(uid)
    async with db_maker.begin() as session:
        await session.execute(update(MailboxState).values(last_uid=0))

    result = await fetch_once(db_maker, imap_settings)

    assert _counts(result) == (3, 0, 3, 0, 0)
    assert await _inbound_ids(db_maker) == sorted(map(_message_id, REQUESTS))
    assert all("\\Seen" in mailbox.flags(uid) for uid in uids)


class _Crash(BaseException):
    """The process dying: not an error the poll may catch."""


async def test_a_crash_right_after_ingest_committed_is_exactly_once(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    uids = mailbox.append_files(*REQUESTS)
    crashing = (CORPUS / REQUESTS[1]).read_bytes()

    async def ingest_then_die(
        maker: Maker, raw: bytes, /, *, settings: Settings, source: str, **more: Any
    ) -> IngestOutcome:
        outcome = await ingest(maker, raw, settings=settings, source=source, **more)
        if raw == crashing:
            raise _Crash
        return outcome

    with pytest.raises(_Crash):
        await fetch_once(db_maker, imap_settings, ingest_func=ingest_then_die)
    assert "\\Seen" not in mailbox.flags(uids[1])

    result = await fetch_once(db_maker, imap_settings)

    assert _counts(result) == (2, 1, 1, 0, 0)
    assert await _inbound_ids(db_maker) == sorted(map(_message_id, REQUESTS))
    assert all("\\Seen" in mailbox.flags(uid) for uid in uids)


async def test_a_lost_state_row_does_not_duplicate_mail(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    mailbox.append_files(*REQUESTS)
    await fetch_once(db_maker, imap_settings)
    async with db_maker.begin() as session:
        await session.execute(delete(MailboxState))

    result = await fetch_once(db_maker, imap_settings)

    assert result.duplicates == 3
    assert len(await _inbound_ids(db_maker)) == 3


async def test_a_uidvalidity_change_starts_over_without_duplicates(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    folder = "Privacy"
    settings = imap_settings.model_copy(update={"imap_folder": folder})
    mailbox.create(folder)
    mailbox.append_files(*REQUESTS[:2], folder=folder)
    await fetch_once(db_maker, settings)
    before = await _state(db_maker, folder)
    # Recreating the folder restarts its UIDs under a new UIDVALIDITY.
    mailbox.delete(folder)
    mailbox.create(folder)
    uids = mailbox.append_files(REQUESTS[0], REQUESTS[2], folder=folder)

    result = await fetch_once(db_maker, settings)

    assert _counts(result) == (2, 1, 1, 0, 0)
    assert await _inbound_ids(db_maker) == sorted(map(_message_id, REQUESTS))
    after = await _state(db_maker, folder)
    assert before is not None
    assert after is not None
    assert after.uidvalidity != before.uidvalidity
    assert after.last_uid == max(uids)


async def test_uidvalidity_beyond_signed_32_bits_is_stored(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox, dovecot: Dovecot
) -> None:
    mailbox.append_files(REQUESTS[0])
    doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
    user = imap_settings.imap_username or ""
    command = [doveadm, "-c", str(dovecot.config), "mailbox", "update", "-u", user]
    command += ["--uid-validity", "3000000000", "INBOX"]
    await asyncio.to_thread(subprocess.run, command, check=True)
    assert (await fetch_once(db_maker, imap_settings)).ingested == 1
    state = await _state(db_maker, "INBOX")
    assert state is not None
    assert state.uidvalidity == 3_000_000_000


async def test_malformed_mail_does_not_block_the_mail_after_it(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    hostile = ("garbage_not_mail.eml", "broken_mime.eml", "header_injection.eml")
    uids = mailbox.append_files(*hostile, REQUESTS[0])

    result = await fetch_once(db_maker, imap_settings)

    assert result.fetched == 4
    assert result.errors == 0
    assert result.ingested + result.rejected == 4
    assert _message_id(REQUESTS[0]) in await _inbound_ids(db_maker)
    state = await _state(db_maker)
    assert state is not None
    assert state.last_uid == max(uids)


async def test_a_failed_message_is_retried_and_holds_the_watermark(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    uids = mailbox.append_files(*REQUESTS)
    failing = (CORPUS / REQUESTS[1]).read_bytes()

    async def ingest_with_a_bug(
        maker: Maker, raw: bytes, /, *, settings: Settings, source: str, **more: Any
    ) -> IngestOutcome:
        if raw == failing:
            raise ValueError("a bug in the pipeline")
        return await ingest(maker, raw, settings=settings, source=source, **more)

    first = await fetch_once(db_maker, imap_settings, ingest_func=ingest_with_a_bug)

    assert _counts(first) == (3, 2, 0, 0, 1)
    assert "\\Seen" not in mailbox.flags(uids[1])
    assert "\\Seen" in mailbox.flags(uids[2])  # the batch went on
    state = await _state(db_maker)
    assert state is not None
    assert state.last_uid == uids[0]  # but the watermark stayed below the failure

    second = await fetch_once(db_maker, imap_settings)

    assert _counts(second) == (2, 1, 1, 0, 0)
    assert await _inbound_ids(db_maker) == sorted(map(_message_id, REQUESTS))
    state = await _state(db_maker)
    assert state is not None
    assert state.last_uid == max(uids)


async def test_an_oversized_message_is_left_unread_and_passed(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    big = (CORPUS / REQUESTS[1]).read_bytes() + (b"x" * 76 + b"\r\n") * 1000
    big_uid = mailbox.append(big)
    [small_uid] = mailbox.append_files(REQUESTS[0])

    result = await fetch_once(db_maker, imap_settings, max_bytes=64 * 1024)

    assert _counts(result) == (1, 1, 0, 1, 0)
    assert "\\Seen" not in mailbox.flags(big_uid)
    assert await _inbound_ids(db_maker) == [_message_id(REQUESTS[0])]
    state = await _state(db_maker)
    assert state is not None
    assert state.last_uid == small_uid


async def test_a_folder_with_a_non_ascii_name_is_polled(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    folder = "Anfragen & Löschung"
    mailbox.client.create('"Anfragen &- L&APY-schung"')  # modified UTF-7, by hand
    mailbox.append_files(REQUESTS[0], folder=folder)

    result = await fetch_once(
        db_maker, imap_settings.model_copy(update={"imap_folder": folder})
    )

    assert result.ingested == 1
    assert await _state(db_maker, folder) is not None


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
async def test_tls_and_starttls_verify_the_server(
    db_maker: Maker,
    imap_settings: Settings,
    mailbox: TestMailbox,
    dovecot: Dovecot,
    security: Security,
) -> None:
    port = dovecot.tls_port if security is Security.TLS else dovecot.port
    settings = imap_settings.model_copy(
        update={"imap_security": security, "imap_port": port}
    )
    mailbox.append_files(REQUESTS[0])

    result = await fetch_once(db_maker, settings, ssl_context=dovecot.tls_context())

    assert result.ingested == 1


async def test_an_untrusted_certificate_is_refused(
    db_maker: Maker, imap_settings: Settings, dovecot: Dovecot
) -> None:
    settings = imap_settings.model_copy(
        update={"imap_security": Security.TLS, "imap_port": dovecot.tls_port}
    )

    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
        await fetch_once(db_maker, settings, ssl_context=ssl.create_default_context())


async def test_a_wrong_password_is_a_mailbox_error_without_the_password(
    db_maker: Maker, imap_settings: Settings
) -> None:
    settings = imap_settings.model_copy(
        update={"imap_password": SecretStr("not-it-123")}
    )

    with pytest.raises(MailboxError) as raised:
        await fetch_once(db_maker, settings)

    assert "not-it-123" not in str(raised.value)
    assert await _state(db_maker) is None


async def test_a_missing_folder_is_a_mailbox_error(
    db_maker: Maker, imap_settings: Settings
) -> None:
    settings = imap_settings.model_copy(update={"imap_folder": "Nowhere"})

    with pytest.raises(MailboxError, match="'Nowhere' cannot be opened"):
        await fetch_once(db_maker, settings)


async def test_polling_needs_a_configured_host(
    db_maker: Maker, settings: Settings
) -> None:
    with pytest.raises(MailboxError, match="DSR_IMAP_HOST"):
        await fetch_once(db_maker, settings)


async def test_an_unreachable_server_is_a_mailbox_error(
    db_maker: Maker, imap_settings: Settings
) -> None:
    settings = imap_settings.model_copy(update={"imap_port": free_port()})

    with pytest.raises(MailboxError, match="connection failed"):
        await fetch_once(db_maker, settings)


async def test_a_request_s_clock_starts_at_the_server_s_internaldate(
    db_maker: Maker, imap_settings: Settings, mailbox: TestMailbox
) -> None:
    from datetime import UTC, datetime

    from app.requests.models import DsrRequest

    arrived = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the Date: header says 5 March
    mailbox.append((CORPUS / "it_art17_erasure.eml").read_bytes(), arrived=arrived)

    await fetch_once(db_maker, imap_settings)

    async with db_maker() as session:
        [dsr] = (await session.execute(select(DsrRequest))).scalars()
    assert dsr.received_at == arrived
