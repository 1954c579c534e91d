"""Recording audit events and verifying each ticket's SHA-256 hash chain."""

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit.models import Event
from app.db import utcnow
from app.requests.models import DsrRequest

GENESIS = "0" * 64
AUDIT_KEY = "audit_key"  # session.info entry holding the key for personal-value hashes


def _keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _event_hash(event: Event) -> str:
    facts = {
        "request_id": event.request_id,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "kind": event.kind,
        "data": event.data,
        "personal_hashes": event.personal_hashes,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(
        facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key(session: AsyncSession) -> bytes:
    try:
        key = session.info[AUDIT_KEY]
    except KeyError:
        raise RuntimeError(
            "session has no audit key: build it with app.db sessionmaker info"
        ) from None
    assert isinstance(key, bytes)  # noqa: S101 - set by make_app_sessionmaker
    return key


async def record(
    session: AsyncSession,
    dsr: DsrRequest,
    kind: str,
    *,
    actor: str,
    data: Mapping[str, Any] | None = None,
    personal: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append an event to the ticket's chain; personal values go beside their keyed hashes."""
    assert dsr.id is not None  # noqa: S101 - the ticket is flushed before events are written
    # The ticket row carries the chain's head. Callers hold it locked (or just created it),
    # and the unique (request_id, seq) constraint turns any race into an error, never a fork.
    seq, prev_hash = dsr.last_event_seq + 1, dsr.last_event_hash or GENESIS
    key = _key(session)
    personal = dict(personal or {})
    event = Event(
        request_id=dsr.id,
        seq=seq,
        at=at or utcnow(),
        actor=actor,
        kind=kind,
        data=dict(data or {}),
        personal=personal,
        personal_hashes={
            name: _keyed_hash(key, value) for name, value in personal.items()
        },
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = _event_hash(event)
    dsr.last_event_seq, dsr.last_event_hash = seq, event.hash
    session.add(
        event
    )  # inserted with the next flush: a batch of events costs one round trip
    return event


async def timeline(session: AsyncSession, dsr: DsrRequest) -> list[Event]:
    """The ticket's events, oldest first."""
    result = await session.execute(
        select(Event).where(Event.request_id == dsr.id).order_by(col(Event.seq))
    )
    return list(result.scalars())


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first place a ticket's chain does not hold."""

    reference: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"{self.reference} event #{self.seq}: {self.reason}"


def check_chain(
    reference: str, events: list[Event], head: str | None, key: bytes
) -> BrokenLink | None:
    """Find the first broken link in one ticket's events, or None when the chain holds."""
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return BrokenLink(reference, expected_seq, "event missing (sequence gap)")
        if event.prev_hash != prev:
            return BrokenLink(
                reference, event.seq, "previous-hash link broken (reordered or removed)"
            )
        if _event_hash(event) != event.hash:
            return BrokenLink(
                reference, event.seq, "content does not match its hash (altered)"
            )
        for name, value in event.personal.items():
            if _keyed_hash(key, value) != event.personal_hashes.get(name):
                return BrokenLink(
                    reference, event.seq, f"personal value {name!r} altered"
                )
        prev = event.hash
    if head is not None and head != prev:
        return BrokenLink(
            reference, len(events) + 1, "chain head missing (events removed at the end)"
        )
    return None


async def verify(
    session: AsyncSession, reference: str | None = None
) -> tuple[int, list[BrokenLink]]:
    """Check every ticket's chain (or one ticket's); return tickets checked and broken links."""
    query = select(DsrRequest).order_by(col(DsrRequest.id))
    if reference is not None:
        query = query.where(DsrRequest.reference == reference)
    key = _key(session)
    checked, broken = 0, []
    for dsr in (await session.execute(query)).scalars():
        checked += 1
        link = check_chain(
            dsr.reference, await timeline(session, dsr), dsr.last_event_hash, key
        )
        if link is not None:
            broken.append(link)
    return checked, broken
