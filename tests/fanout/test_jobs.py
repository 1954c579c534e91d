"""The scheduler's fan-out jobs find the runtime in the app's sessions and do the work."""

from datetime import timedelta

import time_machine

from app.db import utcnow
from app.jobs import JobContext, load_jobs, run_job
from connectors.base import EraseStatus, EraseSummary


async def test_the_jobs_are_registered():
    jobs = load_jobs()

    assert {"fanout", "pending-erasures"} <= set(jobs)


async def test_the_fanout_and_pending_erasures_jobs_finish_a_ticket(
    fanout, api, settings
):
    fanout.configure(fanout.scripted("crm", "vendor"))
    fanout.script.then("vendor", EraseSummary(status=EraseStatus.PENDING, job_ref="j1"))
    reference = await api.approved("erasure")
    context = JobContext(settings, fanout.maker)

    await run_job("fanout", context)
    assert (await api.ticket(reference))["status"] == "in_progress"
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=True):
        await run_job("pending-erasures", context)
    await run_job("results", context)

    assert (await api.ticket(reference))["status"] == "completed"


async def test_fanout_completed_is_written_once_per_ticket(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    reference = await api.approved("erasure")
    await fanout.run_tasks()

    for _ in range(3):  # the sweep runs every few seconds until the answer is sent
        await fanout.sweep()

    assert len(await api.events(reference, "fanout_completed")) == 1
    await fanout.answer()
    assert (await api.ticket(reference))["status"] == "completed"
    assert len(await api.events(reference, "fanout_completed")) == 1
