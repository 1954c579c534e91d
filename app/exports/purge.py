"""Purges: expired packages and links, staging data of finished tickets, stale counters."""

import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app import ratelimit
from app.audit import service as audit
from app.enums import OPEN_STATUSES
from app.exports.models import Export
from app.fanout.staging import staging_dir
from app.identity.models import VerificationToken
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings

STALE_PARTS = timedelta(days=1)  # leftovers of a build that was killed midway
TOKEN_KEEP = timedelta(days=30)  # expired links still explain themselves for a while


@dataclass(frozen=True, slots=True)
class PurgeRun:
    """What one purge removed."""

    exports: int = 0
    staging: int = 0

    @property
    def total(self) -> int:
        """Everything removed."""
        return self.exports + self.staging


async def purge_expired(
    session: AsyncSession, *, settings: Settings, now: datetime
) -> PurgeRun:
    """Remove expired packages and finished staging folders; idempotent."""
    expired = select(Export).where(
        col(Export.expires_at) < now, col(Export.purged_at).is_(None)
    )
    exports = 0
    for export in list((await session.execute(expired)).scalars()):
        (settings.data_dir / export.path).unlink(missing_ok=True)
        export.purged_at = now
        dsr = await tickets.edit_or_none(session, export.request_id)
        if dsr is not None:
            await audit.record(
                session,
                dsr,
                "export_purged",
                actor="system",
                data={"export_id": export.id},
                at=now,
            )
        exports += 1
    staging = await _purge_staging(session, settings)
    _purge_partial_builds(settings)
    await session.execute(
        delete(VerificationToken).where(
            col(VerificationToken.expires_at) < now - TOKEN_KEEP
        )
    )
    await ratelimit.purge(session, older_than=timedelta(days=1))
    return PurgeRun(exports=exports, staging=staging)


async def _purge_staging(session: AsyncSession, settings: Settings) -> int:
    """Staging folders of tickets no longer open, or whose package is built."""
    root = settings.data_dir / "staging"
    if not root.is_dir():
        return 0
    references = [path.name for path in root.iterdir() if path.is_dir()]
    if not references:
        return 0
    rows = await session.execute(
        select(DsrRequest.reference, DsrRequest.status, DsrRequest.id).where(
            col(DsrRequest.reference).in_(references)
        )
    )
    built = set((await session.execute(select(Export.request_id))).scalars())
    removed = 0
    known = {reference: (status, ident) for reference, status, ident in rows}
    for reference in references:
        status, ident = known.get(reference, (None, None))
        if status is None or status not in OPEN_STATUSES or ident in built:
            shutil.rmtree(staging_dir(settings.data_dir, reference), ignore_errors=True)
            removed += 1
    return removed


def _purge_partial_builds(settings: Settings) -> None:
    folder = settings.data_dir / "exports"
    if not folder.is_dir():
        return
    cutoff = time.time() - STALE_PARTS.total_seconds()
    for path in folder.iterdir():
        if path.name.startswith(".") and path.stat().st_mtime < cutoff:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
