"""Results jobs: answer tickets whose fan-out finished, and purge what is no longer needed."""

from apscheduler.triggers.interval import IntervalTrigger

from app.db import session_scope, utcnow
from app.exports.purge import purge_expired
from app.flows.answer import answer_ready
from app.jobs import JobContext, job
from app.logging import log


@job("results", IntervalTrigger(seconds=10), wake_on="results")
async def results(context: JobContext) -> None:
    """Build and send access packages, confirm erasures, complete answered tickets."""
    answered = await answer_ready(context.sessionmaker, settings=context.settings)
    if answered:
        log.info("exports.answered", tickets=answered)


@job("export-purge", IntervalTrigger(hours=1))
async def export_purge(context: JobContext) -> None:
    """Delete expired packages, finished staging data, stale tokens and rate counters."""
    async with session_scope(context.sessionmaker) as session:
        purged = await purge_expired(session, settings=context.settings, now=utcnow())
    if purged.total:
        log.info("exports.purged", exports=purged.exports, staging=purged.staging)
