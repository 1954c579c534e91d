"""Deadline jobs: the sweep that flags and escalates tickets."""

from apscheduler.triggers.interval import IntervalTrigger

from app.db import utcnow
from app.deadlines.sweep import sweep
from app.jobs import JobContext, job
from app.logging import log


@job("deadline-sweep", IntervalTrigger(minutes=5))
async def deadline_sweep(context: JobContext) -> None:
    """Mark at-risk and overdue tickets and escalate each stage once."""
    result = await sweep(context.sessionmaker, settings=context.settings, now=utcnow())
    if result.at_risk or result.overdue or result.failed:
        log.info(
            "deadlines.swept",
            at_risk=result.at_risk,
            overdue=result.overdue,
            failed=result.failed,
        )
