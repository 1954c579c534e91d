"""The export table: one ZIP per answered access or portability request."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class Export(SQLModel, table=True):
    """A built export package and its delivery state."""

    __tablename__ = "export"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(
        foreign_key="dsr_request.id", ondelete="CASCADE", index=True
    )
    path: str = Field(max_length=1000)  # relative to DSR_DATA_DIR
    size: int
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime
    )  # DSR_REVIEW_EXPORTS
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    downloads: int = 0
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
