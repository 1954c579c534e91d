"""Appending audit events to SHA-256 hash chains, and verifying every chain.

Each ticket has its own chain (`ticket:<id>`); events about no single ticket (staff log-ins,
role and configuration changes, record exports) go to named chains. Audit knows no ticket
model: a ticket's events are written only while the ticket is in its unit of work
(`app.requests.tickets.edit`), which `record` checks, so the ticket lock serialises them.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit.models import AuditChain, Event
from app.db import require_writable, select_locked, transaction_state, utcnow

GENESIS = "0" * 64
AUDIT_KEY = "audit_key"  # session.info entry holding the key for personal-value hashes
_HEADS = "audit.heads"  # per transaction: the chain heads it read (and locked)
TICKET_PREFIX = "ticket:"


class Ticket(Protocol):
    """What audit needs of a ticket: its id (the chain's name)."""

    @property
    def id(self) -> int | None: ...


def ticket_chain(ticket_id: int) -> str:
    """The name of a ticket's chain."""
    return f"{TICKET_PREFIX}{ticket_id}"


def _keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _event_hash(event: Event) -> str:
    facts: dict[str, Any] = {
        "request_id": event.request_id,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "kind": event.kind,
        "data": event.data,
        "personal_hashes": event.personal_hashes,
        "prev_hash": event.prev_hash,
    }
    if event.request_id is None:
        # Ticket events hash as they always have; other chains also bind their name.
        facts["chain"] = event.chain
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


async def _head(session: AsyncSession, chain: str) -> AuditChain:
    """The chain's head, read and locked once per transaction (created on first use)."""
    heads: dict[str, AuditChain] = transaction_state(session, _HEADS)
    if chain in heads:
        return heads[chain]
    head = await select_locked(session, AuditChain, col(AuditChain.chain) == chain)
    if head is None:  # a new chain; two creators at once collide on the primary key
        head = AuditChain(chain=chain)
        session.add(head)
    heads[chain] = head
    return head


def start_chain(session: AsyncSession, chain: str) -> None:
    """Begin a chain known to be new (a ticket just created): no head to read first."""
    heads = transaction_state(session, _HEADS)
    if chain in heads:
        raise ValueError(f"the audit chain {chain} exists already")
    heads[chain] = AuditChain(chain=chain)
    session.add(heads[chain])


async def _append(
    session: AsyncSession,
    chain: str,
    kind: str,
    *,
    request_id: int | None,
    actor: str,
    data: Mapping[str, Any] | None,
    personal: Mapping[str, str] | None,
    at: datetime | None,
) -> Event:
    head = await _head(session, chain)
    key = _key(session)
    personal = dict(personal or {})
    event = Event(
        chain=chain,
        request_id=request_id,
        seq=head.seq + 1,
        at=at or utcnow(),
        actor=actor,
        kind=kind,
        data=dict(data or {}),
        personal=personal,
        personal_hashes={
            name: _keyed_hash(key, value) for name, value in personal.items()
        },
        prev_hash=head.head or GENESIS,
        hash="",
    )
    event.hash = _event_hash(event)
    head.seq, head.head = event.seq, event.hash
    session.add(event)  # inserted with the next flush: a batch costs one round trip
    return event


async def record(
    session: AsyncSession,
    dsr: Ticket,
    kind: str,
    *,
    actor: str,
    data: Mapping[str, Any] | None = None,
    personal: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append an event to the ticket's chain; personal values go beside their keyed hashes.

    Raises `UnregisteredWrite` unless the ticket is in its unit of work (locked).
    """
    require_writable(dsr, f"audit event {kind!r}")
    assert dsr.id is not None  # noqa: S101 - registered tickets are flushed
    return await _append(
        session,
        ticket_chain(dsr.id),
        kind,
        request_id=dsr.id,
        actor=actor,
        data=data,
        personal=personal,
        at=at,
    )


async def record_in(
    session: AsyncSession,
    chain: str,
    kind: str,
    *,
    actor: str,
    data: Mapping[str, Any] | None = None,
    personal: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append an event about no single ticket to a named chain (e.g. `staff`)."""
    if chain.startswith(TICKET_PREFIX):
        raise ValueError("a ticket's events are written with record()")
    return await _append(
        session,
        chain,
        kind,
        request_id=None,
        actor=actor,
        data=data,
        personal=personal,
        at=at,
    )


async def events_of(session: AsyncSession, chain: str) -> list[Event]:
    """A chain's events, oldest first."""
    result = await session.execute(
        select(Event).where(col(Event.chain) == chain).order_by(col(Event.seq))
    )
    return list(result.scalars())


async def timeline(session: AsyncSession, dsr: Ticket) -> list[Event]:
    """The ticket's events, oldest first."""
    assert dsr.id is not None  # noqa: S101 - a stored ticket
    return await events_of(session, ticket_chain(dsr.id))


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first place a chain does not hold; `name` is how to show the chain."""

    chain: str
    seq: int
    reason: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name or self.chain} event #{self.seq}: {self.reason}"


def check_chain(
    chain: str, events: list[Event], head: str | None, key: bytes
) -> BrokenLink | None:
    """Find the first broken link in one chain's events, or None when the chain holds."""
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return BrokenLink(chain, expected_seq, "event missing (sequence gap)")
        if event.prev_hash != prev:
            return BrokenLink(
                chain, event.seq, "previous-hash link broken (reordered or removed)"
            )
        if _event_hash(event) != event.hash:
            return BrokenLink(
                chain, event.seq, "content does not match its hash (altered)"
            )
        for name, value in event.personal.items():
            if _keyed_hash(key, value) != event.personal_hashes.get(name):
                return BrokenLink(chain, event.seq, f"personal value {name!r} altered")
        prev = event.hash
    if head != (prev if events else None):
        return BrokenLink(
            chain, len(events) + 1, "chain head missing (events removed at the end)"
        )
    return None


async def verify(
    session: AsyncSession, chains: Sequence[str] | None = None
) -> tuple[int, list[BrokenLink]]:
    """Check every chain (or the named ones); return chains checked and broken links.

    A chain with events but no head row, or a head with fewer events than it names, is
    broken: deleting rows cannot hide history.
    """
    heads = {
        row.chain: row.head
        for row in (await session.execute(select(AuditChain))).scalars()
    }
    names = set(heads) | set(
        (await session.execute(select(Event.chain).distinct())).scalars()
    )
    if chains is not None:
        names = set(chains)
    key = _key(session)
    broken = []
    for chain in sorted(names):
        if chain not in heads and chains is None:
            broken.append(BrokenLink(chain, 1, "chain head missing (head row removed)"))
            continue
        link = check_chain(
            chain, await events_of(session, chain), heads.get(chain), key
        )
        if link is not None:
            broken.append(link)
    return len(names), broken
