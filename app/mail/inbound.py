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
from datetime import datetime
from typing import Protocol

import anyio
import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from app.audit import service as audit
from app.mail.bounces import Bounce, read_bounce
from app.mail.classifier import Classification, classify
from app.mail.models import Direction, Message, MessageState
from app.mail.parser import ParsedMail, parse_message
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings

MAX_RAW_BYTES = 30_000_000  # beyond any sane request; the SMTP receiver refuses earlier
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
    bounce: Bounce | None
    verdict: Classification


def _read(raw: bytes) -> Reading:
    """Parse, bounce-check and classify; no I/O and no side effects (see the docstring)."""
    parsed = parse_message(raw)
    return Reading(
        parsed=parsed,
        message_id=_message_id(parsed, raw),
        bounce=read_bounce(raw) if parsed.is_automatic else None,
        verdict=classify(parsed.subject, parsed.text),
    )


def _message_id(parsed: ParsedMail, raw: bytes) -> str:
    # Without a Message-ID, the content's hash stands in, so re-delivery still dedupes.
    return (
        parsed.message_id
        or f"sha256.{hashlib.sha256(raw).hexdigest()[:40]}@dsr.invalid"
    )


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


async def known(session: AsyncSession, message_id: str) -> bool:
    """Whether a message with this Message-ID is stored already."""
    query = select(Message.id).where(Message.message_id == message_id)
    return (await session.execute(query)).first() is not None


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
        "language": verdict.language,
        "matched": list(verdict.matched),
    }


async def bounced(
    session: AsyncSession, bounce: Bounce, message: Message
) -> DsrRequest | None:
    """Mark our returned message failed and file the report on its ticket."""
    query = select(Message).where(
        Message.message_id == bounce.message_id, Message.direction == Direction.OUT
    )
    original = (await session.execute(query)).scalar_one_or_none()
    if original is None or original.request_id is None:
        return None
    original.state, original.error = MessageState.FAILED, f"bounced: {bounce.reason}"
    message.request_id = original.request_id
    dsr = await tickets.edit_or_none(session, original.request_id)
    assert dsr is not None  # noqa: S101 - messages cascade with their ticket
    await session.flush()
    dsr.unread = True  # staff need another way to reach the requester
    await audit.record(
        session,
        dsr,
        "mail_bounced",
        actor="system",
        data={"message_id": original.message_id, "template": original.kind},
        personal={"reason": bounce.reason},
    )
    return dsr
