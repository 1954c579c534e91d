"""One-time tokens sent by email: identity verification and export downloads."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, enum_column, utcnow


class TokenPurpose(StrEnum):
    """What a token unlocks."""

    VERIFY = "verify"
    DOWNLOAD = "download"


class VerificationToken(SQLModel, table=True):
    """A random token (and short code) stored only as hashes; single-use and expiring."""

    __tablename__ = "verification_token"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(
        foreign_key="dsr_request.id", ondelete="CASCADE", index=True
    )
    purpose: TokenPurpose = Field(sa_type=enum_column(TokenPurpose))
    token_hash: str = Field(max_length=64, unique=True)
    code_hash: str | None = Field(default=None, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0  # wrong codes entered against this token
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
