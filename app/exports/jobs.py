"""Results jobs: answer tickets whose fan-out finished, and purge what is no longer needed."""

from apscheduler.triggers.interval import IntervalTrigger

from app.db import utcnow
from app.exports.answer import answer_ready
from app.exports.purge import purge_expired
from app.jobs import JobContext, job
from app.logging import log


@job("results", IntervalTrigger(seconds=30))
async def results(context: JobContext) -> None:
    """Build and send access packages, confirm erasures, complete answered tickets."""
    answered = await answer_ready(context.sessionmaker, settings=context.settings)
    if answered:
        log.info("exports.answered", tickets=answered)


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
