"""A worker that dies mid-task: the lease expires, another worker finishes it once; a
live worker's heartbeat keeps its tasks; an erasure whose worker died is reported as
erased with an unknown count, never as "not held"."""

import asyncio
import contextlib
import json
from datetime import timedelta

import time_machine

from app.db import utcnow
from app.fanout import runner
from app.fanout.outcomes import MAX_ATTEMPTS
from app.fanout.runner import LEASE
from connectors.base import EraseSummary, Record, TransientError

RECORDS = [Record("profile", {"n": n}) for n in range(1200)]


def after_the_lease() -> time_machine.travel:
    return time_machine.travel(utcnow() + LEASE + timedelta(seconds=1), tick=True)


def _staged_numbers(settings, reference: str) -> list[int]:
    path = settings.data_dir / "staging" / reference / "crm.jsonl"
    return [json.loads(line)["data"]["n"] for line in path.read_text().splitlines()]


async def test_a_dead_workers_task_resumes_after_its_lease_and_completes_once(
    fanout, api, settings
):
    fanout.configure(fanout.scripted("crm"))
    fanout.script.records = RECORDS
    fanout.script.gate, fanout.script.gate_after = asyncio.Event(), 700
    reference = await api.approved("access")
    dying = asyncio.create_task(fanout.run(worker="worker-a"))
    await asyncio.wait_for(fanout.script.streaming.wait(), 10)

    dying.cancel()  # the worker dies with 700 records half-written
    with contextlib.suppress(asyncio.CancelledError):
        await dying

    task = await fanout.task("crm")
    assert (task.status, task.lease_owner, task.attempts) == ("running", "worker-a", 1)
    assert (await fanout.run(worker="worker-b")).total == 0  # the lease still holds
    with after_the_lease():
        resumed = await fanout.run(worker="worker-b")

    assert resumed.outcomes == {"succeeded": 1}
    assert _staged_numbers(settings, reference) == list(range(1200))
    folder = settings.data_dir / "staging" / reference
    assert [path.name for path in folder.iterdir()] == ["crm.jsonl"]
    assert fanout.script.count("crm", "access") == 2
    assert len(fanout.script.finished) == 1
    ticket = await api.ticket(reference)
    assert ticket["status"] == "completed"
    assert ticket["tasks"][0]["attempts"] == 2
    assert ticket["tasks"][0]["counts"] == {"profile": 1200}
    assert len(await api.events(reference, "task_succeeded")) == 1


async def test_a_worker_that_lost_its_lease_cannot_overwrite_the_result(
    fanout, api, settings
):
    fanout.configure(fanout.scripted("crm"))
    fanout.script.records = RECORDS
    gate = fanout.script.gate = asyncio.Event()
    reference = await api.approved("access")
    stalled = asyncio.create_task(fanout.run(worker="worker-a"))
    await asyncio.wait_for(fanout.script.streaming.wait(), 10)

    with after_the_lease():
        taken_over = await fanout.run(worker="worker-b")
    gate.set()  # the stalled worker wakes up and finishes too late
    late = await stalled

    assert taken_over.outcomes == {"succeeded": 1}
    assert late.outcomes == {"lost": 1}
    assert _staged_numbers(settings, reference) == list(range(1200))
    folder = settings.data_dir / "staging" / reference
    assert [path.name for path in folder.iterdir()] == ["crm.jsonl"]
    assert len(await api.events(reference, "task_succeeded")) == 1


async def test_a_task_that_keeps_killing_workers_fails_eventually(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    reference = await api.approved("erasure")
    for round_ in range(MAX_ATTEMPTS):
        fanout.script.then("crm", asyncio.Event())  # hangs until the worker dies
        with time_machine.travel(
            utcnow() + (LEASE + timedelta(seconds=1)) * round_, tick=True
        ):
            dying = asyncio.create_task(fanout.run(worker=f"w{round_}"))
            await fanout.script.until(lambda n=round_: fanout.script.count("crm") > n)
            dying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dying

    later = utcnow() + (LEASE + timedelta(seconds=1)) * MAX_ATTEMPTS
    with time_machine.travel(later, tick=True):
        await fanout.run()

    assert fanout.script.count("crm") == MAX_ATTEMPTS  # the last claim gave up unrun
    task = (await api.tasks(reference))["crm"]
    assert task["status"] == "failed"
    assert "gave up" in task["error"]


async def test_a_live_workers_heartbeat_keeps_its_task(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    release = asyncio.Event()
    fanout.script.then("crm", release)
    reference = await api.approved("erasure")
    running = asyncio.create_task(fanout.run(worker="worker-a"))
    await fanout.script.until(lambda: fanout.script.count("crm") == 1)

    start = utcnow()
    with time_machine.travel(start + LEASE * 0.8, tick=True):  # one beat, late
        assert await runner.renew_leases(fanout.maker, "worker-a") == 1
        assert await runner.renew_leases(fanout.maker, "worker-b") == 0
    with time_machine.travel(start + LEASE * 1.5, tick=True):  # the first lease is over
        assert (await fanout.run_tasks(worker="worker-b")).total == 0
    release.set()

    assert (await running).outcomes == {"succeeded": 1}
    assert fanout.script.count("crm") == 1
    assert (await api.ticket(reference))["status"] == "completed"


async def test_an_erasure_retried_after_its_worker_died_is_not_reported_as_not_held(
    fanout, api
):
    fanout.configure(fanout.scripted("crm"))
    # The first call never returns (the vendor erased, then the worker died); the
    # retry finds nothing left.
    fanout.script.then("crm", asyncio.Event(), EraseSummary(erased={}))
    reference = await api.approved("erasure")
    dying = asyncio.create_task(fanout.run(worker="worker-a"))
    await fanout.script.until(lambda: fanout.script.count("crm") == 1)
    dying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dying

    task = await fanout.task("crm")
    assert task.started_at is not None  # the claim recorded that an attempt began
    assert not task.count_unknown
    with after_the_lease():
        resumed = await fanout.run(worker="worker-b")

    assert resumed.outcomes == {"succeeded": 1}
    task = await fanout.task("crm")
    assert (task.attempts, task.counts, task.count_unknown) == (2, {}, True)
    assert task.started_at is None
    assert (await api.ticket(reference))["status"] == "completed"
    [report] = await api.events(reference, "erasure_reported")
    assert report["data"]["systems"] == [
        {"name": "crm", "outcome": "already_erased", "detail": None, "records": None}
    ]


async def test_an_erasure_retried_after_a_recorded_failure_keeps_its_true_zero(
    fanout, api
):
    fanout.configure(fanout.scripted("crm"))
    fanout.script.then("crm", TransientError("HTTP 503 from crm.example"))
    fanout.script.then("crm", EraseSummary(erased={}))
    reference = await api.approved("erasure")
    assert (await fanout.run()).outcomes == {"pending": 1}

    with time_machine.travel(utcnow() + timedelta(hours=1), tick=True):
        assert (await fanout.run()).outcomes == {"succeeded": 1}

    assert not (await fanout.task("crm")).count_unknown  # the 503 was recorded
    [report] = await api.events(reference, "erasure_reported")
    assert report["data"]["systems"][0]["outcome"] == "not_held"
