"""The inbound pipeline: one entry point for IMAP, the SMTP receiver and `.eml` uploads.

A message is stored exactly once (by Message-ID), then: a reply joins its ticket (matched by
In-Reply-To/References, then by the reference in the subject); a confidently classified request
opens a ticket like the web form does; anything else waits in the triage inbox. Nothing is
dropped, and automatic mail (auto-replies, bulk, bounces) never gets an automatic answer.
Reading the message happens in a worker thread (`app.mail.inbound.read`).
"""

from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app import ratelimit
from app.audit import service as audit
from app.db import session_scope, utcnow
from app.enums import Channel
from app.flows import intake
from app.logging import log
from app.mail import arrival
from app.mail.inbound import (
    MAX_RAW_BYTES,
    IngestOutcome,
    Reading,
    bounced,
    known,
    read,
    stored,
    summary,
)
from app.mail.models import Message, Triage
from app.mail.parser import ParsedMail, find_reference
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings, derived_key
from app.staff import service as staff_service

AUTO_REPLIES_PER_HOUR = 3


async def ingest(
    maker: async_sessionmaker[AsyncSession],
    raw: bytes,
    *,
    settings: Settings,
    source: str,
    received_at: datetime | None = None,
) -> IngestOutcome:
    """Store and route one raw message in its own transaction; idempotent by Message-ID.

    `received_at` is when it reached the mailbox (see app.mail.arrival): a new request's
    clock starts then; without it, now."""
    if len(raw) > MAX_RAW_BYTES:
        log.warning("mail.rejected", source=source, reason="too large", size=len(raw))
        return IngestOutcome(
            "rejected", None, reason=f"message larger than {MAX_RAW_BYTES} bytes"
        )
    reading = await read(raw)
    message_id = reading.message_id
    try:
        async with session_scope(maker) as session:
            if await known(session, message_id):
                return IngestOutcome("duplicate", message_id)
            outcome = await _route(
                session,
                reading,
                settings=settings,
                received_at=arrival.within(received_at, utcnow()),
            )
    except IntegrityError:
        # A concurrent ingest of the same message won the race: a duplicate. Any other
        # conflict is re-raised, so the mailbox keeps the message and offers it again.
        async with session_scope(maker) as session:
            if await known(session, message_id):
                return IngestOutcome("duplicate", message_id)
        raise
    log.info(
        "mail.ingested", source=source, kind=outcome.kind, reference=outcome.reference
    )
    return outcome


async def _route(
    session: AsyncSession,
    reading: Reading,
    *,
    settings: Settings,
    received_at: datetime | None,
) -> IngestOutcome:
    parsed, message_id, bounce = reading.parsed, reading.message_id, reading.bounce
    message = stored(parsed, message_id)
    session.add(message)
    if (
        bounce is not None
        and (dsr := await bounced(session, bounce, message)) is not None
    ):
        return IngestOutcome("bounce", message_id, dsr.reference, reason=bounce.reason)
    dsr = await _thread_match(session, parsed)
    if dsr is not None:
        message.request_id = dsr.id
        await _attach_reply(session, dsr, message)
        return IngestOutcome("reply", message_id, dsr.reference)
    verdict = reading.verdict
    message.classification = summary(verdict)
    sender = await _requester(session, parsed, settings)
    if (
        parsed.is_automatic
        or not verdict.confident
        or verdict.request_type is None
        or not sender
    ):
        message.triage = Triage.NEW
        await session.flush()
        reason = (
            parsed.automatic_reason
            if parsed.is_automatic
            else "not a confident request"
        )
        return IngestOutcome("triage", message_id, reason=reason)
    if not await _may_auto_reply(session, sender, settings):
        message.triage = Triage.NEW
        await session.flush()
        return IngestOutcome(
            "triage", message_id, reason="auto-reply limit for this sender"
        )
    submission = intake.Submission(
        type=verdict.request_type,
        regulation=verdict.regulation or settings.default_regulation,
        email=sender,
        channel=Channel.EMAIL,
        name=parsed.from_name if sender == parsed.from_address else None,
        details=parsed.subject,
        language=verdict.language or "en",
        received_at=received_at,
    )
    result = await intake.submit(
        session, submission, settings=settings, actor="requester:email"
    )
    message.request_id = result.dsr.id
    await session.flush()
    kind = "reply" if result.joined else "new_ticket"
    return IngestOutcome(kind, message_id, result.dsr.reference)


async def _requester(
    session: AsyncSession, parsed: ParsedMail, settings: Settings
) -> str | None:
    """Who the request is from. A forward names the original sender in its body, which anyone
    can write, so it counts only when a colleague forwarded it (our domain or a staff account).
    """
    sender = parsed.from_address
    if not parsed.forwarded_from or not sender:
        return sender
    ours = (
        sender.rpartition("@")[2] == parseaddr(settings.mail_from)[1].rpartition("@")[2]
    )
    if ours or await staff_service.get_staff(session, sender) is not None:
        return parsed.forwarded_from
    return sender


async def _thread_match(session: AsyncSession, parsed: ParsedMail) -> DsrRequest | None:
    """The ticket this message answers: by thread headers first, then by subject reference."""
    ids = [ref for ref in (parsed.in_reply_to, *parsed.references) if ref]
    if ids:
        query = (
            select(Message.request_id)
            .where(
                col(Message.message_id).in_(ids), col(Message.request_id).is_not(None)
            )
            .limit(1)
        )
        found = (await session.execute(query)).scalar_one_or_none()
        if found is not None:  # the reply appends to the ticket's chain: lock it
            return await tickets.edit_or_none(session, found)
    reference = find_reference(parsed.subject)
    if reference is None:
        return None
    return await tickets.edit_or_none(session, reference)


async def _attach_reply(
    session: AsyncSession, dsr: DsrRequest, message: Message
) -> None:
    await session.flush()
    dsr.unread = True  # the reply reopens staff attention
    await audit.record(
        session,
        dsr,
        "mail_received",
        actor="requester:email",
        data={"message_id": message.message_id, "automatic": message.automatic},
        personal={"subject": message.subject},
    )


async def _may_auto_reply(
    session: AsyncSession, sender: str, settings: Settings
) -> bool:
    return await ratelimit.hit(
        session,
        "auto-reply",
        sender,
        limit=AUTO_REPLIES_PER_HOUR,
        window=timedelta(hours=1),
        secret=derived_key(settings, "rate-limit"),
    )
