"""API shapes of a request: what clients send and what they get back."""

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.requests.enums import Channel, DenialReason, Regulation, RequestType, Status


class RequestCreate(BaseModel):
    """Body of `POST /api/v1/requests`."""

    model_config = ConfigDict(extra="forbid")

    type: RequestType
    regulation: Regulation
    email: str = Field(max_length=320)
    name: str | None = Field(None, max_length=200)
    details: str | None = Field(None, max_length=20_000)
    received_at: AwareDatetime | None = Field(
        None,
        description="When a letter or call arrived; defaults to now; never in the future.",
    )
    identity_verified: bool = Field(
        False,
        description="The caller already authenticated the person (starts at pending_review).",
    )


class SubjectOut(BaseModel):
    """Who the request is about."""

    email: str
    name: str | None


class TaskOut(BaseModel):
    """One connector's part of the request."""

    id: int
    connector: str
    action: str
    status: str
    attempts: int
    error: str | None
    counts: dict[str, Any]


class MessageOut(BaseModel):
    """One email of the ticket's thread."""

    direction: str
    from_address: str = Field(serialization_alias="from")
    subject: str
    time: datetime
    text: str


class RequestOut(BaseModel):
    """The request resource (contract.md)."""

    reference: str
    type: RequestType
    regulation: Regulation
    status: Status
    channel: Channel
    subject: SubjectOut
    details: str | None
    received_at: datetime
    verified_at: datetime | None
    verification_method: str | None
    acknowledged_at: datetime | None
    due_at: datetime
    extended_due_at: datetime | None
    extension_reason: str | None
    days_left: int | None
    at_risk: bool
    overdue: bool
    assignee: str | None
    escalated: bool
    unread: bool
    closed_at: datetime | None
    outcome: str | None
    denial_reason: DenialReason | None
    tasks: list[TaskOut] | None = None
    messages: list[MessageOut] | None = None


class RequestPage(BaseModel):
    """A page of requests with the cursor of the next page."""

    items: list[RequestOut]
    next_cursor: str | None


class EventOut(BaseModel):
    """One audit event."""

    seq: int
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]
    personal: dict[str, str]
    hash: str


class DenyBody(BaseModel):
    """Body of the deny action."""

    model_config = ConfigDict(extra="forbid")
    reason_code: DenialReason
    message: str = Field(min_length=1, max_length=10_000)


class ReasonBody(BaseModel):
    """Body of extend and cancel: a reason is required."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=10_000)


class AssignBody(BaseModel):
    """Body of assign: a staff email, or null to unassign."""

    model_config = ConfigDict(extra="forbid")
    staff_email: str | None


class NoteBody(BaseModel):
    """Body of notes."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20_000)


class VerifyBody(BaseModel):
    """Body of verify: how the identity was checked (never the evidence itself)."""

    model_config = ConfigDict(extra="forbid")
    method: str = Field(
        min_length=1, max_length=64, examples=["id_checked", "phone_callback"]
    )
    note: str | None = Field(None, max_length=2_000)


class EmptyBody(BaseModel):
    """Body of approve: nothing."""

    model_config = ConfigDict(extra="forbid")
