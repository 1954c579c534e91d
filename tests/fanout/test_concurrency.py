"""Workers share the work: never the same task twice, within the global and rate limits."""

import asyncio
import itertools
from collections import Counter

import pytest

from app.fanout import runner
from app.main import make_app_sessionmaker
from connectors.base import RateLimit

CONNECTORS = [f"system{n}" for n in range(6)]


@pytest.mark.pg
async def test_two_workers_on_postgresql_never_run_the_same_task(fanout, api, settings):
    runtime = fanout.configure(fanout.scripted(*CONNECTORS), concurrency=3)
    fanout.script.delay = 0.02
    references = [await api.approved("erasure") for _ in range(4)]
    makers = [make_app_sessionmaker(settings) for _ in range(2)]  # two engines
    try:
        first, second = await asyncio.gather(
            *(
                runner.run_due(maker, runtime, data_dir=settings.data_dir, worker=name)
                for maker, name in zip(makers, ("worker-a", "worker-b"), strict=True)
            )
        )
    finally:
        for maker in makers:
            await maker.kw["bind"].dispose()

    executions = Counter((c[2], c[0]) for c in fanout.script.calls)
    assert len(executions) == len(references) * len(CONNECTORS)
    assert set(executions.values()) == {1}
    assert first.outcomes["succeeded"] + second.outcomes["succeeded"] == 24
    assert first.total > 0
    assert second.total > 0
    await fanout.answer()
    for reference in references:
        assert (await api.ticket(reference))["status"] == "completed"


async def test_no_more_tasks_run_at_once_than_the_global_limit(fanout, api):
    fanout.configure(fanout.scripted(*CONNECTORS), concurrency=2)
    fanout.script.delay = 0.03
    reference = await api.approved("erasure")

    summary = await fanout.run()

    assert summary.outcomes == {"succeeded": 6}
    assert fanout.script.peak == 2
    assert (await api.ticket(reference))["status"] == "completed"


async def test_each_connector_is_held_to_its_types_rate_limit(fanout, api):
    fanout.configure(
        fanout.scripted("crm", "erp"), rate_limit=RateLimit(max_rate=1, time_period=0.1)
    )
    for _ in range(3):
        await api.approved("erasure")

    await fanout.run()

    times = {name: _call_times(fanout.script, name) for name in ("crm", "erp")}
    for name, moments in times.items():
        gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
        assert len(moments) == 3, name
        assert min(gaps) >= 0.08, gaps
    assert abs(times["crm"][0] - times["erp"][0]) < 0.08  # separate limiters


def _call_times(script, name: str) -> list[float]:
    pairs = zip(script.times, script.calls, strict=True)
    return sorted(moment for moment, call in pairs if call[0] == name)
