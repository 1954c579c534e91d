"""The job registry: domains declare periodic jobs with `@job`; APScheduler runs them."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import import_module

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import NotFound
from app.settings import Settings


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
    name: str, trigger: BaseTrigger | TriggerFactory
) -> Callable[[JobFunc], JobFunc]:
    """Register an idempotent job under `name`, run on `trigger`."""

    def register(func: JobFunc) -> JobFunc:
        if name in JOBS:
            raise ValueError(f"job {name!r} is registered twice")
        summary = (func.__doc__ or "").strip().split("\n")[0]
        factory = trigger if callable(trigger) else (lambda _settings: trigger)
        JOBS[name] = Job(name, func, factory, summary)
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


def build_scheduler(context: JobContext) -> AsyncIOScheduler:
    """An in-memory scheduler with every registered job; state lives in our own tables."""
    scheduler = AsyncIOScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )
    for registered in load_jobs().values():
        trigger = registered.trigger_for(context.settings)
        scheduler.add_job(registered.func, trigger, args=[context], id=registered.name)
    return scheduler
