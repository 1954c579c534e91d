"""The outbox: handlers queue rendered messages as rows; a worker job claims and sends them.

A run claims a batch of due messages under a short lease (app.mail.lease), renewed while it
sends them one after the other over one SMTP connection, then claims the next batch, until
nothing is due or the run's time is up. Each message is settled in its own transaction:
sent, rescheduled with backoff (4xx, connection trouble) or failed for good (5xx, with an
audit event on its ticket), so one message's failure never touches the others.

Delivery is at-least-once. Once the server has answered 250, marking the message sent is
retried on new connections for minutes (never the send); a send can only be repeated when
the worker dies, or loses the database for longer than that, between the server's 250 and
the mark. It then goes out again with the same Message-ID, which receiving clients collapse.
"""

import asyncio
import random
import secrets
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app import wakeup
from app.audit import service as audit
from app.db import session_scope, utcnow
from app.logging import log
from app.mail.compose import RenderedEmail, render_email
from app.mail.lease import LEASE_SECONDS, Lease, claim, with_database_retries
from app.mail.models import Direction, Message, MessageState
from app.mail.transport import (
    Connection,
    PermanentFailure,
    TransientFailure,
    Transport,
    Unreachable,
)
from app.privacy import PrivacyFileError, facts_for
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings

MAX_ATTEMPTS = 25  # with the backoff below: about a day of retrying before giving up
MAX_BACKOFF_SECONDS = 3600
FIRST_BATCH = 10  # later batches are sized by the pace of the previous one
# The job runs every 15 s: a run stops claiming before the next tick comes round.
RUN_SECONDS = 12.0


def controller_context(settings: Settings) -> dict[str, Any]:
    """Who signs our mail: the controller of privacy.yaml (validated at start-up)."""
    try:
        facts = facts_for(settings.privacy_file)
    except PrivacyFileError:
        # Only in development without privacy.yaml: serve and worker refuse to start so.
        name, address = parseaddr(settings.mail_from)
        return {"name": name or _domain(settings), "email": address, "dpo_email": None}
    dpo = facts.dpo.email if facts.dpo else None
    return {
        "name": facts.controller.name,
        "email": facts.controller.email,
        "dpo_email": dpo,
    }


def _domain(settings: Settings) -> str:
    return parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"


def new_message_id(settings: Settings, reference: str | None, template: str) -> str:
    """A unique Message-ID (without angle brackets) that names the ticket and template."""
    tag = f"{reference}.{template}" if reference else template
    return f"dsr.{tag}.{secrets.token_hex(6)}@{_domain(settings)}"


def preview(
    settings: Settings,
    template: str,
    context: dict[str, Any],
    *,
    dsr: DsrRequest | None = None,
    language: str = "en",
) -> RenderedEmail:
    """The mail `queue` would send, rendered but not queued (staff see it before sending).

    The subject carries the ticket's reference, as sent.
    """
    base: dict[str, Any] = {"controller": controller_context(settings)}
    if dsr is not None:
        base |= {
            "reference": dsr.reference,
            "request_type": dsr.type,
            "regulation": dsr.regulation,
            "subject_name": dsr.subject_name,
        }
    rendered = render_email(template, base | context, language=language)
    if dsr is None:
        return rendered
    return replace(rendered, subject=f"[{dsr.reference}] {rendered.subject}")


async def queue(
    session: AsyncSession,
    *,
    settings: Settings,
    template: str,
    to: str,
    context: dict[str, Any],
    dsr: DsrRequest | None = None,
    language: str = "en",
    automatic: bool = True,
) -> Message:
    """Render a template and queue it; threads it onto the ticket and tags its reference."""
    rendered = preview(settings, template, context, dsr=dsr, language=language)
    reference = dsr.reference if dsr else None
    message_id = new_message_id(settings, reference, template)
    root = dsr.thread_message_id if dsr else None
    if dsr is not None and root is None:
        dsr.thread_message_id = (
            message_id  # the first message roots the ticket's thread
        )
    message = Message(
        request_id=dsr.id if dsr else None,
        direction=Direction.OUT,
        kind=template,
        message_id=message_id,
        in_reply_to=root,
        references=root,
        subject=rendered.subject,
        from_address=settings.mail_from,
        to_address=to,
        peer=to.strip().lower(),
        text=rendered.text,
        html=rendered.html,
        automatic=automatic,
        state=MessageState.QUEUED,
        next_attempt_at=utcnow(),
    )
    session.add(message)  # flushed with the ticket's other changes: one round trip
    await wakeup.notify(session, "outbox")  # sent once this transaction commits
    return message


