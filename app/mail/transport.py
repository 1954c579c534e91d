"""Getting a built message to the world: SMTP with aiosmtplib, or the dev outbox."""

from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from app.logging import log
from app.settings import Security, Settings


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying will not help."""


class TransientFailure(Exception):
    """The server is down or asked us to come back later (4xx, timeouts)."""


class Transport(Protocol):
    """Sends one message or raises PermanentFailure / TransientFailure."""

    async def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """Outbound SMTP as configured by `DSR_SMTP_*`."""

    def __init__(self, settings: Settings, *, timeout: float = 30) -> None:
        self._settings = settings
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the SMTP server."""
        settings = self._settings
        password = (
            settings.smtp_password.get_secret_value()
            if settings.smtp_password
            else None
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                use_tls=settings.smtp_security is Security.TLS,
                start_tls=settings.smtp_security is Security.STARTTLS,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            failure = (
                PermanentFailure
                if all(code >= 500 for code in codes)
                else TransientFailure
            )
            raise failure(f"recipient refused: {codes}") from None
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise PermanentFailure(f"{exc.code} {exc.message}") from None
            raise TransientFailure(f"{exc.code} {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransientFailure(f"{type(exc).__name__}: {exc}") from None


class DevOutbox:
    """Development delivery: nothing leaves the machine; messages are read at /dev/outbox."""

    async def send(self, message: EmailMessage) -> None:
        """Pretend to deliver: the message row itself is the outbox."""
        log.info("mail.dev_outbox", message_id=message["Message-ID"])


def transport_for(settings: Settings) -> Transport:
    """SMTP when configured; otherwise the dev outbox (refused in production by Settings)."""
    return SmtpTransport(settings) if settings.smtp_host else DevOutbox()
