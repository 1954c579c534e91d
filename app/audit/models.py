"""The audit tables: events, and the head of each hash chain."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class AuditChain(SQLModel, table=True):
    """The head of one hash chain: appending needs no scan, and truncation is detectable.

    A ticket's chain is `ticket:<id>`; other chains (`staff`, `config`, `records`) hold
    events that are about no single ticket.
    """

    __tablename__ = "audit_chain"

    chain: str = Field(primary_key=True, max_length=64)
    seq: int = 0
    head: str | None = Field(default=None, max_length=64)


class Event(SQLModel, table=True):
    """One fact in a chain's history; `hash` chains it to the event before it."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("chain", "seq", name="uq_event_chain_seq"),
        Index("ix_event_request_at", "request_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=64)
    # Set on a ticket's events, so they go with the ticket and the timeline finds them.
    request_id: int | None = Field(
        default=None, foreign_key="dsr_request.id", ondelete="CASCADE"
    )
    seq: int
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=64)
    # Facts only: no personal values, so they may stay after the retention purge.
    data: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    # Personal values (names, emails, message text) beside their keyed hashes: the purge
    # empties `personal` and the chain, which covers only the hashes, still verifies.
    personal: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    personal_hashes: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
