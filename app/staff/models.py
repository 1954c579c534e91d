"""Staff accounts and their API tokens."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, enum_column, utcnow
from app.enums import Role

__all__ = ["ApiToken", "Role", "StaffUser"]


class StaffUser(SQLModel, table=True):
    """A person on the support team."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str | None = Field(default=None, max_length=200)
    role: Role = Field(sa_type=enum_column(Role))
    password_hash: str = Field(max_length=255)  # argon2
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API, stored only as its SHA-256 hash."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_user.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime
    )  # None: never
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    """A browser's log-in to the staff UI; the cookie carries the token, this row its hash.

    Kept server-side so that logging out, deactivating the account or the timeouts end it
    at once, whatever the browser still holds.
    """

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_user.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)  # the absolute timeout
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
