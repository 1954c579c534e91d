"""The DSR ticket table."""

from datetime import datetime

from sqlalchemy import Column, Index, Text, func, text
from sqlmodel import Field, SQLModel, col

from app.db import UTCDateTime, enum_column, guard_writes, utcnow
from app.enums import Channel, DenialReason, Outcome, Regulation, RequestType, Status


class DsrRequest(SQLModel, table=True):
    """A data-subject request: who asked for what, under which law, and where it stands.

    A stored ticket changes only inside `app.requests.tickets.edit` (or as it is created):
    every column raises `UnregisteredWrite` otherwise. Status and outcome are written only
    by `app.requests.lifecycle`.
    """

    __tablename__ = "dsr_request"
    __table_args__ = (
        Index("ix_dsr_request_status_due", "status", "due_at"),
        Index("ix_dsr_request_assignee_status", "assignee_id", "status"),
        # PostgreSQL, where queues grow large (migration 0010; SQLite does not reflect
        # expression indexes). The queue's order (tickets.DUE, then id): a page is read
        # off the index instead of sorting every matching ticket.
        Index(
            "ix_dsr_request_due_order",
            text("coalesce(extended_due_at, due_at)"),
            "id",
            info={"only_on": "postgresql"},
        ),
        # The same order among open tickets alone, which every view but Closed shows:
        # closed ones (most of a desk's history) are not walked past.
        Index(
            "ix_dsr_request_open_due_order",
            text("coalesce(extended_due_at, due_at)"),
            "id",
            postgresql_where=text(
                "status IN ('unverified', 'pending_review', 'in_progress',"
                " 'action_required')"
            ),
            info={"only_on": "postgresql"},
        ),
        # The queue's search: a reference typed in any case, any part of an address or
        # a name (trigrams; the name's index follows the class).
        Index(
            "ix_dsr_request_reference_lower",
            text("lower(reference)"),
            info={"only_on": "postgresql"},
        ),
        Index(
            "ix_dsr_request_email_trigram",
            "subject_email_key",
            postgresql_using="gin",
            postgresql_ops={"subject_email_key": "gin_trgm_ops"},
            info={"only_on": "postgresql"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=12, unique=True)
    type: RequestType = Field(sa_type=enum_column(RequestType))
    regulation: Regulation = Field(sa_type=enum_column(Regulation))
    # Written only by app.requests.lifecycle.transition (a guard enforces it).
    status: Status = Field(sa_type=enum_column(Status))
    channel: Channel = Field(sa_type=enum_column(Channel))
    subject_email: str = Field(max_length=320)  # as given, trimmed, domain lower-cased
    subject_email_key: str = Field(
        max_length=320, index=True
    )  # lower-cased, for matching
    subject_name: str | None = Field(default=None, max_length=200)
    details: str | None = Field(default=None, sa_column=Column(Text))
    language: str = Field(default="en", max_length=8)
    # An authorised agent acting for the subject (CCPA 7063): who, and their proof of authority.
    agent_name: str | None = Field(default=None, max_length=200)
    agent_email: str | None = Field(default=None, max_length=320)
    agent_details: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(sa_type=UTCDateTime)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verification_method: str | None = Field(default=None, max_length=64)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    extended_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    extension_reason: str | None = Field(default=None, sa_column=Column(Text))
    assignee_id: int | None = Field(
        default=None, foreign_key="staff_user.id", ondelete="SET NULL"
    )
    escalated: bool = False
    escalation_stage: str | None = Field(
        default=None, max_length=16
    )  # at_risk | overdue
    reminded_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime
    )  # verification
    purged_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime
    )  # retention purge
    outcome: Outcome | None = Field(default=None, sa_type=enum_column(Outcome))
    denial_reason: DenialReason | None = Field(
        default=None, sa_type=enum_column(DenialReason)
    )
    thread_message_id: str | None = Field(default=None, max_length=255)
    unread: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def effective_due_at(self) -> datetime:
        """The due moment in force: the extended one once extended."""
        return self.extended_due_at or self.due_at


# An expression with an operator class needs the table's column, so it is declared here.
Index(
    "ix_dsr_request_name_trigram",
    func.lower(col(DsrRequest.subject_name)).label("subject_name_lower"),
    postgresql_using="gin",
    postgresql_ops={"subject_name_lower": "gin_trgm_ops"},
    info={"only_on": "postgresql"},
)
guard_writes(DsrRequest)


class Suppression(SQLModel, table=True):
    """What an erasure leaves behind: a keyed hash of the address, to spot data synced back."""

    __tablename__ = "suppression"

    id: int | None = Field(default=None, primary_key=True)
    email_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