async def to_requester(
    session: AsyncSession,
    dsr: DsrRequest,
    template: str,
    *,
    settings: Settings,
    context: dict[str, Any],
    automatic: bool = True,
) -> Message:
    """Queue a mail to the ticket's requester, in the ticket's language (automatic unless
    a person wrote it)."""
    return await queue(
        session,
        settings=settings,
        template=template,
        to=dsr.subject_email,
        context=context,
        dsr=dsr,
        language=dsr.language,
        automatic=automatic,
    )


def build_email(message: Message, data_dir: Path | None = None) -> EmailMessage:
    """The MIME message for a queued row: text and HTML parts, threading, RFC 3834 headers."""
    email = EmailMessage()
    email["Message-ID"] = f"<{message.message_id}>"
    email["Date"] = format_datetime(message.created_at)
    email["From"] = message.from_address
    email["To"] = formataddr(parseaddr(message.to_address))
    email["Subject"] = message.subject
    if message.in_reply_to:
        email["In-Reply-To"] = f"<{message.in_reply_to}>"
    if message.references:
        email["References"] = " ".join(f"<{ref}>" for ref in message.references.split())
    if message.automatic:
        email["Auto-Submitted"] = (
            "auto-replied"  # RFC 3834: no auto-replies to us, please
        )
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    if message.attachment_path and data_dir is not None:
        path = data_dir / message.attachment_path
        email.add_attachment(
            path.read_bytes(), maintype="application", subtype="zip", filename=path.name
        )
    return email


