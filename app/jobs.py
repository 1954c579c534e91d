"""The job registry and the worker: domains declare jobs with `@job`; `Worker` runs them.

Periodic jobs run on APScheduler. A job declared with `wake_on` (a `app.wakeup` channel)
runs in a loop of its own instead: at start, as soon as its channel is woken, and at least
once per interval of its trigger as the safety net. APScheduler cannot do the middle
part: a run requested while one is in progress is skipped (`max_instances`), so work
announced during a run would wait for the next poll.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import wakeup
from app.errors import NotFound
from app.heartbeat import beat
from app.logging import failure, log
from app.settings import Settings

T = TypeVar("T")


async def each_item(
    event: str, ids: Mapping[str, object], work: Callable[[], Awaitable[T]]
) -> T | None:
    """Run one item of a job in isolation: its result, or None after logging `event`.

    One bad item (a file that cannot be deleted, a damaged row) must not stop the others;
    a database that is down must, so its errors propagate and the next run resumes.
    """
    try:
        return await work()
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        log.error(event, **ids, **failure(exc))
        return None


@contextlib.asynccontextmanager
async def heartbeat(
    every: float, renew: Callable[[], Awaitable[object]], *, event: str
) -> AsyncIterator[None]:
    """Call `renew` every `every` seconds while the block runs (a lease's heartbeat).

    A failed beat is logged as `event` and the next one tries again: whoever writes under
    the lease checks it is still theirs, so a missed renewal costs a takeover, not a fork.
    """

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await renew()
            except Exception as exc:
                log.warning(event, error=type(exc).__name__)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job gets: the settings and a way to open sessions."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]


JobFunc = Callable[[JobContext], Awaitable[None]]
# Schedules may depend on settings (e.g. the IMAP poll interval), so a job's trigger is a
# function of them; `@job` also takes a plain trigger.
TriggerFactory = Callable[[Settings], BaseTrigger]


@dataclass(frozen=True, slots=True)
class Job:
    """A named periodic job."""

    name: str
    func: JobFunc
    trigger: TriggerFactory
    description: str
    wake_on: str | None = None

    def trigger_for(self, settings: Settings) -> BaseTrigger:
        """The concrete trigger under these settings."""
        return self.trigger(settings)


JOBS: dict[str, Job] = {}
# Domain modules whose import registers their jobs; later issues add theirs here.
JOB_MODULES: tuple[str, ...] = (
    "app.deadlines.jobs",
    "app.exports.jobs",
    "app.fanout.jobs",
    "app.identity.jobs",
    "app.mail.jobs",
    "app.flows.jobs",
)


def job(
    name: str, trigger: BaseTrigger | TriggerFactory, *, wake_on: str | None = None
) -> Callable[[JobFunc], JobFunc]:
    """Register an idempotent job under `name`, run on `trigger` (and when woken)."""
    if wake_on is not None and wake_on not in wakeup.CHANNELS:
        raise ValueError(f"job {name!r}: unknown wake-up channel {wake_on!r}")

    def register(func: JobFunc) -> JobFunc:
        if name in JOBS:
            raise ValueError(f"job {name!r} is registered twice")
        summary = (func.__doc__ or "").strip().split("\n")[0]
        factory = trigger if callable(trigger) else (lambda _settings: trigger)
        JOBS[name] = Job(name, func, factory, summary, wake_on)
        return func

    return register


def load_jobs() -> dict[str, Job]:
    """Import every domain's jobs module and return the registry."""
    for module in JOB_MODULES:
        import_module(module)
    return JOBS


async def run_job(name: str, context: JobContext) -> None:
    """Run one job now, by name."""
    jobs = load_jobs()
    if name not in jobs:
        known = ", ".join(sorted(jobs)) or "none registered yet"
        raise NotFound(f"no job {name!r} (known: {known})")
    await jobs[name].func(context)


def build_scheduler(
    context: JobContext, jobs: Mapping[str, Job] | None = None
) -> AsyncIOScheduler:
    """An in-memory scheduler with these (default: all) jobs; state lives in our tables."""
    scheduler = AsyncIOScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )
    for registered in (jobs if jobs is not None else load_jobs()).values():
        trigger = registered.trigger_for(context.settings)
        # Named as `dsr jobs list` names it, so APScheduler's log lines match (not the
        # function's name).
        scheduler.add_job(
            registered.func,
            trigger,
            args=[context],
            id=registered.name,
            name=registered.name,
        )
    return scheduler


