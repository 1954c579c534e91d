"""Request jobs: the retention purge."""

from apscheduler.triggers.cron import CronTrigger

from app.db import session_scope, utcnow
from app.flows.retention import purge_closed
from app.jobs import JobContext, job
from app.logging import log


@job("retention-purge", CronTrigger(hour=3, minute=30))
async def retention_purge(context: JobContext) -> None:
    """Erase personal data of tickets closed longer than DSR_RETENTION_DAYS."""
    async with session_scope(context.sessionmaker) as session:
        run = await purge_closed(session, settings=context.settings, now=utcnow())
    if run.purged:
        log.info("requests.retention_purged", tickets=run.purged)
