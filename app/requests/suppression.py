"""Suppression records: what an erasure leaves behind, a keyed hash of the address.

No address is kept; the hash only lets us notice when data of an erased person comes back
(synced from a CRM, a new request), so staff can erase it again.
"""

import hashlib
import hmac

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.requests.models import Suppression
from app.settings import Settings, derived_key


def suppression_hash(email_key: str, *, settings: Settings) -> str:
    """The keyed hash kept after an erasure (never the address itself)."""
    key = derived_key(settings, "dsr-desk suppression v1")
    return hmac.new(key, email_key.strip().lower().encode(), hashlib.sha256).hexdigest()


async def suppress(
    session: AsyncSession, email_key: str, *, settings: Settings
) -> None:
    """Record the keyed hash of an erased address, once."""
    digest = suppression_hash(email_key, settings=settings)
    found = await session.execute(
        select(Suppression.id).where(Suppression.email_hash == digest)
    )
    if found.first() is None:
        try:
            async with session.begin_nested():
                session.add(Suppression(email_hash=digest))
        except IntegrityError:  # recorded concurrently: fine
            pass


async def is_suppressed(
    session: AsyncSession, email: str, *, settings: Settings
) -> bool:
    """Whether this address was erased before."""
    digest = suppression_hash(email, settings=settings)
    query = select(Suppression.id).where(Suppression.email_hash == digest)
    # Nothing pending can change the answer: the ticket's rows flush later, together.
    found = await session.execute(query.execution_options(autoflush=False))
    return found.first() is not None