@dataclass(frozen=True, slots=True)
class DeliveryRun:
    """What one outbox run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _backoff(attempts: int) -> timedelta:
    ceiling = min(MAX_BACKOFF_SECONDS, 30 * 2 ** min(attempts, 12))
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto


async def deliver_due(
    maker: async_sessionmaker[AsyncSession],
    transport: Transport,
    *,
    data_dir: Path | None = None,
    limit: int = 100,
    lease_seconds: float = LEASE_SECONDS,
    run_seconds: float = RUN_SECONDS,
) -> DeliveryRun:
    """Send queued messages that are due: sent, rescheduled with backoff, or failed for good.

    Batches of at most `limit` are claimed one after the other over one connection until
    nothing is due or `run_seconds` have passed; see the module docstring for the lease.
    """
    worker = f"outbox-{secrets.token_hex(4)}"
    loop = asyncio.get_running_loop()
    ends = loop.time() + run_seconds
    tally: Counter[str] = Counter()
    size = min(FIRST_BATCH, limit)
    async with transport.connect() as connection:
        while loop.time() < ends:
            lease = await claim(maker, worker, size, lease_seconds)
            if lease is None:
                break
            started = loop.time()
            if not await _deliver_batch(maker, connection, lease, data_dir, tally):
                break
            # Claim next what can be sent, at the pace just seen, well inside one lease
            # and inside what is left of the run.
            pace = max((loop.time() - started) / len(lease.messages), 1e-3)
            budget = min(lease_seconds / 2, ends - loop.time())
            size = max(1, min(limit, int(budget / pace)))
    run = DeliveryRun(tally["sent"], tally["retrying"], tally["failed"])
    if tally:
        log.info(
            "mail.outbox.run", sent=run.sent, retrying=run.retrying, failed=run.failed
        )
    return run


async def _deliver_batch(
    maker: async_sessionmaker[AsyncSession],
    connection: Connection,
    lease: Lease,
    data_dir: Path | None,
    tally: Counter[str],
) -> bool:
    """Send one claimed batch in order; False when the run should stop after it.

    It stops when renewals kept failing (the database is in trouble) or when the server
    cannot be reached: one message per run then finds out, and the rest keep their
    attempts rather than each being counted against a relay that is down.
    """
    go_on = True
    async with lease.renewed():
        for message in lease.messages:
            if not lease.holds(message):
                continue  # a renewal found that another worker has it now
            if lease.running_short():
                go_on = False
                break
            outcome = await _send_one(connection, message, data_dir, lease)
            tally[await _settle(maker, lease.worker, message, outcome)] += 1
            lease.done(message)
            if isinstance(outcome, Unreachable):
                go_on = False
                break
    await lease.release()
    return go_on


async def _send_one(
    connection: Connection, message: Message, data_dir: Path | None, lease: Lease
) -> Exception | None:
    try:
        if message.attachment_path:  # reading the package from disk: not on the loop
            email = await anyio.to_thread.run_sync(build_email, message, data_dir)
        else:
            email = build_email(message, data_dir)
    except OSError as exc:  # the attached package was purged before the mail went out
        return PermanentFailure(f"attachment unreadable: {type(exc).__name__}")
    except ValueError as exc:  # a header the email package refuses to write
        return PermanentFailure(f"message cannot be built: {exc}")
    try:
        async with lease.sending(message):
            await connection.send(email)
    except (PermanentFailure, TransientFailure) as exc:
        return exc
    except TimeoutError:
        # Cut because our lease was about to end: the server may or may not have it.
        return TransientFailure("no answer from the SMTP server within our lease")
    return None


async def _settle(
    maker: async_sessionmaker[AsyncSession],
    worker: str,
    message: Message,
    outcome: Exception | None,
) -> str:
    """Record what became of a send: sent, retrying, failed, or lost (taken over)."""
    assert message.id is not None  # noqa: S101 - claimed rows are stored
    if outcome is None:
        # The server has the message: whatever happens to the database now, this is the
        # one write that must land, or the message is sent again after the lease.
        await with_database_retries(_mark_sent, maker, message.id)
        return "sent"
    return await with_database_retries(
        _mark_failure, maker, worker, message.id, outcome
    )


async def _mark_sent(maker: async_sessionmaker[AsyncSession], message_id: int) -> None:
    async with session_scope(maker) as session:
        # Whoever holds the claim now: the message is out, so it is sent.
        await session.execute(
            update(Message)
            .where(
                col(Message.id) == message_id,
                col(Message.state) == MessageState.QUEUED,
            )
            .values(
                state=MessageState.SENT,
                sent_at=utcnow(),
                error=None,
                attempts=col(Message.attempts) + 1,
                claimed_by=None,
                claimed_until=None,
            )
        )


async def _mark_failure(
    maker: async_sessionmaker[AsyncSession],
    worker: str,
    message_id: int,
    outcome: Exception,
) -> str:
    async with session_scope(maker) as session:
        row = await session.get(Message, message_id)
        if row is None or row.claimed_by != worker or row.state != MessageState.QUEUED:
            return "lost"  # our lease ended and another worker took the message over
        row.attempts += 1
        row.claimed_by = row.claimed_until = None
        row.error = str(outcome)
        if isinstance(outcome, TransientFailure) and row.attempts < MAX_ATTEMPTS:
            row.next_attempt_at = utcnow() + _backoff(row.attempts)
            return "retrying"
        row.state = MessageState.FAILED
        await _record_failure(session, row)
        return "failed"


async def _record_failure(session: AsyncSession, message: Message) -> None:
    if message.request_id is None:
        return
    dsr = await tickets.edit_or_none(session, message.request_id)
    if dsr is not None:
        await audit.record(
            session,
            dsr,
            "mail_failed",
            actor="system",
            data={"template": message.kind, "message_id": message.message_id},
            personal={"error": message.error or ""},
        )
