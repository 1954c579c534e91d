"""Getting built messages to the world: SMTP with aiosmtplib, or the dev outbox.

A transport opens one connection for a batch of messages. Over SMTP that is one session
(TCP, TLS, EHLO and AUTH paid once) kept open for the whole batch and reopened when the
server dropped it. A message is sent as MAIL, RCPT and DATA, so a failure is known to have
come before DATA (the server has nothing: trying again on a new session is safe) or during
it (the server may have the message: only the outbox's backoff tries it again).
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender, flatten_message

from app.logging import log
from app.settings import Security, Settings

QUIT_TIMEOUT_SECONDS = 5.0


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


class TransientFailure(Exception):
    """The server is down or asked us to come back later (4xx, timeouts)."""


class Unreachable(TransientFailure):
    """No session could be opened: nothing else will get through for now either."""


class Connection(Protocol):
    """An open way out: sends one message or raises PermanentFailure / TransientFailure."""

    async def send(self, message: EmailMessage) -> None: ...


class Transport(Protocol):
    """Opens a connection that a batch of messages is sent over."""

    def connect(self) -> AbstractAsyncContextManager[Connection]: ...


class SmtpTransport:
    """Outbound SMTP as configured by `DSR_SMTP_*`."""

    def __init__(self, settings: Settings, *, timeout: float = 30) -> None:
        self._settings = settings
        self._timeout = timeout

    @asynccontextmanager
    async def connect(self) -> AsyncIterator["SmtpConnection"]:
        """One SMTP session for a batch, opened at the first message, closed with QUIT."""
        connection = SmtpConnection(self._settings, self._timeout)
        try:
            yield connection
        finally:
            await connection.close()


class SmtpConnection:
    """An SMTP session reused message after message; reopened when the server dropped it."""

    def __init__(self, settings: Settings, timeout: float) -> None:
        self._settings = settings
        self._timeout = timeout
        self._client: aiosmtplib.SMTP | None = None
        # Once the server cannot be reached, later sends fail at once rather than each
        # waiting out its own connect timeout.
        self._unreachable: str | None = None
        self.opened = 0  # sessions opened so far

    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the SMTP server."""
        reused = await self._ensure_open()
        try:
            await self._transaction(message)
        except _Stale:
            if not reused:
                raise TransientFailure("the SMTP server closed the session") from None
            # A kept session the server dropped while idle: it has nothing of this
            # message yet, so one new session may carry it.
            await self._ensure_open()
            try:
                await self._transaction(message)
            except _Stale:
                raise TransientFailure("the SMTP server closed the session") from None

    async def _ensure_open(self) -> bool:
        """Open a session unless one is up; True when the open one is being reused."""
        if self._client is not None and self._client.is_connected:
            return True
        if self._unreachable is not None:
            raise Unreachable(self._unreachable)
        settings = self._settings
        password = (
            settings.smtp_password.get_secret_value()
            if settings.smtp_password
            else None
        )
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            use_tls=settings.smtp_security is Security.TLS,
            start_tls=settings.smtp_security is Security.STARTTLS,
            timeout=self._timeout,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Refused, unreachable, TLS or AUTH trouble: a matter of configuration or
            # of the server's health, never of the message, so it is retried.
            self._unreachable = f"cannot open an SMTP session: {_describe(exc)}"
            raise Unreachable(self._unreachable) from None
        self._client = client
        self.opened += 1
        return False

    async def _transaction(self, message: EmailMessage) -> None:
        client = self._client
        assert client is not None  # noqa: S101 - _ensure_open ran
        try:
            sender = extract_sender(message) or ""
            recipients = extract_recipients(message)
        except ValueError as exc:  # an address that cannot go on a command line
            raise PermanentFailure(f"unusable address: {exc}") from None
        utf8 = not (sender + "".join(recipients)).isascii()
        if utf8 and not client.supports_extension("smtputf8"):
            raise PermanentFailure("the SMTP server cannot take non-ASCII addresses")
        options = ["SMTPUTF8"] if utf8 else []
        eight_bit = client.supports_extension("8bitmime")
        if eight_bit:
            options.append("BODY=8BITMIME")
        data = flatten_message(
            message, utf8=utf8, cte_type="8bit" if eight_bit else "7bit"
        )
        if client.supports_extension("size"):
            options.insert(0, f"SIZE={len(data)}")
        encoding = "utf-8" if utf8 else "ascii"
        try:
            await self._envelope(client, sender, recipients, options, encoding)
            await client.data(data)
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            kind = PermanentFailure if exc.code >= 500 else TransientFailure
            raise kind(f"{exc.code} {exc.message}") from None
        except _Stale:
            raise
        except (aiosmtplib.SMTPException, OSError) as exc:
            self._drop()
            raise TransientFailure(_describe(exc)) from None
        except BaseException:
            self._drop()  # cancelled mid-conversation: the session's state is unknown
            raise

    async def _envelope(
        self,
        client: aiosmtplib.SMTP,
        sender: str,
        recipients: list[str],
        options: list[str],
        encoding: str,
    ) -> None:
        """MAIL and RCPT; a session found closed here is stale, not a failed message."""
        try:
            await client.mail(sender, options=options, encoding=encoding)
            for recipient in recipients:
                await client.rcpt(recipient, encoding=encoding)
        except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
            self._drop()
            raise _Stale from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code != 421:
                raise
            # "Closing the session" (also how servers cap messages per session).
            self._drop()
            raise _Stale from exc

    async def _reset(self) -> None:
        """After a refusal: RSET, so the next message starts a clean transaction."""
        if self._client is None or not self._client.is_connected:
            return  # e.g. a 421 reply, after which the client closed the session
        try:
            await self._client.rset()
        except (aiosmtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def close(self) -> None:
        """Say QUIT when the session is up; a failure to say goodbye does not matter."""
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        with suppress(aiosmtplib.SMTPException, OSError):
            await client.quit(timeout=QUIT_TIMEOUT_SECONDS)
        client.close()


class _Stale(Exception):
    """The session broke before DATA: the server has nothing of the message."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class DevOutbox:
    """Development delivery: nothing leaves the machine; messages are read at /dev/outbox."""

    @asynccontextmanager
    async def connect(self) -> AsyncIterator["DevOutbox"]:
        """No connection to open: the outbox itself is the way out."""
        yield self

    async def send(self, message: EmailMessage) -> None:
        """Pretend to deliver: the message row itself is the outbox."""
        log.info("mail.dev_outbox", message_id=message["Message-ID"])


def transport_for(settings: Settings) -> Transport:
    """SMTP when configured; otherwise the dev outbox (refused in production by Settings)."""
    return SmtpTransport(settings) if settings.smtp_host else DevOutbox()
