"""Reading inbound mail: what transports hand over, and what a raw message says.

The transports (IMAP, the SMTP receiver, `.eml` uploads) pass raw bytes to an `IngestFunc`
(the pipeline in `app.flows.inbound`) and learn an `IngestOutcome`. Reading a message (MIME
parsing, the bounce check, the classifier) is pure CPU work that takes a good fraction of a
second for a 25 MB message, so `read` runs it in a worker thread: the web app, the scheduler
and the other SMTP sessions keep the event loop meanwhile. A caller's timeout (the SMTP
receiver's) interrupts the wait at once; the thread then finishes on its own and its result
is dropped, which is harmless because reading writes nothing.
"""

import hashlib
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import anyio
import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app.audit import service as audit
from app.db import utcnow
from app.mail import bounces
from app.mail.bounces import Bounce, read_bounce
from app.mail.classifier import Classification, classify
from app.mail.models import Direction, Message, MessageState
from app.mail.parser import ParsedMail, parse_message
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings

MAX_RAW_BYTES = 30_000_000  # beyond any sane request; the SMTP receiver refuses earlier
# How old our mail may be for a report that names only the failed address.
REPORT_WINDOW = timedelta(days=14)
# Reading is CPU work under the GIL: more threads at it than cores only add memory (a parse
# holds several times the message). Abandoned reads give their token back early.
_READERS = anyio.CapacityLimiter(2)


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What became of one inbound message."""

    kind: str  # reply | new_ticket | bounce | triage | duplicate | rejected
    message_id: str | None
    reference: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """What the raw bytes say, worked out away from the event loop."""

    parsed: ParsedMail
    message_id: str
    content_hash: (
        str  # of what the sender wrote: the same mail re-delivered hashes alike
    )
    bounce: Bounce | None
    verdict: Classification


def _read(raw: bytes) -> Reading:
    """Parse, bounce-check and classify; no I/O and no side effects (see the docstring)."""
    parsed = parse_message(raw)
    content_hash = _content_hash(parsed, raw)
    return Reading(
        parsed=parsed,
        message_id=parsed.message_id or f"sha256.{content_hash[:40]}@dsr.invalid",
        content_hash=content_hash,
        bounce=read_bounce(raw) if parsed.is_automatic else None,
        verdict=classify(parsed.subject, parsed.text),
    )


def _content_hash(parsed: ParsedMail, raw: bytes) -> str:
    # Transports add their own trace headers (Received, Return-Path), so the hash covers
    # what the sender wrote. Unreadable mail falls back to the raw bytes.
    if not (parsed.from_address or parsed.subject or parsed.text):
        return hashlib.sha256(raw).hexdigest()
    content = "\0".join(
        (
            (parsed.from_address or "").lower(),
            parsed.subject,
            parsed.date.isoformat() if parsed.date else "",
            parsed.text,
            *(f"{part.filename}:{part.size}" for part in parsed.attachments),
        )
    )
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()


async def read(raw: bytes) -> Reading:
    """Read the message in a worker thread (at most two at once); cancellable."""
    return await anyio.to_thread.run_sync(
        _read, raw, abandon_on_cancel=True, limiter=_READERS
    )


class IngestFunc(Protocol):
    """How transports hand a raw message to the pipeline (`app.flows.inbound.ingest`)."""

    def __call__(
        self,
        maker: async_sessionmaker[AsyncSession],
        raw: bytes,
        /,
        *,
        settings: Settings,
        source: str,
        received_at: datetime | None = None,
    ) -> Awaitable[IngestOutcome]: ...


async def storable_id(session: AsyncSession, reading: Reading) -> str | None:
    """The Message-ID to store this message under, or None when it is stored already.

    Buggy mailers reuse a Message-ID for other mail: a message whose Message-ID is taken by
    different content (another sender, subject or text) is kept under the Message-ID with
    its content hash in front, which a re-delivery of it then finds.
    """
    message_id = reading.message_id
    query = select(Message).where(Message.message_id == message_id)
    earlier = (await session.execute(query)).scalar_one_or_none()
    if earlier is None or _same_content(earlier, reading.parsed):
        return None if earlier is not None else message_id
    variant = f"{reading.content_hash[:16]}.{message_id}"[:255]
    taken = select(Message.id).where(Message.message_id == variant)
    return None if (await session.execute(taken)).first() is not None else variant


def _same_content(stored_message: Message, parsed: ParsedMail) -> bool:
    if stored_message.direction is Direction.OUT:
        return False  # someone reused one of our ids: their mail is not ours
    return (
        stored_message.from_address.lower() == (parsed.from_address or "").lower()
        and stored_message.subject == parsed.subject
        and stored_message.text == parsed.text
    )


def stored(parsed: ParsedMail, message_id: str) -> Message:
    """The inbound message row for what was read."""
    return Message(
        direction=Direction.IN,
        kind="inbound",
        message_id=message_id,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references) or None,
        subject=parsed.subject,
        from_address=parsed.from_address or "",
        to_address=", ".join(parsed.to)[:320],
        peer=(parsed.from_address or "").lower(),
        text=parsed.text,
        automatic=parsed.is_automatic,
        state=MessageState.RECEIVED,
        attachments=[
            {
                "filename": part.filename,
                "content_type": part.content_type,
                "size": part.size,
                "too_large": part.too_large,
            }
            for part in parsed.attachments
        ],
    )


def summary(verdict: Classification) -> dict[str, object]:
    """The classifier's verdict as stored on the message (shown to staff)."""
    return {
        "request_type": verdict.request_type,
        "regulation": verdict.regulation,
        "confident": verdict.confident,
        "looks_like_request": verdict.looks_like_request,
        "language": verdict.language,
        "matched": list(verdict.matched),
    }


