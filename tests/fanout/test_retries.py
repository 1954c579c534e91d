"""Transient errors are retried with backoff honouring Retry-After; others are not."""

from datetime import timedelta

import time_machine

from app.db import utcnow
from connectors.base import AuthError, ConnectorError, TransientError


def later(seconds: float) -> time_machine.travel:
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=True)


async def test_a_transient_error_is_retried_after_retry_after(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    fanout.script.then("crm", TransientError("HTTP 429 from crm.example", 600))
    reference = await api.approved("erasure")
    started = utcnow()

    first = await fanout.run()

    assert first.outcomes == {"pending": 1}
    task = await fanout.task("crm")
    assert (task.status, task.attempts, task.error) == (
        "pending",
        1,
        "HTTP 429 from crm.example",
    )
    assert task.next_attempt_at is not None
    assert task.next_attempt_at >= started + timedelta(seconds=600)
    assert (await fanout.run()).total == 0  # not due yet
    with later(590):
        assert (await fanout.run()).total == 0
    with later(601):
        assert (await fanout.run()).outcomes == {"succeeded": 1}
    ticket = await api.ticket(reference)
    assert ticket["status"] == "completed"
    assert ticket["tasks"][0]["attempts"] == 2
    [scheduled] = await api.events(reference, "task_retry_scheduled")
    assert scheduled["data"]["error"] == "HTTP 429 from crm.example"


async def test_backoff_grows_exponentially_with_jitter(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    fanout.script.then("crm", TransientError("down"), TransientError("down"))
    await api.approved("erasure")

    started = utcnow()
    await fanout.run()
    first = (await fanout.task("crm")).next_attempt_at
    with later(31):
        await fanout.run()
        second = (await fanout.task("crm")).next_attempt_at
        retried = utcnow()

    assert first is not None
    assert second is not None
    assert timedelta(seconds=14) <= first - started <= timedelta(seconds=31)
    assert timedelta(seconds=29) <= second - retried <= timedelta(seconds=61)


async def test_transient_errors_give_up_after_the_attempt_budget(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    fanout.script.then("crm", *[TransientError("HTTP 503 from crm.example")] * 10)
    reference = await api.approved("erasure")

    for hour in range(10):
        with later(hour * 7200):
            await fanout.run()

    task = await fanout.task("crm")
    assert task.status == "failed"
    assert task.error == "gave up after 10 attempts: HTTP 503 from crm.example"
    assert fanout.script.count("crm") == 10
    assert (await api.ticket(reference))["status"] == "action_required"


async def test_an_auth_error_fails_at_once_and_is_never_retried(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    fanout.script.then(
        "crm", AuthError("HTTP 401 from crm.example: credentials refused")
    )
    reference = await api.approved("erasure")

    await fanout.run()
    with later(86400):
        await fanout.run()

    assert fanout.script.count("crm") == 1
    task = (await api.tasks(reference))["crm"]
    assert task["status"] == "failed"
    assert task["attempts"] == 1
    assert task["error"] == (
        "HTTP 401 from crm.example: credentials refused (not retried: fix the credentials)"
    )
    ticket = await api.ticket(reference)
    assert ticket["status"] == "action_required"
    [moved] = [
        e
        for e in await api.events(reference, "status_changed")
        if e["data"]["to"] == "action_required"
    ]
    assert moved["data"]["failed"] == ["crm"]


async def test_staff_retry_requeues_the_failed_task_and_resumes_the_ticket(fanout, api):
    fanout.configure(fanout.scripted("crm", "warehouse"))
    fanout.script.then(
        "crm", AuthError("HTTP 401 from crm.example: credentials refused")
    )
    reference = await api.approved("erasure")
    await fanout.run()
    tasks = await api.tasks(reference)

    refused = await api.post(
        f"{reference}/retry", {"task_id": tasks["warehouse"]["id"]}
    )
    retried = await api.post(f"{reference}/retry", {"task_id": tasks["crm"]["id"]})

    assert refused.status_code == 409
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert body["status"] == "in_progress"
    crm = {t["connector"]: t for t in body["tasks"]}["crm"]
    assert (crm["status"], crm["attempts"], crm["error"]) == ("pending", 0, None)
    await fanout.run()
    assert (await api.ticket(reference))["status"] == "completed"
    assert fanout.script.count("crm") == 2
    assert fanout.script.count("warehouse") == 1


async def test_retry_without_a_task_id_requeues_every_failed_task(fanout, api):
    fanout.configure(fanout.scripted("crm", "warehouse"))
    fanout.script.then("crm", ConnectorError("HTTP 400 from crm.example"))
    fanout.script.then("warehouse", ConnectorError("HTTP 400 from wh.example"))
    reference = await api.approved("erasure")
    await fanout.run()

    retried = await api.post(f"{reference}/retry", {})
    again = await api.post(f"{reference}/retry", {})

    assert [t["status"] for t in retried.json()["tasks"]] == ["pending", "pending"]
    assert again.status_code == 409
    assert "no failed task" in again.json()["detail"]


async def test_a_finished_ticket_cannot_be_retried(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    reference = await api.approved("erasure")
    await fanout.run()

    response = await api.post(f"{reference}/retry", {})

    assert response.status_code == 409


async def test_an_unexpected_exception_fails_the_task_without_its_message(fanout, api):
    fanout.configure(fanout.scripted("crm"))
    fanout.script.then("crm", ValueError("bad row for ada.lovelace@example.com"))
    reference = await api.approved("erasure")

    await fanout.run()

    task = (await api.tasks(reference))["crm"]
    assert task["status"] == "failed"
    assert task["error"] == "unexpected ValueError in connector crm"
