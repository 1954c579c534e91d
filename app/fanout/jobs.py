"""Fan-out jobs: run due connector tasks, and poll erasures that vendors finish later."""

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.fanout import runner
from app.fanout.config import FanoutRuntime, runtime_of
from app.jobs import JobContext, job
from app.logging import log


async def _runtime(maker: async_sessionmaker[AsyncSession]) -> FanoutRuntime | None:
    async with maker() as session:
        runtime = runtime_of(session)
    if runtime is None:
        log.warning(
            "fanout.not_configured", hint="the app loads connectors at start-up"
        )
    return runtime


@job("fanout", IntervalTrigger(seconds=5), wake_on="fanout")
async def run_fanout(context: JobContext) -> None:
    """Plan approved tickets, run due connector tasks, and move finished tickets on."""
    runtime = await _runtime(context.sessionmaker)
    if runtime is None:
        return
    await runner.sweep(context.sessionmaker, runtime)
    await runner.run_due(
        context.sessionmaker, runtime, data_dir=context.settings.data_dir
    )


@job("pending-erasures", IntervalTrigger(seconds=60))
async def poll_pending_erasures(context: JobContext) -> None:
    """Poll erasures that vendors run later, until they report done."""
    runtime = await _runtime(context.sessionmaker)
    if runtime is not None:
        await runner.poll_due(context.sessionmaker, runtime)
