"""The outbox delivers through a real SMTP server, retries when it is down, never drops mail.

Besides the shared `smtp_server`, these tests use a relay of their own (aiosmtpd on loopback)
that records which session carried each message and can refuse, hold or hang up.
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import urlsplit, urlunsplit

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from app.audit import service as audit
from app.db import utcnow
from app.mail import outbox
from app.mail.lease import LEASE_SECONDS
from app.mail.models import Message, MessageState
from app.mail.transport import DevOutbox, SmtpTransport
from app.main import make_app_sessionmaker
from app.requests import tickets
from app.settings import Security, Settings
from tests.factories import make_request
from tests.fixtures.smtp import SmtpServer, free_port
from tests.fixtures.tcp_proxy import TcpProxy

CONTEXT = {
    "verify_url": "https://desk.example.com/verify/abc",
    "code": "7K3MQ9",
    "code_url": "https://desk.example.com/verify",
    "expires_on": utcnow().date(),
    "closes_on": utcnow().date(),
    "due_on": utcnow().date(),
}


@dataclass
class Relay:
    """An aiosmtpd handler: what it accepted, over which sessions, and how to misbehave."""

    port: int = 0
    accepted: list[EmailMessage] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)  # one per connection
    carried: list[int] = field(default_factory=list)  # messages per session
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> RCPT reply
    close_after: int | None = None  # hang up after this many messages on a session
    # Hold the first message until `release` is set (signalling `holding`), then refuse it.
    hold_first: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    # Runs (on the relay's loop) just before a message is answered 250.
    before_accepting: Callable[[], Awaitable[None]] | None = None

    def message_ids(self) -> list[str]:
        """The Message-IDs accepted, in order."""
        return [str(message["Message-ID"]) for message in self.accepted]

    async def handle_RCPT(
        self,
        _server: SMTP,
        _session: Session,
        envelope: Envelope,
        address: str,
        _options: list[str],
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        loop = asyncio.get_running_loop()
        if self.hold_first and not self.holding.is_set():
            self.holding.set()
            await loop.run_in_executor(None, self.release.wait, 30)
            return "451 4.3.0 held, try again"
        if self.before_accepting is not None:
            await self.before_accepting()
        parsed = message_from_bytes(
            envelope.original_content or b"", policy=policy.default
        )
        assert isinstance(parsed, EmailMessage)
        self.accepted.append(parsed)
        index = next(
            (n for n, known in enumerate(self.sessions) if known is session), None
        )
        if index is None:
            self.sessions.append(session)
            self.carried.append(0)
            index = len(self.sessions) - 1
        self.carried[index] += 1
        if self.carried[index] == self.close_after:
            # Runs after the 250 is written: aiosmtpd writes it before it next yields.
            loop.call_soon(server.transport.close)
        return "250 OK"


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    """A fresh relay on a free loopback port."""
    handler = Relay(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    await asyncio.to_thread(controller.start)
    try:
        yield handler
    finally:
        handler.release.set()
        await asyncio.to_thread(controller.stop)


def _to_relay(settings: Settings, relay: Relay) -> SmtpTransport:
    return SmtpTransport(
        settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": relay.port,
                "smtp_security": Security.NONE,
            }
        )
    )


async def _queue(session: AsyncSession, settings: Settings, count: int) -> list[str]:
    """Queue `count` mails on one ticket, to different people; their Message-IDs."""
    made = await make_request(session)
    ids = []
    async with tickets.edit(session, made.reference) as dsr:
        for n in range(count):
            message = await outbox.queue(
                session,
                settings=settings,
                template="verify",
                to=f"person{n}@example.com",
                dsr=dsr,
                context=CONTEXT,
            )
            ids.append(f"<{message.message_id}>")
    await session.commit()
    return ids


async def _states(maker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with maker() as session:
        states = (await session.execute(select(Message.state))).scalars().all()
    return {state.value: states.count(state) for state in set(states)}


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
                context=CONTEXT,
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
    # One message finds the server down; the other keeps its attempts for later.
    assert (down.sent, down.retrying) == (0, 1)
    rows = (await session.execute(select(Message))).scalars().all()
    assert {row.state for row in rows} == {MessageState.QUEUED}
    assert sorted(row.attempts for row in rows) == [0, 1]
    assert all(row.claimed_by is None for row in rows)  # released, not leased
    smtp_server.start()
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        early = await outbox.deliver_due(app.state.sessionmaker, transport)
    assert early.sent == 2  # the first backoff is at most a minute
    assert len(smtp_server.mailbox.messages) == 2


async def test_the_dev_outbox_marks_mail_sent(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    await _queue_two(session, settings)

    run = await outbox.deliver_due(app.state.sessionmaker, DevOutbox())

    assert run.sent == 2
    assert await _states(app.state.sessionmaker) == {"sent": 2}


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


async def test_a_batch_goes_over_one_smtp_session(
    app: FastAPI, session: AsyncSession, settings: Settings, relay: Relay
) -> None:
    ids = await _queue(session, settings, 30)

    run = await outbox.deliver_due(app.state.sessionmaker, _to_relay(settings, relay))

    assert run.sent == 30
    assert relay.message_ids() == ids  # oldest first
    assert len(relay.sessions) == 1


async def test_a_session_the_server_hangs_up_is_reopened(
    app: FastAPI, session: AsyncSession, settings: Settings, relay: Relay
) -> None:
    ids = await _queue(session, settings, 10)
    relay.close_after = 4  # like servers that cap the messages per session

    run = await outbox.deliver_due(app.state.sessionmaker, _to_relay(settings, relay))

    assert (run.sent, run.retrying) == (10, 0)
    assert relay.message_ids() == ids
    assert len(relay.sessions) == 3


async def test_one_refused_message_does_not_affect_the_rest_of_the_batch(
    app: FastAPI, session: AsyncSession, settings: Settings, relay: Relay
) -> None:
    ids = await _queue(session, settings, 6)
    relay.refuse = {
        "person1@example.com": "550 5.1.1 no such user",
        "person4@example.com": "450 4.2.1 mailbox busy",
    }

    run = await outbox.deliver_due(app.state.sessionmaker, _to_relay(settings, relay))

    assert (run.sent, run.retrying, run.failed) == (4, 1, 1)
    assert relay.message_ids() == [ids[0], ids[2], ids[3], ids[5]]
    assert len(relay.sessions) == 1
    assert await _states(app.state.sessionmaker) == {
        "sent": 4,
        "queued": 1,
        "failed": 1,
    }


async def test_a_dead_workers_mail_is_taken_over_once_its_lease_ends(
    app: FastAPI, session: AsyncSession, settings: Settings, relay: Relay
) -> None:
    ids = await _queue(session, settings, 3)
    relay.hold_first = True
    maker = app.state.sessionmaker
    first = asyncio.create_task(outbox.deliver_due(maker, _to_relay(settings, relay)))
    assert await asyncio.to_thread(relay.holding.wait, 10)
    # The first worker dies in the middle of DATA. Cancelling it leaves the database as
    # kill -9 would: nothing is written on the way out, the claim stays.
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    relay.release.set()

    second = _to_relay(settings, relay)
    early = await outbox.deliver_due(maker, second)
    with time_machine.travel(utcnow() + timedelta(seconds=LEASE_SECONDS + 1)):
        late = await outbox.deliver_due(maker, second)

    assert early.sent == 0  # still leased to the first worker
    assert late.sent == 3
    assert relay.message_ids() == ids
    assert LEASE_SECONDS <= 30  # taken over within seconds, not minutes


async def test_a_slow_relay_keeps_the_lease_so_no_second_worker_sends(
    app: FastAPI, session: AsyncSession, settings: Settings, relay: Relay
) -> None:
    ids = await _queue(session, settings, 3)
    relay.hold_first = True
    relay.refuse = {}
    maker = app.state.sessionmaker
    lease = 2.0
    first = asyncio.create_task(
        outbox.deliver_due(maker, _to_relay(settings, relay), lease_seconds=lease)
    )
    assert await asyncio.to_thread(relay.holding.wait, 10)
    granted = await _lease_ends(maker)
    # Wait for the heartbeat, polling the database: the lease first granted is over by the
    # wall clock, and a renewal has carried it at least half a lease further.
    for _ in range(300):
        ends = await _lease_ends(maker)
        if utcnow() > granted and ends > utcnow() + timedelta(seconds=lease / 2):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the lease was not renewed")

    second = await outbox.deliver_due(
        maker, _to_relay(settings, relay), lease_seconds=lease
    )
    relay.release.set()  # the held message is refused (451): it is retried later
    done = await first

    assert second.sent == 0
    assert (done.sent, done.retrying) == (2, 1)
    assert relay.message_ids() == ids[1:]


async def _lease_ends(maker: async_sessionmaker[AsyncSession]) -> datetime:
    async with maker() as session:
        query = select(Message.claimed_until).where(
            Message.state == MessageState.QUEUED
        )
        ends = [end for end in (await session.execute(query)).scalars() if end]
    return min(ends)


@pytest.mark.pg
async def test_a_lost_database_after_the_relay_accepted_does_not_send_again(
    app: FastAPI, session: AsyncSession, settings: Settings, relay: Relay
) -> None:
    ids = await _queue(session, settings, 3)
    # The outbox reaches PostgreSQL through a proxy that the relay cuts just before it
    # answers 250 to the first message: every connection drops, and the next two
    # attempts to connect are refused.
    url = urlsplit(settings.database_url)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 5432)
    await proxy.start()
    netloc = f"{url.username}@127.0.0.1:{proxy.port}"
    proxied = settings.model_copy(
        update={"database_url": urlunsplit(url._replace(netloc=netloc))}
    )
    maker = make_app_sessionmaker(proxied)
    loop = asyncio.get_running_loop()

    async def cut() -> None:
        proxy.cut(refuse=2)

    async def cut_once() -> None:  # on the relay's own loop
        relay.before_accepting = None
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(cut(), loop))

    relay.before_accepting = cut_once
    try:
        run = await outbox.deliver_due(maker, _to_relay(proxied, relay))
        with time_machine.travel(utcnow() + timedelta(seconds=LEASE_SECONDS + 1)):
            again = await outbox.deliver_due(maker, _to_relay(proxied, relay))
    finally:
        await maker.kw["bind"].dispose()
        await proxy.stop()

    assert proxy.refused == 2  # the database really was out of reach for a while
    assert (run.sent, again.sent) == (3, 0)
    assert relay.message_ids() == ids  # each exactly once
    assert await _states(app.state.sessionmaker) == {"sent": 3}


async def test_queued_mail_wakes_the_outbox_without_waiting_for_a_poll(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    from app.jobs import JobContext, Worker, load_jobs

    maker = app.state.sessionmaker
    worker = Worker(
        JobContext(settings, maker), jobs={"outbox": load_jobs()["outbox"]}, poll=False
    )
    await worker.start()
    try:
        await worker.idle()
        async with maker() as other:
            made = await make_request(other)
            async with tickets.edit(other, made.reference) as dsr:
                await outbox.queue(
                    other,
                    settings=settings,
                    template="verify",
                    to=dsr.subject_email,
                    dsr=dsr,
                    context=CONTEXT,
                )
            await other.commit()
        await worker.idle()
        assert await _states(maker) == {"sent": 1}  # the dev outbox took it at once
    finally:
        await worker.stop()
