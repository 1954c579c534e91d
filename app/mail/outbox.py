"""The outbox: handlers queue rendered messages as rows; a worker job claims and sends them.

Delivery is at-least-once: a row is claimed (SKIP LOCKED on PostgreSQL, with a lease) before it
is sent and marked sent after. A crash between the two re-sends the same message with the same
Message-ID after the lease expires, which receiving clients collapse; nothing is ever dropped.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app.audit import service as audit
from app.db import session_scope, utcnow
from app.logging import log
from app.mail.compose import render_email
from app.mail.models import Direction, Message, MessageState
from app.mail.transport import PermanentFailure, TransientFailure, Transport
from app.privacy import PrivacyFileError, facts_for
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 25  # with the backoff below: about a day of retrying before giving up
MAX_BACKOFF_SECONDS = 3600


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
    base: dict[str, Any] = {"controller": controller_context(settings)}
    if dsr is not None:
        base |= {
            "reference": dsr.reference,
            "request_type": dsr.type,
            "regulation": dsr.regulation,
            "subject_name": dsr.subject_name,
        }
    rendered = render_email(template, base | context, language=language)
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
        subject=f"[{reference}] {rendered.subject}" if reference else rendered.subject,
        from_address=settings.mail_from,
        to_address=to,
        peer=to.strip().lower(),
        text=rendered.text,
        html=rendered.html,
        automatic=automatic,
        state=MessageState.QUEUED,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    return message


async def to_requester(
    session: AsyncSession,
    dsr: DsrRequest,
    template: str,
    *,
    settings: Settings,
    context: dict[str, Any],
) -> Message:
    """Queue an automatic mail to the ticket's requester, in the ticket's language."""
    return await queue(
        session,
        settings=settings,
        template=template,
        to=dsr.subject_email,
        context=context,
        dsr=dsr,
        language=dsr.language,
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


async def _claim(session: AsyncSession, worker: str, limit: int) -> list[Message]:
    now = utcnow()
    query = (
        select(Message)
        .where(
            Message.state == MessageState.QUEUED,
            col(Message.next_attempt_at) <= now,
            or_(col(Message.claimed_until).is_(None), col(Message.claimed_until) < now),
        )
        .order_by(col(Message.id))
        .limit(limit)
        .with_for_update(
            skip_locked=True
        )  # ignored by SQLite, whose writers are serialised
    )
    claimed = list((await session.execute(query)).scalars())
    for message in claimed:
        message.claimed_by, message.claimed_until = worker, now + LEASE
    return claimed


def _backoff(attempts: int) -> timedelta:
    ceiling = min(MAX_BACKOFF_SECONDS, 30 * 2 ** min(attempts, 12))
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not crypto


async def deliver_due(
    maker: async_sessionmaker[AsyncSession],
    transport: Transport,
    *,
    data_dir: Path | None = None,
    limit: int = 50,
) -> DeliveryRun:
    """Send queued messages that are due: sent, rescheduled with backoff, or failed for good."""
    worker = f"outbox-{secrets.token_hex(4)}"
    async with session_scope(maker) as session:
        claimed = await _claim(session, worker, limit)
    sent = retrying = failed = 0
    for message in claimed:
        outcome = await _send_one(transport, message, data_dir)
        async with session_scope(maker) as session:
            row = await session.get(Message, message.id)
            if row is None or row.claimed_by != worker:
                continue  # our lease expired and another worker took over
            row.attempts += 1
            row.claimed_by = row.claimed_until = None
            if outcome is None:
                row.state, row.sent_at, row.error = MessageState.SENT, utcnow(), None
                sent += 1
            elif isinstance(outcome, TransientFailure) and row.attempts < MAX_ATTEMPTS:
                row.next_attempt_at, row.error = (
                    utcnow() + _backoff(row.attempts),
                    str(outcome),
                )
                retrying += 1
            else:
                row.state, row.error = MessageState.FAILED, str(outcome)
                await _record_failure(session, row)
                failed += 1
    if claimed:
        log.info("mail.outbox.run", sent=sent, retrying=retrying, failed=failed)
    return DeliveryRun(sent, retrying, failed)


async def _send_one(
    transport: Transport, message: Message, data_dir: Path | None
) -> Exception | None:
    try:
        email = build_email(message, data_dir)
    except OSError as exc:  # the attached package was purged before the mail went out
        return PermanentFailure(f"attachment unreadable: {type(exc).__name__}")
    try:
        await transport.send(email)
    except (PermanentFailure, TransientFailure) as exc:
        return exc
    return None


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
