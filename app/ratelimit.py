"""Sliding-window rate limits kept in the database, so every process sees the same counts.

Who is counted (an IP, an email address) is stored only as a keyed hash.
"""

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, String, bindparam, delete, func, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, select

from app.db import UTCDateTime, utcnow


class RateHit(SQLModel, table=True):
    """One counted action (form post, auto-reply) under a keyed hash of who did it."""

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_bucket_key_at", "bucket", "key_hash", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=40)
    key_hash: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def _count_hit() -> Any:
    """INSERT a hit only while the window holds fewer than the limit: built once, since
    building the statement cost more than running it on every form post."""
    bucket = bindparam("bucket", type_=String)
    key_hash = bindparam("key_hash", type_=String)
    now = bindparam("now", type_=UTCDateTime)
    recent = (
        select(func.count())
        .select_from(RateHit)
        .where(
            col(RateHit.bucket) == bucket,
            col(RateHit.key_hash) == key_hash,
            col(RateHit.at) > bindparam("since", type_=UTCDateTime),
        )
        .scalar_subquery()
    )
    row = select(bucket, key_hash, now).where(recent < bindparam("limit"))
    # The table, not the entity: an ORM insert would take the parameters as rows.
    table = RateHit.__table__  # type: ignore[attr-defined]  # set by SQLModel
    return insert(table).from_select(["bucket", "key_hash", "at"], row)


_COUNT_HIT = _count_hit()


def _key_hash(secret: bytes, key: str) -> str:
    return hmac.new(secret, key.strip().lower().encode(), hashlib.sha256).hexdigest()


async def hit(
    session: AsyncSession,
    bucket: str,
    key: str,
    *,
    limit: int,
    window: timedelta,
    secret: bytes,
) -> bool:
    """Count one action; False (and nothing counted) when `limit` is already reached.

    One statement: the hit is inserted only while the window holds fewer than `limit`. On
    PostgreSQL two such statements at once would both count the same 19 rows and both
    insert, so hits of one key first take a transaction-scoped advisory lock of that key
    (SQLite runs one writer at a time anyway).
    """
    key_hash, now = _key_hash(secret, key), utcnow()
    if session.get_bind().dialect.name == "postgresql":
        lock_key = func.hashtextextended(f"{bucket}:{key_hash}", 0)
        await session.execute(select(func.pg_advisory_xact_lock(lock_key)))
    result = await session.execute(
        _COUNT_HIT,
        {
            "bucket": bucket,
            "key_hash": key_hash,
            "now": now,
            "since": now - window,
            "limit": limit,
        },
    )
    return bool(getattr(result, "rowcount", 0))


async def purge(session: AsyncSession, *, older_than: timedelta) -> int:
    """Forget hits older than any window in use."""
    result = await session.execute(
        delete(RateHit).where(col(RateHit.at) < utcnow() - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)
