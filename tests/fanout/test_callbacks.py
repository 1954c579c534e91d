"""Any connector type can receive its vendor's callbacks at /api/v1/callbacks/{name}:
the type verifies and reads them (`Connector.callback`), the runtime applies them."""

import json

from starlette.responses import JSONResponse

from connectors.base import EraseStatus, EraseSummary
from connectors.webhook import sign
from tests.fixtures.fanout import SCRIPTED_TOKEN, SCRIPTED_TOKEN_HEADER

PENDING = EraseSummary(status=EraseStatus.PENDING, job_ref="job-7")
URL = "/api/v1/callbacks/vendor"


def _body(**fields) -> bytes:
    return json.dumps(fields).encode()


async def _waiting(fanout, api) -> str:
    fanout.configure(fanout.scripted("vendor"))
    fanout.script.then("vendor", PENDING)
    reference = await api.approved("erasure")
    assert (await fanout.run()).outcomes == {"waiting": 1}
    return reference


async def test_a_vendor_callback_completes_a_pending_erasure(fanout, api, client):
    reference = await _waiting(fanout, api)
    good = {SCRIPTED_TOKEN_HEADER: SCRIPTED_TOKEN}
    done = _body(job_ref="job-7", status="done", erased={"customers": 1})

    forged = await client.post(URL, content=done, headers={SCRIPTED_TOKEN_HEADER: "x"})
    broken = await client.post(URL, content=b"{}", headers=good)
    accepted = await client.post(URL, content=done, headers=good)
    repeated = await client.post(URL, content=done, headers=good)

    assert forged.status_code == 401
    assert broken.status_code == 422
    assert broken.json()["detail"] == "job_ref: missing"
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "succeeded"
    assert repeated.status_code == 200
    await fanout.answer()
    ticket = await api.ticket(reference)
    assert ticket["status"] == "completed"
    assert ticket["tasks"][0]["counts"] == {"customers": 1}
    assert len(await api.events(reference, "task_succeeded")) == 1


async def test_a_callback_about_no_task_is_acknowledged_and_changes_nothing(
    fanout, api, client
):
    reference = await _waiting(fanout, api)
    headers = {SCRIPTED_TOKEN_HEADER: SCRIPTED_TOKEN}

    ping = await client.post(
        URL, content=_body(job_ref="-", event="ping"), headers=headers
    )
    other = await client.post(URL, content=_body(job_ref="job-8"), headers=headers)

    assert ping.status_code == 200
    assert ping.json() == {"task_id": None, "status": "ignored"}
    assert other.status_code == 404  # a job no task of this connector waits for
    assert (await api.tasks(reference))["vendor"]["status"] == "waiting"


async def test_a_vendor_may_report_already_erased_by_callback(fanout, api, client):
    reference = await _waiting(fanout, api)
    headers = {SCRIPTED_TOKEN_HEADER: SCRIPTED_TOKEN}

    response = await client.post(
        URL, content=_body(job_ref="job-7", status="already_erased"), headers=headers
    )

    assert response.status_code == 200, response.text
    await fanout.answer()
    [report] = await api.events(reference, "erasure_reported")
    assert report["data"]["systems"][0]["outcome"] == "already_erased"


async def test_a_type_that_receives_no_callbacks_is_404(fanout, api, client):
    fanout.configure("  - {name: ledger, type: manual, instructions: Strike it}\n")
    response = await client.post("/api/v1/callbacks/ledger", content=b"{}", headers={})

    assert response.status_code == 404


async def test_the_webhook_type_calls_back_at_the_generic_url_too(
    fanout, api, client, hook
):
    fanout.configure(fanout.hook_block(hook.url, extra="    actions: [opt_out]\n"))
    hook.reply = lambda _payload: JSONResponse({"status": "pending"}, status_code=202)
    reference = await api.approved("opt_out")
    await fanout.run()
    body = _body(
        idempotency_key=f"{reference}:shop_hook:opt_out",
        status="done",
        erased={"newsletter": 1},
    )

    response = await client.post(
        "/api/v1/callbacks/shop_hook",
        content=body,
        headers={"X-DSR-Signature": sign(fanout.secret, body)},
    )

    assert response.status_code == 200, response.text
    await fanout.answer()
    ticket = await api.ticket(reference)
    assert ticket["status"] == "completed"
    assert ticket["tasks"][0]["counts"] == {"newsletter": 1}
