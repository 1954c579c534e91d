"""The inbound pipeline: one entry point for IMAP, the SMTP receiver and `.eml` uploads.

A message is stored exactly once (by Message-ID and content), then: a report about our mail
(bounce, delay, read receipt) lands on its ticket; a reply joins its ticket (matched by
In-Reply-To/References, then by the reference in the subject); a confidently classified request
opens a ticket like the web form does, for the person named when an agent writes for them;
anything else waits in the triage inbox, and its sender is told it arrived when it looks like a
request at all. Nothing is dropped, and automatic mail (auto-replies, bulk, bounces) never gets
an automatic answer.
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
from app.mail import agents, arrival, bounces, outbox
from app.mail.classifier import Classification
from app.mail.inbound import (
    MAX_RAW_BYTES,
    IngestOutcome,
    Reading,
    bounced,
    read,
    storable_id,
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
    try:
        async with session_scope(maker) as session:
            message_id = await storable_id(session, reading)
            if message_id is None:
                return IngestOutcome("duplicate", reading.message_id)
            outcome = await _route(
                session,
                reading,
                message_id,
                settings=settings,
                received_at=arrival.within(received_at, utcnow()),
            )
    except IntegrityError:
        # A concurrent ingest of the same message won the race: a duplicate. Any other
        # conflict is re-raised, so the mailbox keeps the message and offers it again.
        async with session_scope(maker) as session:
            if await storable_id(session, reading) is None:
                return IngestOutcome("duplicate", reading.message_id)
        raise
    log.info(
        "mail.ingested", source=source, kind=outcome.kind, reference=outcome.reference
    )
    return outcome


async def _route(
    session: AsyncSession,
    reading: Reading,
    message_id: str,
    *,
    settings: Settings,
    received_at: datetime | None,
) -> IngestOutcome:
    parsed, bounce = reading.parsed, reading.bounce
    message = stored(parsed, message_id)
    session.add(message)
    if (
        bounce is not None
        and (dsr := await bounced(session, bounce, message)) is not None
    ):
        # Only a failure is a bounce; delays, deliveries and read receipts are reports.
        kind = "bounce" if bounce.outcome == bounces.FAILED else "report"
        return IngestOutcome(kind, message_id, dsr.reference, reason=bounce.reason)
    dsr = await _thread_match(session, parsed)
    if dsr is not None:
        message.request_id = dsr.id
        await _attach_reply(session, dsr, message)
        return IngestOutcome("reply", message_id, dsr.reference)
    verdict = reading.verdict
    message.classification = summary(verdict)
    sender = await _requester(session, parsed, settings)
    agency = _agency(parsed, sender, settings)
    if agency is not None:
        message.classification["agent"] = {
            "evidence": agency.evidence,
            "subject_name": agency.subject_name,
            "subject_email": agency.subject_email,
        }
    if parsed.is_automatic or not sender:
        return await _to_triage(
            session, message, parsed.automatic_reason or "no sender"
        )
    if not verdict.confident or verdict.request_type is None:
        if verdict.looks_like_request:
            await _acknowledge(session, message, sender, verdict, settings)
        return await _to_triage(session, message, "not a confident request")
    if agency is not None and agency.subject_email is None:
        await _acknowledge(session, message, sender, verdict, settings)
        return await _to_triage(
            session, message, "written for someone else without their address"
        )
    if not await _may_auto_reply(session, sender, settings):
        return await _to_triage(session, message, "auto-reply limit for this sender")
    submission = intake.Submission(
        type=verdict.request_type,
        regulation=verdict.regulation or settings.default_regulation,
        email=agency.subject_email if agency and agency.subject_email else sender,
        channel=Channel.EMAIL,
        name=(
            agency.subject_name
            if agency is not None
            else parsed.from_name
            if sender == parsed.from_address
            else None
        ),
        details=parsed.subject,
        language=verdict.language or "en",
        received_at=received_at,
        agent_name=parsed.from_name if agency is not None else None,
        agent_email=sender if agency is not None else None,
        agent_details=f"by email: {agency.evidence}" if agency is not None else None,
    )
    result = await intake.submit(
        session, submission, settings=settings, actor="requester:email"
    )
    message.request_id = result.dsr.id
    await session.flush()
    kind = "reply" if result.joined else "new_ticket"
    return IngestOutcome(kind, message_id, result.dsr.reference)


async def _to_triage(
    session: AsyncSession, message: Message, reason: str
) -> IngestOutcome:
    message.triage = Triage.NEW
    await session.flush()
    return IngestOutcome("triage", message.message_id, reason=reason)


async def _acknowledge(
    session: AsyncSession,
    message: Message,
    sender: str,
    verdict: Classification,
    settings: Settings,
) -> None:
    """Tell the sender of mail that may be a request that it arrived and waits for a person.

    The legal clock may already run, so silence would be the worst answer; the mail promises
    nothing but a confirmation if it is a request. Bounded like every automatic answer.
    """
    if not await _may_auto_reply(session, sender, settings):
        return
    await outbox.queue(
        session,
        settings=settings,
        template="triage_received",
        to=sender,
        context={},
        language=verdict.language or "en",
    )
    message.classification = {**message.classification, "acknowledged": True}


def _agency(
    parsed: ParsedMail, sender: str | None, settings: Settings
) -> agents.Agency | None:
    ours = parseaddr(settings.mail_from)[1].rpartition("@")[2]
    return agents.read_agency(
        parsed.text,
        (part.filename for part in parsed.attachments),
        sender=sender,
        ours=ours,
    )


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
    # An auto-reply (out of office, a challenge) is filed but is not the requester's answer.
    if not message.automatic:
        dsr.unread = True  # the reply reopens staff attention
    await audit.record(
        session,
        dsr,
        "mail_received",
        actor="system" if message.automatic else "requester:email",
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
