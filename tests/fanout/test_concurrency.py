"""Workers share the work: never the same task twice, within the global and rate limits,
and a slow task holds up nothing but its own slot.

Nothing here is timed: calls wait on events, and the tests wait for what the scripted
connectors were asked (`Script.until`).
"""

import asyncio
import contextlib
from collections import Counter

import pytest

from app.fanout import runner
from app.main import create_app, make_app_sessionmaker
from connectors.base import RateLimit
from tests.fixtures.app import client_for
from tests.fixtures.fanout import approved

CONNECTORS = [f"system{n}" for n in range(6)]


@pytest.mark.pg
async def test_two_workers_on_postgresql_never_run_the_same_task(fanout, api, settings):
    runtime = fanout.configure(fanout.scripted(*CONNECTORS), concurrency=3)
    # Calls wait until both workers hold three each, so each of them runs some.
    hold = fanout.script.hold = asyncio.Event()
    references = [await api.approved("erasure") for _ in range(4)]
    makers = [make_app_sessionmaker(settings) for _ in range(2)]  # two engines
    try:
        runs = [
            asyncio.create_task(
                runner.run_due(maker, runtime, data_dir=settings.data_dir, worker=name)
            )
            for maker, name in zip(makers, ("worker-a", "worker-b"), strict=True)
        ]
        await fanout.script.until(lambda: fanout.script.in_flight == 6)
        hold.set()
        first, second = await asyncio.gather(*runs)
    finally:
        for maker in makers:
            await maker.kw["bind"].dispose()

    executions = Counter((c[2], c[0]) for c in fanout.script.calls)
    assert len(executions) == len(references) * len(CONNECTORS)
    assert set(executions.values()) == {1}
    assert first.outcomes["succeeded"] + second.outcomes["succeeded"] == 24
    assert first.total >= 3
    assert second.total >= 3
    await fanout.answer()
    for reference in references:
        assert (await api.ticket(reference))["status"] == "completed"


async def test_no_more_tasks_run_at_once_than_the_global_limit(fanout, api):
    fanout.configure(fanout.scripted(*CONNECTORS), concurrency=2)
    hold = fanout.script.hold = asyncio.Event()
    reference = await api.approved("erasure")

    running = asyncio.create_task(fanout.run())
    await fanout.script.until(lambda: fanout.script.in_flight == 2)
    assert len(fanout.script.calls) == 2  # the other four wait for a slot
    hold.set()
    summary = await running

    assert summary.outcomes == {"succeeded": 6}
    assert fanout.script.peak == 2
    assert (await api.ticket(reference))["status"] == "completed"


async def test_each_connector_is_held_to_its_types_rate_limit(fanout, api):
    # One call an hour: after each connector's first call, its others must wait (the
    # scripted type holds its throttle per call, as every vendor call does).
    runtime = fanout.configure(
        fanout.scripted("crm", "erp"),
        rate_limit=RateLimit(max_rate=1, time_period=3600),
    )
    for _ in range(3):
        await api.approved("erasure")

    running = asyncio.create_task(fanout.run())
    try:
        # Both first calls go through: each connector has a limiter of its own.
        await fanout.script.until(lambda: fanout.script.done("erp") == 1)
        await fanout.script.until(lambda: fanout.script.done("crm") == 1)
        assert Counter(call[0] for call in fanout.script.calls) == {"crm": 1, "erp": 1}
        for name in ("crm", "erp"):
            assert not runtime.throttles[name].has_capacity()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


def _slow_and_quick(fanout, concurrency: int = 4):
    """`slow` and `quick` answer access requests, `other` erasures."""
    access, erase = ", actions: [access]", ", actions: [erase]"
    blocks = fanout.scripted("slow", "quick", extra=access)
    return fanout.configure(
        blocks + fanout.scripted("other", extra=erase), concurrency=concurrency
    )


async def test_a_ticket_approved_during_a_slow_call_does_not_wait_for_it(fanout, api):
    _slow_and_quick(fanout)
    release = asyncio.Event()
    fanout.script.then("slow", release)
    fanout.script.then("quick", release)
    first = await api.approved("access")
    running = asyncio.create_task(fanout.run_tasks())
    await fanout.script.until(lambda: fanout.script.in_flight == 2)

    second = await api.approved("erasure")  # its commit wakes the running worker
    await fanout.script.until(lambda: fanout.script.done("other") == 1)

    assert fanout.script.done("slow") == fanout.script.done("quick") == 0
    release.set()
    summary = await running
    assert summary.outcomes == {"succeeded": 3}
    await fanout.answer()
    for reference in (first, second):
        assert (await api.ticket(reference))["status"] == "completed"


async def test_a_freed_slot_takes_work_no_wake_up_announced(fanout, api, settings):
    runtime = _slow_and_quick(fanout)
    slow, quick = asyncio.Event(), asyncio.Event()
    fanout.script.then("slow", slow)
    fanout.script.then("quick", quick)
    await api.approved("access")
    running = asyncio.create_task(fanout.run_tasks())
    await fanout.script.until(lambda: fanout.script.in_flight == 2)

    # Approved through another app instance (another process): nothing wakes this worker.
    elsewhere = create_app(settings, runtime=runtime)
    async with (
        elsewhere.router.lifespan_context(elsewhere),
        client_for(elsewhere) as client,
    ):
        await approved(client, api.headers, type="erasure")
    quick.set()  # a slot frees: the worker claims again
    await fanout.script.until(lambda: fanout.script.done("other") == 1)

    assert fanout.script.done("slow") == 0
    slow.set()
    assert (await running).outcomes == {"succeeded": 3}
