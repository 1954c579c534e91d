"""The results step as leased work: a poison ticket never starves the others, a dead
worker's answer is taken over, staff retry what gave up."""

from datetime import timedelta

import time_machine
from sqlmodel import col, update

from app.db import utcnow
from app.fanout.models import ResultsWork, WorkStatus
from app.fanout.runner import LEASE
from app.flows.answer import MAX_ATTEMPTS
from tests.fixtures.fanout import Api, Fanout


async def _poisoned(fanout: Fanout, api: Api, settings) -> tuple[str, list[str]]:
    """Three tickets through fan-out; the first one's staging file made unreadable."""
    fanout.configure(fanout.scripted("crm"))
    poison = await api.approved("access")
    others = [await api.approved("access"), await api.approved("erasure")]
    await fanout.run_tasks()
    staged = settings.data_dir / "staging" / poison / "crm.jsonl"
    staged.unlink()
    staged.mkdir()  # a file replaced by a directory: unreadable, even for root
    return poison, others


async def test_a_poison_ticket_ends_action_required_while_the_others_complete(
    fanout, api, settings
):
    poison, others = await _poisoned(fanout, api, settings)

    assert await fanout.answer() == 2  # the poison ticket comes first, in id order
    for reference in others:
        assert (await api.ticket(reference))["status"] == "completed"
    [first] = await api.events(poison, "results_failed")
    assert first["data"]["attempts"] == 1
    assert first["data"]["error"] == "IsADirectoryError: Is a directory"
    assert "next_attempt_at" in first["data"]
    assert (await api.ticket(poison))["status"] == "in_progress"

    start = utcnow()
    for attempt in range(2, MAX_ATTEMPTS + 1):  # each retry after its backoff
        with time_machine.travel(start + timedelta(hours=2 * attempt), tick=True):
            assert await fanout.answer() == 0

    failures = await api.events(poison, "results_failed")
    assert [event["data"]["attempts"] for event in failures] == list(
        range(1, MAX_ATTEMPTS + 1)
    )
    assert "next_attempt_at" not in failures[-1]["data"]
    ticket = await api.ticket(poison)
    assert ticket["status"] == "action_required"
    [moved] = [
        e
        for e in await api.events(poison, "status_changed")
        if e["data"]["to"] == "action_required"
    ]
    assert moved["data"]["results_error"] == "IsADirectoryError: Is a directory"


async def test_staff_retry_answers_a_ticket_whose_results_step_gave_up(
    fanout, api, settings
):
    poison, _ = await _poisoned(fanout, api, settings)
    start = utcnow()
    for attempt in range(MAX_ATTEMPTS):
        with time_machine.travel(start + timedelta(hours=2 * attempt), tick=True):
            await fanout.answer()
    assert (await api.ticket(poison))["status"] == "action_required"

    (settings.data_dir / "staging" / poison / "crm.jsonl").rmdir()  # staff fix it
    response = await api.post(f"{poison}/retry", {})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "in_progress"
    assert await fanout.answer() == 1

    assert (await api.ticket(poison))["status"] == "completed"
    assert len(await api.events(poison, "results_retried")) == 1


async def test_a_dead_workers_answer_is_taken_over_after_its_lease(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    reference = await api.approved("erasure")
    await fanout.run_tasks()
    async with fanout.maker() as session:  # a worker claimed the answer, then died
        await session.execute(
            update(ResultsWork)
            .where(col(ResultsWork.status) == WorkStatus.PENDING)
            .values(
                status=WorkStatus.RUNNING,
                attempts=1,
                lease_owner="dead-worker",
                lease_expires_at=utcnow() + LEASE,
            )
        )
        await session.commit()

    assert await fanout.answer() == 0  # its lease still holds
    with time_machine.travel(utcnow() + LEASE + timedelta(seconds=1), tick=True):
        assert await fanout.answer() == 1

    assert (await api.ticket(reference))["status"] == "completed"
    assert await api.events(reference, "results_failed") == []
