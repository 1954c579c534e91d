"""The message table: mail in and out, threaded onto tickets."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text
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


class Message(SQLModel, table=True):
    """One email; `request_id` is empty for inbound mail waiting in the triage inbox."""

    __tablename__ = "message"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int | None = Field(
        default=None, foreign_key="dsr_request.id", ondelete="CASCADE", index=True
    )
    direction: Direction = Field(sa_type=enum_column(Direction))
    message_id: str = Field(max_length=255, unique=True)
    in_reply_to: str | None = Field(default=None, max_length=255)
    subject: str = Field(default="", max_length=998)
    from_address: str = Field(max_length=320)
    to_address: str = Field(max_length=320)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    state: MessageState = Field(sa_type=enum_column(MessageState))
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
