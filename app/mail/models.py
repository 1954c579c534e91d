"""Mail tables: messages in and out (the outbox is the `queued` ones) and mailbox state."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, enum_column, utcnow


class Direction(StrEnum):
    """Whether we received or sent a message."""

    IN = "in"
    OUT = "out"


class MessageState(StrEnum):
    """Delivery state of an outbound message; inbound ones are `received`."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    RECEIVED = "received"


class Triage(StrEnum):
    """Inbound mail that matched no ticket waits in the triage inbox until staff decide."""

    NEW = "new"
    OPENED = "opened"  # staff opened a ticket from it
    DISMISSED = "dismissed"


class Message(SQLModel, table=True):
    """One email; `request_id` is empty for inbound mail waiting in the triage inbox."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_state_next", "state", "next_attempt_at"),
        Index("ix_message_peer", "direction", "peer", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int | None = Field(
        default=None, foreign_key="dsr_request.id", ondelete="CASCADE", index=True
    )
    direction: Direction = Field(sa_type=enum_column(Direction))
    kind: str = Field(default="mail", max_length=40)  # template name for outbound mail
    message_id: str = Field(max_length=255, unique=True)
    in_reply_to: str | None = Field(default=None, max_length=255)
    references: str | None = Field(
        default=None, sa_column=Column(Text)
    )  # space-separated ids
    subject: str = Field(default="", max_length=998)
    from_address: str = Field(max_length=320)
    to_address: str = Field(max_length=320)
    peer: str = Field(default="", max_length=320)  # the other side, lower-cased
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    html: str | None = Field(default=None, sa_column=Column(Text))
    # Sent with Auto-Submitted: auto-replied, or received as automatic mail.
    automatic: bool = False
    attachment_path: str | None = Field(
        default=None, max_length=1000
    )  # in DSR_DATA_DIR
    state: MessageState = Field(sa_type=enum_column(MessageState))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_column=Column(Text))
    triage: Triage | None = Field(default=None, sa_type=enum_column(Triage))
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    classification: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MailboxState(SQLModel, table=True):
    """Where IMAP polling stands in a folder: UIDs up to `last_uid` are ingested."""

    __tablename__ = "mailbox_state"

    folder: str = Field(primary_key=True, max_length=200)
    # IMAP UIDs and UIDVALIDITY are unsigned 32-bit: past PostgreSQL's signed INTEGER.
    uidvalidity: int = Field(sa_type=BigInteger)
    last_uid: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
