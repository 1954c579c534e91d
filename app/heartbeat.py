"""The worker's health signal: a file it touches while it runs, which a health check reads.

`dsr worker` serves no HTTP, so a container's health check cannot poll it; it reads this
file's age instead (`dsr worker --check`). Kept free of heavy imports: the check runs every
30 seconds.
"""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import anyio

from app.logging import failure, log

HEARTBEAT_SECONDS = 30


async def beat(path: Path) -> None:
    """Touch `path` every HEARTBEAT_SECONDS, for as long as the caller runs."""
    target = anyio.Path(path)
    await target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            await target.write_text(f"{datetime.now(UTC).isoformat()}\n")
        except OSError as exc:  # a full or read-only disk: the check then reports it
            log.warning("jobs.heartbeat_failed", **failure(exc))
        await asyncio.sleep(HEARTBEAT_SECONDS)


def fresh(path: Path, *, now: float) -> bool:
    """Whether `path` was touched within three heartbeats of `now` (a Unix time)."""
    try:
        return now - path.stat().st_mtime < 3 * HEARTBEAT_SECONDS
    except OSError:
        return False
