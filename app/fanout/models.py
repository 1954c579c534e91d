"""The connector task table: one row per connector and action of an approved request."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, enum_column, utcnow


class TaskStatus(StrEnum):
    """Where one connector's part of a request stands (contract strings)."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    WAITING = "waiting"  # the vendor erases later; polled by job reference
    FAILED = "failed"
    MANUAL = "manual"  # staff must act and complete it


class ConnectorTask(SQLModel, table=True):
    """One connector's share of one request."""

    __tablename__ = "connector_task"
    __table_args__ = (
        UniqueConstraint(
            "request_id", "connector", "action", name="uq_task_request_connector"
        ),
        Index("ix_connector_task_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(
        foreign_key="dsr_request.id", ondelete="CASCADE", index=True
    )
    connector: str = Field(max_length=100)
    action: str = Field(max_length=16)
    status: TaskStatus = Field(sa_type=enum_column(TaskStatus))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    job_ref: str | None = Field(default=None, max_length=255)
    error: str | None = Field(default=None, sa_column=Column(Text))
    # What staff must do for a manual task (from connectors.yaml or the vendor's answer).
    instructions: str | None = Field(default=None, sa_column=Column(Text))
    counts: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    # When the current attempt began: set by the claim, cleared with its outcome. A claim
    # that finds it still set knows the attempt before ended unrecorded (the worker died),
    # perhaps after the vendor had already erased.
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Some of this task's effect went uncounted (an interrupted attempt, or the vendor
    # answered `already_erased`): the report must not read zero counts as "not held".
    count_unknown: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WorkStatus(StrEnum):
    """Where a ticket's results step stands (contract strings)."""

    PENDING = "pending"  # due at next_attempt_at (or at once)
    RUNNING = "running"  # leased by a worker
    DONE = "done"
    FAILED = "failed"  # gave up: the ticket went to action_required


class ResultsWork(SQLModel, table=True):
    """A ticket whose tasks all succeeded, to be answered: leased work like a task.

    Written once, when the fan-out completes (with the `fanout_completed` event); the
    results step claims it, and staff's retry queues a failed one again.
    """

    __tablename__ = "results_work"
    __table_args__ = (
        Index("ix_results_work_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(
        foreign_key="dsr_request.id", ondelete="CASCADE", unique=True
    )
    status: WorkStatus = Field(sa_type=enum_column(WorkStatus))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last failure's kind (exception type and OS reason), never its message, which
    # may quote personal data (that goes to the audit event's erasable part).
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
