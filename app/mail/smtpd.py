"""The embedded SMTP receiver for support@: a message is answered 250 only once it is stored.

It accepts mail for any recipient and never relays: everything it receives goes to
`ingest`, nowhere else. It sits behind an MX (or a forward) and offers neither AUTH nor
STARTTLS. The reply to DATA tells the sending MTA what to do: 250 after `ingest` has
committed (or found the message already stored), 451 when storing failed for a reason that
may pass (the MTA keeps the message and retries) or took longer than the receiver's timeout,
554 when `ingest` refused the message, and from aiosmtpd itself 552 when the message is
larger than the limit and 500 when one of its lines is longer than 1 MiB (an MTA folds long
header lines and breaks long body lines; RFC 5321 allows 1,000 octets). `ingest` reads the
message in a worker thread, so the timeout can cut even a message whose parsing hangs, and
other sessions are served meanwhile.

The server runs on the caller's event loop rather than in aiosmtpd's threaded `Controller`:
the app's sessionmaker and its pooled connections belong to that loop, and a second loop
in another thread could not use them.
"""

import asyncio
import logging
from urllib.parse import urlsplit
from weakref import WeakSet

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import utcnow
from app.logging import failure, log
from app.mail.inbound import IngestFunc
from app.settings import Settings

# The usual limit of mail providers, and below ingest's own MAX_RAW_BYTES: a sender hears 552
# before uploading more, never a refusal after it.
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
# A sending MTA waits up to 10 minutes for the reply to DATA (RFC 5321 4.5.3.2.6).
INGEST_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 5.0
MAX_LINE_BYTES = 1024 * 1024  # answered 500 by aiosmtpd beyond it

ACCEPTED = "250 2.0.0 OK: message accepted"
TRY_AGAIN = "451 4.3.0 Temporary failure, please try again later"
REFUSED = "554 5.6.0 Message not accepted"


class InboundHandler:
    """aiosmtpd handler: every message that reaches DATA is handed to `ingest`."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        settings: Settings,
        ingest: IngestFunc,
        timeout: float = INGEST_TIMEOUT_SECONDS,
    ) -> None:
        self._ingest = ingest
        self._maker = maker
        self._settings = settings
        self._timeout = timeout

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Store the message, then answer: 250 stored, 451 try again, 554 refused."""
        arrived = utcnow()  # the legal clock starts when the request reached us
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):  # decode_data=False always gives bytes
            raw = str(raw).encode("utf-8", "surrogateescape")
        try:
            async with asyncio.timeout(self._timeout):
                outcome = await self._ingest(
                    self._maker,
                    raw,
                    settings=self._settings,
                    source="smtp",
                    received_at=arrived,
                )
        except TimeoutError:
            # The MTA keeps the message and offers it again later; nothing was stored.
            log.warning("mail.smtpd.timed_out", size=len(raw), seconds=self._timeout)
            return TRY_AGAIN
        except Exception as exc:
            # Database down, timeout or a bug: the MTA keeps the message and retries.
            # Only the type and place are logged: messages may quote the mail.
            log.error("mail.smtpd.failed", size=len(raw), **failure(exc))
            return TRY_AGAIN
        if outcome.kind == "rejected":
            log.warning("mail.smtpd.rejected", size=len(raw), reason=outcome.reason)
            return REFUSED
        log.info(
            "mail.smtpd.received",
            kind=outcome.kind,
            reference=outcome.reference,
            size=len(raw),
        )
        return ACCEPTED


class _SupportSMTP(SMTP):
    # RFC 5321 caps lines at 1000 octets, but real mail (long HTML lines) breaks it and
    # refusing would bounce the request; the message size limit still bounds memory. Not
    # higher: aiosmtpd buffers up to twice this and reads buffered lines without giving
    # the event loop a turn, so a larger buffer would stall the app for longer.
    line_length_limit = MAX_LINE_BYTES


class Receiver:
    """A running SMTP receiver on the current event loop."""

    def __init__(self, server: asyncio.Server, sessions: WeakSet[SMTP]) -> None:
        self._server = server
        self._sessions = sessions
        # The port it listens on (the one chosen, when started on port 0).
        self.port: int = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop open sessions; an unanswered sender will retry."""
        self._server.close()
        tasks: list[asyncio.Task[None]] = []
        for protocol in list(self._sessions):
            if protocol.transport is not None:
                protocol.transport.close()
            # aiosmtpd runs each session in this task; wait until it has wound down.
            task = getattr(protocol, "_handler_coroutine", None)
            if isinstance(task, asyncio.Task) and not task.done():
                tasks.append(task)
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_TIMEOUT_SECONDS)
        await self._server.wait_closed()
        log.info("mail.smtpd.stopped")


async def start_receiver(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    ingest: IngestFunc,
    hostname: str = "127.0.0.1",
    port: int | None = None,
    max_bytes: int = MAX_MESSAGE_BYTES,
    ingest_timeout: float = INGEST_TIMEOUT_SECONDS,
) -> Receiver:
    """Listen for SMTP on `hostname` and `port` (default `DSR_INBOUND_SMTP_PORT`; 0 = any)
    and hand each message to `ingest` (the pipeline, `app.flows.inbound.ingest`).

    A message not stored within `ingest_timeout` seconds of its DATA is answered 451.
    """
    if port is None:
        if not settings.inbound_smtp_port:
            raise ValueError("the SMTP receiver is off: DSR_INBOUND_SMTP_PORT is 0")
        port = settings.inbound_smtp_port
    # aiosmtpd logs peers and recipients at INFO and raw commands at DEBUG: addresses
    # are personal data, so only its warnings pass.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = InboundHandler(maker, settings, ingest, ingest_timeout)
    greeting_name = urlsplit(settings.base_url).hostname or "localhost"
    sessions: WeakSet[SMTP] = WeakSet()
    loop = asyncio.get_running_loop()

    def new_session() -> SMTP:
        protocol = _SupportSMTP(
            handler,
            data_size_limit=max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=greeting_name,  # also avoids a slow reverse DNS lookup
            ident="DSR Desk",
            loop=loop,
        )
        sessions.add(protocol)
        return protocol

    server = await loop.create_server(new_session, host=hostname, port=port)
    receiver = Receiver(server, sessions)
    log.info("mail.smtpd.started", host=hostname, port=receiver.port)
    return receiver