class _Loop:
    """One wakeable job: runs, then waits for its wake-up event or the poll interval."""

    def __init__(
        self,
        registered: Job,
        context: JobContext,
        woken: asyncio.Event,
        interval: float | None,
        changed: asyncio.Condition,
    ) -> None:
        self.job, self.context, self.woken = registered, context, woken
        self.interval, self.changed = interval, changed
        self.busy = True

    @property
    def idle(self) -> bool:
        """Waiting, with no wake-up pending."""
        return not self.busy and not self.woken.is_set()

    async def run(self) -> None:
        task = asyncio.current_task()
        while True:
            # Cleared before the run: work announced during it makes it run again.
            self.woken.clear()
            await self._set_busy(True)
            try:
                await self.job.func(self.context)
            except Exception as exc:  # the next wake-up or poll tries again
                log.exception(
                    "jobs.failed", job=self.job.name, error=type(exc).__name__
                )
            await self._set_busy(False)
            if task is not None and task.cancelling():
                # Stopped while the job ran, and something in it swallowed the cancel
                # (a library's cleanup, say): stop anyway, or `Worker.stop` waits forever.
                raise asyncio.CancelledError
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel
            # that lands as the event is set, and the worker then never stops.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self.woken.wait()

    async def _set_busy(self, busy: bool) -> None:
        async with self.changed:
            self.busy = busy
            self.changed.notify_all()


def _interval(registered: Job, settings: Settings) -> float:
    interval = getattr(registered.trigger_for(settings), "interval", None)
    if not isinstance(interval, timedelta):
        raise ValueError(f"job {registered.name!r}: a wakeable job needs an interval")
    return interval.total_seconds()


class Worker:
    """Runs jobs in this process: the periodic ones on APScheduler, wakeable ones in loops.

    On PostgreSQL it also listens for other processes' wake-ups. `poll=False` leaves the
    wakeable jobs to wake-ups alone (tests prove with it that no poll was needed).
    """

    def __init__(
        self,
        context: JobContext,
        *,
        jobs: Mapping[str, Job] | None = None,
        poll: bool = True,
        heartbeat_file: Path | None = None,
    ) -> None:
        self.context = context
        self.heartbeat_file = heartbeat_file
        self.jobs = dict(jobs if jobs is not None else load_jobs())
        self.poll = poll
        maker = context.sessionmaker
        # Without one in the sessionmaker nothing wakes this worker: it polls.
        self.signal = wakeup.signal_of(maker) or wakeup.Wakeup()
        self._changed = asyncio.Condition()
        self._loops: list[_Loop] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._scheduler: AsyncIOScheduler | None = None
        self._listener: wakeup.Listener | None = None

    async def start(self) -> None:
        """Listen for wake-ups, start the scheduler and run every wakeable job once now."""
        settings = self.context.settings
        if settings.database_url.startswith("postgresql"):
            self._listener = wakeup.Listener(settings.database_url, self.signal)
            await self._listener.start()
        periodic = {n: j for n, j in self.jobs.items() if j.wake_on is None}
        self._scheduler = build_scheduler(self.context, periodic)
        self._scheduler.start()
        for registered in self.jobs.values():
            if registered.wake_on is None:
                continue
            interval = _interval(registered, settings) if self.poll else None
            woken = self.signal.event(registered.wake_on)
            loop = _Loop(registered, self.context, woken, interval, self._changed)
            self._loops.append(loop)
            self._tasks.append(asyncio.create_task(loop.run()))
        if self.heartbeat_file is not None:
            self._tasks.append(asyncio.create_task(beat(self.heartbeat_file)))

    async def stop(self) -> None:
        """Stop every job (runs in progress are cancelled) and the listener."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._listener is not None:
            await self._listener.stop()

    async def idle(self) -> None:
        """Return once every wakeable job waits with nothing announced (tests, benchmarks)."""
        async with self._changed:
            await self._changed.wait_for(lambda: all(loop.idle for loop in self._loops))
