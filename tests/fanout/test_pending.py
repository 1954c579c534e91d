"""Erasures a vendor finishes later: polled until done, or completed by a signed callback."""

import json
import time
from datetime import timedelta

import time_machine
from starlette.responses import JSONResponse

from app.db import utcnow
from connectors.base import EraseStatus, EraseSummary
from connectors.webhook import sign

PENDING = EraseSummary(status=EraseStatus.PENDING, job_ref="job-42")


def later(seconds: float) -> time_machine.travel:
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=True)


async def test_a_pending_erasure_is_polled_until_done(fanout, api):
    fanout.configure(fanout.scripted("vendor"))
    fanout.script.then("vendor", PENDING)
    fanout.script.polls["vendor"].extend(
        [PENDING, EraseSummary(erased={"customers": 1, "charges": 3})]
    )
    reference = await api.approved("erasure")

    assert (await fanout.run()).outcomes == {"waiting": 1}
    task = await fanout.task("vendor")
    assert (task.status, task.job_ref) == ("waiting", "job-42")
    assert (await fanout.poll()).total == 0  # the first check is a minute away
    with later(61):
        assert (await fanout.poll()).outcomes == {"waiting": 1}
    assert (await api.ticket(reference))["status"] == "in_progress"
    with later(3600):
        assert (await fanout.poll()).outcomes == {"succeeded": 1}

    ticket = await api.ticket(reference)
    assert ticket["status"] == "completed"
    assert ticket["tasks"][0]["counts"] == {"customers": 1, "charges": 3}
    polls = [call for call in fanout.script.calls if call[1] == "poll"]
    assert [call[3] for call in polls] == ["job-42", "job-42"]
    assert fanout.script.count("vendor") == 1  # erase itself ran once


async def test_a_running_worker_never_polls(fanout, api):
    fanout.configure(fanout.scripted("vendor"))
    fanout.script.then("vendor", PENDING)
    await api.approved("erasure")
    await fanout.run()

    with later(3600):
        assert (await fanout.run()).total == 0


def _callback(fanout, key: str, **fields) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"idempotency_key": key, **fields}).encode()
    return body, {"X-DSR-Signature": sign(fanout.secret, body)}


async def test_a_202_webhook_erasure_completes_by_signed_callback(
    fanout, api, client, hook
):
    fanout.configure(fanout.hook_block(hook.url))
    hook.reply = lambda _payload: JSONResponse({"status": "pending"}, status_code=202)
    reference = await api.approved("erasure")
    await fanout.run()
    key = f"{reference}:shop_hook:erase"
    assert (await fanout.task("shop_hook")).job_ref == key

    body, headers = _callback(fanout, key, status="done", erased={"contacts": 2})
    url = "/api/v1/callbacks/webhook/shop_hook"
    forged = await client.post(
        url, content=body, headers={"X-DSR-Signature": "sha256=00"}
    )
    stale = sign(fanout.secret, body, timestamp=time.time() - 600)
    replayed = await client.post(url, content=body, headers={"X-DSR-Signature": stale})
    accepted = await client.post(url, content=body, headers=headers)
    repeated = await client.post(url, content=body, headers=headers)

    assert forged.status_code == 401
    assert replayed.status_code == 401  # a captured callback cannot be sent again later
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "succeeded"
    assert repeated.status_code == 200
    await fanout.answer()
    ticket = await api.ticket(reference)
    assert ticket["status"] == "completed"
    assert ticket["tasks"][0]["counts"] == {"contacts": 2}
    assert len(await api.events(reference, "task_succeeded")) == 1


async def test_a_callback_naming_no_task_is_404(fanout, api, client, hook):
    fanout.configure(fanout.hook_block(hook.url))
    reference = await api.approved("erasure")
    url = "/api/v1/callbacks/webhook/shop_hook"

    for key in (f"{reference}:other:erase", "DSR-22222222:shop_hook:erase", "x"):
        body, headers = _callback(fanout, key, status="done")
        assert (
            await client.post(url, content=body, headers=headers)
        ).status_code == 404
    body, headers = _callback(fanout, "x", status="done")
    unknown = await client.post(
        "/api/v1/callbacks/webhook/nope", content=body, headers=headers
    )
    assert unknown.status_code == 404


async def test_a_callback_before_the_task_waits_is_409(fanout, api, client, hook):
    fanout.configure(fanout.hook_block(hook.url))
    reference = await api.approved("erasure")
    body, headers = _callback(fanout, f"{reference}:shop_hook:erase", status="done")

    response = await client.post(
        "/api/v1/callbacks/webhook/shop_hook", content=body, headers=headers
    )

    assert response.status_code == 409


async def test_a_malformed_callback_names_the_field(fanout, api, client, hook):
    fanout.configure(fanout.hook_block(hook.url))
    reference = await api.approved("erasure")
    body, headers = _callback(fanout, f"{reference}:shop_hook:erase", status="gone")

    response = await client.post(
        "/api/v1/callbacks/webhook/shop_hook", content=body, headers=headers
    )

    assert response.status_code == 422
    assert response.json()["detail"].startswith("status:")


async def test_a_callback_can_deliver_access_records(
    fanout, api, client, hook, settings
):
    fanout.configure(fanout.hook_block(hook.url))
    hook.reply = lambda _payload: JSONResponse({"status": "pending"}, status_code=202)
    reference = await api.approved("access")
    await fanout.run()
    records = [
        {"source": "contacts", "data": {"id": 1}},
        {"source": "notes", "data": {"id": 2}},
    ]

    body, headers = _callback(
        fanout, f"{reference}:shop_hook:access", status="done", records=records
    )
    response = await client.post(
        "/api/v1/callbacks/webhook/shop_hook", content=body, headers=headers
    )

    assert response.status_code == 200, response.text
    staged = settings.data_dir / "staging" / reference / "shop_hook.jsonl"
    assert [json.loads(line) for line in staged.read_text().splitlines()] == records
    assert (await api.tasks(reference))["shop_hook"]["counts"] == {
        "contacts": 1,
        "notes": 1,
    }


async def test_a_callback_that_never_comes_fails_after_a_week(fanout, api, hook):
    fanout.configure(fanout.hook_block(hook.url))
    hook.reply = lambda _payload: JSONResponse({"status": "pending"}, status_code=202)
    reference = await api.approved("erasure")
    await fanout.run()

    with later(6 * 86400):
        assert (await fanout.poll()).total == 0
    with later(7 * 86400 + 60):
        assert (await fanout.poll()).outcomes == {"failed": 1}

    task = (await api.tasks(reference))["shop_hook"]
    assert task["error"] == "no result from shop_hook in 7 days"
    assert (await api.ticket(reference))["status"] == "action_required"


async def test_a_vendor_that_needs_a_person_opens_a_manual_task(fanout, api, hook):
    fanout.configure(fanout.hook_block(hook.url))
    hook.reply = lambda _payload: JSONResponse(
        {"status": "manual_required", "instructions": "Call the archive team"}
    )
    reference = await api.approved("erasure")

    await fanout.run()

    task = await fanout.task("shop_hook")
    assert (task.status, task.instructions) == ("manual", "Call the archive team")
    assert (await api.ticket(reference))["status"] == "action_required"
