"""Identity jobs: remind unverified requesters, then close with notice."""

from apscheduler.triggers.interval import IntervalTrigger

from app.db import session_scope, utcnow
from app.identity.reminders import remind_and_close
from app.jobs import JobContext, job
from app.logging import log


@job("verification-reminders", IntervalTrigger(hours=1))
async def verification_reminders(context: JobContext) -> None:
    """Remind unverified requesters once; close those unverified for twice DSR_VERIFY_DAYS."""
    async with session_scope(context.sessionmaker) as session:
        run = await remind_and_close(session, settings=context.settings, now=utcnow())
    if run.reminded or run.closed:
        log.info("identity.reminders", reminded=run.reminded, closed=run.closed)