_REPORT_EVENTS = {
    bounces.FAILED: "mail_bounced",
    bounces.DELAYED: "mail_delayed",
    bounces.DELIVERED: "mail_delivered",
    bounces.READ: "mail_read",
}


async def bounced(
    session: AsyncSession, bounce: Bounce, message: Message
) -> DsrRequest | None:
    """File a report about our mail on its ticket; only a failure marks the mail failed.

    A delay warning, a delivery success and a read receipt are events on the ticket: they
    neither fail the message nor turn the ticket unread.
    """
    original = await _reported(session, bounce)
    if original is None or original.request_id is None:
        return None
    message.request_id = original.request_id
    dsr = await tickets.edit_or_none(session, original.request_id)
    assert dsr is not None  # noqa: S101 - messages cascade with their ticket
    await session.flush()
    if bounce.outcome == bounces.FAILED:
        original.state, original.error = (
            MessageState.FAILED,
            f"bounced: {bounce.reason}",
        )
        dsr.unread = True  # staff need another way to reach the requester
    await audit.record(
        session,
        dsr,
        _REPORT_EVENTS[bounce.outcome],
        actor="system",
        data={"message_id": original.message_id, "template": original.kind},
        personal={"reason": bounce.reason},
    )
    return dsr


async def _reported(session: AsyncSession, bounce: Bounce) -> Message | None:
    """Our message the report is about: by its Message-ID, else the ticket's latest mail,
    else (the report quotes nothing of ours) our latest mail to the failed address."""
    outbound = select(Message).where(Message.direction == Direction.OUT)
    if bounce.recipient:
        # Reports come within days (servers retry for up to five): older mail is not it.
        query = outbound.where(
            Message.peer == bounce.recipient,
            col(Message.created_at) > utcnow() - REPORT_WINDOW,
        ).order_by(col(Message.id).desc())
        return (await session.execute(query.limit(1))).scalar_one_or_none()
    if bounce.message_id:
        query = outbound.where(Message.message_id == bounce.message_id)
        found = (await session.execute(query)).scalar_one_or_none()
        if found is not None or bounce.reference is None:
            return found
    if bounce.reference is None:
        return None
    dsr = await tickets.get(session, bounce.reference)
    if dsr is None:
        return None
    query = outbound.where(Message.request_id == dsr.id).order_by(
        col(Message.id).desc()
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()
