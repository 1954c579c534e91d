"""Flow jobs: answer tickets whose fan-out finished, and the retention purge."""

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.db import session_scope, utcnow
from app.flows.answer import answer_ready
from app.flows.retention import purge_closed
from app.jobs import JobContext, job
from app.logging import log


@job("results", IntervalTrigger(seconds=10), wake_on="results")
async def results(context: JobContext) -> None:
    """Build and send access packages, confirm erasures, complete answered tickets."""
    answered = await answer_ready(context.sessionmaker, settings=context.settings)
    if answered:
        log.info("results.answered", tickets=answered)


@job("retention-purge", CronTrigger(hour=3, minute=30))
async def retention_purge(context: JobContext) -> None:
    """Erase personal data of tickets closed longer than DSR_RETENTION_DAYS."""
    async with session_scope(context.sessionmaker) as session:
        run = await purge_closed(session, settings=context.settings, now=utcnow())
    if run.purged:
        log.info("requests.retention_purged", tickets=run.purged)
