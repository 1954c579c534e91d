"""Purges: expired packages and links, staging data of finished tickets, stale counters.

Every package is purged in a transaction of its own, under its ticket's lock, and re-read
there: one that cannot be purged is logged and retried by the next run while the others go
ahead, and two workers purging at once audit each package once. File and folder deletion runs
in a worker thread, never on the event loop.
"""

import contextlib
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import anyio
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from app import ratelimit
from app.audit import service as audit
from app.db import session_scope
from app.enums import OPEN_STATUSES
from app.exports.models import Export
from app.fanout.staging import staging_dir
from app.identity.models import VerificationToken
from app.jobs import each_item
from app.logging import failure, log
from app.requests import tickets
from app.requests.models import DsrRequest
from app.settings import Settings

# Leftovers of a build that was killed midway, or built but never recorded (another worker
# answered the ticket first); a day is far longer than recording a build takes.
STALE_PARTS = timedelta(days=1)
TOKEN_KEEP = timedelta(days=30)  # expired links still explain themselves for a while


@dataclass(frozen=True, slots=True)
class PurgeRun:
    """What one purge removed, and how many items failed (each logged)."""

    exports: int = 0
    staging: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        """Everything removed."""
        return self.exports + self.staging


async def purge_expired(
    maker: async_sessionmaker[AsyncSession], *, settings: Settings, now: datetime
) -> PurgeRun:
    """Remove expired packages and finished staging folders, stale links and counters.

    Idempotent, and safe to run on several workers at once.
    """
    exports = failed = 0
    async with maker() as session:
        expired = await session.execute(
            select(Export.id).where(
                col(Export.expires_at) < now, col(Export.purged_at).is_(None)
            )
        )
        export_ids = list(expired.scalars())
    for export_id in export_ids:
        done = await each_item(
            "exports.purge_failed",
            {"export_id": export_id},
            partial(_purge_one, maker, export_id, settings, now),
        )
        exports += done is True
        failed += done is None
    staging, staging_failed = await _purge_staging(maker, settings)
    failed += staging_failed
    failed += await anyio.to_thread.run_sync(_purge_partial_builds, settings)
    failed += await _purge_unrecorded(maker, settings)
    async with session_scope(maker) as session:
        await session.execute(
            delete(VerificationToken).where(
                col(VerificationToken.expires_at) < now - TOKEN_KEEP
            )
        )
        await ratelimit.purge(session, older_than=timedelta(days=1))
    return PurgeRun(exports=exports, staging=staging, failed=failed)


async def _purge_one(
    maker: async_sessionmaker[AsyncSession],
    export_id: int,
    settings: Settings,
    now: datetime,
) -> bool:
    async with session_scope(maker) as session:
        return await purge_export(session, export_id, settings=settings, now=now)


async def purge_export(
    session: AsyncSession, export_id: int, *, settings: Settings, now: datetime
) -> bool:
    """Delete one expired package's file and audit it, once; False if nothing was due."""
    request_id = await session.scalar(
        select(Export.request_id).where(col(Export.id) == export_id)
    )
    if request_id is None:
        return False
    # The ticket's lock orders this against another purge, a download and a resend; what
    # was read before it may be stale, so the package is read again under it.
    dsr = await tickets.edit_or_none(session, request_id)
    export = (
        await session.execute(
            select(Export)
            .where(
                col(Export.id) == export_id,
                col(Export.expires_at) < now,
                col(Export.purged_at).is_(None),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if dsr is None or export is None:
        return False  # purged meanwhile, or sent again with a new expiry
    await anyio.to_thread.run_sync(_remove_file, settings.data_dir / export.path)
    export.purged_at = now
    await audit.record(
        session,
        dsr,
        "export_purged",
        actor="system",
        data={"export_id": export.id},
        at=now,
    )
    await session.flush()
    return True


async def _purge_staging(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> tuple[int, int]:
    """Staging folders of tickets no longer open, or whose package is built: removed, failed."""
    root = settings.data_dir / "staging"
    references = await anyio.to_thread.run_sync(_folders, root)
    if not references:
        return 0, 0
    async with maker() as session:
        rows = await session.execute(
            select(DsrRequest.reference, DsrRequest.status, DsrRequest.id).where(
                col(DsrRequest.reference).in_(references)
            )
        )
        known = {reference: (status, ident) for reference, status, ident in rows}
        built = set(
            (
                await session.execute(
                    select(Export.request_id).where(
                        col(Export.request_id).in_(
                            [ident for _, ident in known.values()]
                        )
                    )
                )
            ).scalars()
        )
    removed = failed = 0
    for reference in references:
        status, ident = known.get(reference, (None, None))
        if status is not None and status in OPEN_STATUSES and ident not in built:
            continue
        folder = staging_dir(settings.data_dir, reference)
        done = await each_item(
            "exports.staging_purge_failed",
            {"reference": reference},
            partial(anyio.to_thread.run_sync, _remove_tree, folder),
        )
        removed += done is True
        failed += done is None
    return removed, failed


def _purge_partial_builds(settings: Settings) -> int:
    """Delete stale partial builds (dot files and folders); return how many failed."""
    folder = settings.data_dir / "exports"
    if not folder.is_dir():
        return 0
    cutoff = time.time() - STALE_PARTS.total_seconds()
    failed = 0
    for path in folder.iterdir():
        if not path.name.startswith("."):
            continue
        try:
            if path.lstat().st_mtime >= cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            pass  # another worker's purge got there first
        except OSError as exc:
            failed += 1
            log.error("exports.partial_purge_failed", file=path.name, **failure(exc))
    return failed


async def _purge_unrecorded(
    maker: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Delete stale packages no Export row names; return how many failed."""
    folder = settings.data_dir / "exports"
    cutoff = time.time() - STALE_PARTS.total_seconds()
    stale = await anyio.to_thread.run_sync(_stale_packages, folder, cutoff)
    if not stale:
        return 0
    paths = {str(path.relative_to(settings.data_dir)): path for path in stale}
    async with maker() as session:
        recorded = set(
            (
                await session.execute(
                    select(Export.path).where(col(Export.path).in_(list(paths)))
                )
            ).scalars()
        )
    failed = 0
    for relative, path in paths.items():
        if relative in recorded:
            continue
        done = await each_item(
            "exports.unrecorded_purge_failed",
            {"file": path.name},
            partial(anyio.to_thread.run_sync, _remove_file, path),
        )
        failed += done is None
    return failed


def _stale_packages(folder: Path, cutoff: float) -> list[Path]:
    if not folder.is_dir():
        return []
    stale = []
    for path in folder.glob("*.zip"):
        with contextlib.suppress(FileNotFoundError):  # another worker's purge took it
            if not path.name.startswith(".") and path.lstat().st_mtime < cutoff:
                stale.append(path)
    return stale


def _folders(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return [path.name for path in root.iterdir() if path.is_dir()]


def _remove_file(path: Path) -> bool:
    path.unlink(missing_ok=True)
    return True


def _remove_tree(path: Path) -> bool:
    with contextlib.suppress(FileNotFoundError):  # removed meanwhile by another worker
        shutil.rmtree(path)
    return True
