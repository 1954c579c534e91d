"""Erasure counts stay true across attempts: merged, not overwritten, and a vendor's
"already erased" is reported as such, never as "not held"."""

from datetime import timedelta

import time_machine

from app.db import utcnow
from connectors.base import EraseStatus, EraseSummary


async def test_counts_of_a_pending_erasure_and_its_poll_are_merged(fanout, api):
    fanout.configure(fanout.scripted("vendor"))
    fanout.script.then(
        "vendor",
        EraseSummary(status=EraseStatus.PENDING, job_ref="j1", erased={"profiles": 2}),
    )
    # The job's report no longer sees the profiles the first call deleted.
    fanout.script.polls["vendor"].append(
        EraseSummary(erased={"profiles": 0, "events": 5})
    )
    reference = await api.approved("erasure")
    await fanout.run()

    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=True):
        assert (await fanout.poll()).outcomes == {"succeeded": 1}

    task = (await api.tasks(reference))["vendor"]
    assert task["counts"] == {"profiles": 2, "events": 5}


async def test_a_vendor_saying_already_erased_is_reported_so(fanout, api):
    fanout.configure(fanout.scripted("stripe_like"))
    fanout.script.then("stripe_like", EraseSummary(status=EraseStatus.ALREADY_ERASED))
    reference = await api.approved("erasure")

    assert (await fanout.run()).outcomes == {"succeeded": 1}

    assert (await api.ticket(reference))["status"] == "completed"
    [succeeded] = await api.events(reference, "task_succeeded")
    assert succeeded["data"]["count_unknown"] is True
    [report] = await api.events(reference, "erasure_reported")
    assert report["data"]["systems"] == [
        {
            "name": "stripe_like",
            "outcome": "already_erased",
            "detail": None,
            "records": None,
        }
    ]


async def test_an_erasure_of_a_person_never_held_is_still_not_held(fanout, api):
    fanout.configure(fanout.scripted("vendor"))
    fanout.script.then("vendor", EraseSummary(erased={}))
    reference = await api.approved("erasure")

    await fanout.run()

    [report] = await api.events(reference, "erasure_reported")
    assert report["data"]["systems"][0]["outcome"] == "not_held"
