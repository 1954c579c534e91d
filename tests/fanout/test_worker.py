"""The worker in the app's process: work starts when it is announced, and at start-up.

The workers here never poll (`poll=False`): only a wake-up or the start-up run can move
a ticket, so a completed ticket proves that nobody waited for a poll.
"""

import asyncio
import contextlib

from apscheduler.triggers.interval import IntervalTrigger

from app.jobs import Job, JobContext, Worker, load_jobs
from app.main import make_app_sessionmaker


def _worker(settings, maker) -> Worker:
    jobs = load_jobs()
    chosen = {name: jobs[name] for name in ("fanout", "results")}
    return Worker(JobContext(settings, maker), jobs=chosen, poll=False)


async def test_an_approved_ticket_is_answered_at_once_not_at_the_next_poll(
    fanout, api, settings
):
    fanout.configure(fanout.scripted("crm", "erp"))
    worker = _worker(settings, fanout.maker)
    await worker.start()
    try:
        await worker.idle()
        access = await api.approved("access")
        erasure = await api.approved("erasure")
        await worker.idle()

        for reference in (access, erasure):
            assert (await api.ticket(reference))["status"] == "completed"
    finally:
        await worker.stop()


async def test_a_starting_worker_runs_waiting_work_at_once(fanout, api, settings):
    fanout.configure(fanout.scripted("crm"))
    reference = await api.approved("access")  # while no worker runs
    # A restarted worker: a process of its own, whose wake-up events nobody has set.
    maker = make_app_sessionmaker(settings, fanout.runtime)
    worker = _worker(settings, maker)
    await worker.start()
    try:
        await worker.idle()

        assert (await api.ticket(reference))["status"] == "completed"
    finally:
        await worker.stop()
        await maker.kw["bind"].dispose()


def _worker_of(app, settings, job) -> Worker:
    """A worker running `job` alone, woken on the outbox's channel, polling hourly."""
    trigger = lambda _settings: IntervalTrigger(seconds=3600)  # noqa: E731
    wakeable = Job(job.__name__, job, trigger, "a test's job", wake_on="outbox")
    context = JobContext(settings, app.state.sessionmaker)
    return Worker(context, jobs={wakeable.name: wakeable})


async def _stops(worker: Worker) -> bool:
    stopping = asyncio.create_task(worker.stop())
    done, _ = await asyncio.wait([stopping], timeout=5)
    return done == {stopping}


async def test_a_worker_stops_when_work_is_announced_as_it_stops(app, settings):
    # A wake-up set in the same loop step as the stop's cancel: Python 3.11's wait_for
    # returned the wake-up and dropped the cancel, and `dsr serve` then ignored SIGTERM.
    async def noop(_context: JobContext) -> None:
        pass

    worker = _worker_of(app, settings, noop)
    await worker.start()
    await worker.idle()

    worker.signal.wake("outbox")

    assert await _stops(worker)


async def test_a_worker_stops_even_when_a_job_swallows_the_cancel(app, settings):
    started = asyncio.Event()

    async def stubborn(_context: JobContext) -> None:
        started.set()
        with contextlib.suppress(asyncio.CancelledError):  # as a careless library might
            await asyncio.sleep(3600)

    worker = _worker_of(app, settings, stubborn)
    await worker.start()
    await started.wait()

    assert await _stops(worker)
