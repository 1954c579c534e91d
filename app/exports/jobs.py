"""Export jobs: purge packages and staging data that are no longer needed."""

from apscheduler.triggers.interval import IntervalTrigger

from app.db import utcnow
from app.exports.purge import purge_expired
from app.jobs import JobContext, job
from app.logging import log


@job("export-purge", IntervalTrigger(hours=1))
async def export_purge(context: JobContext) -> None:
    """Delete expired packages, finished staging data, stale tokens and rate counters."""
    purged = await purge_expired(
        context.sessionmaker, settings=context.settings, now=utcnow()
    )
    if purged.total or purged.failed:
        log.info(
            "exports.purged",
            exports=purged.exports,
            staging=purged.staging,
            failed=purged.failed,
        )
