"""WebhookConnector against a real local HTTP receiver (Starlette under uvicorn)."""

import asyncio
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from connectors.base import (
    HINT_IDEMPOTENCY_KEY,
    HINT_REFERENCE,
    AccessPending,
    AuthError,
    CallbackMalformed,
    CallbackRefused,
    CallbackRequest,
    Capability,
    ConnectorError,
    EraseStatus,
    OptOutSummary,
    Record,
    Subject,
    TransientError,
)
from connectors.webhook import WebhookConfig, WebhookConnector, sign, verify_signature

NOW = 1_800_000_000  # a fixed clock for signature checks

ADA_WITH_CONTEXT = Subject(
    email="ada.lovelace@example.com",
    name="Ada Lovelace",
    hints={HINT_REFERENCE: "DSR-7K3M9QXA", HINT_IDEMPOTENCY_KEY: "task-41-erase"},
)


@pytest.fixture
async def make_connector(webhook, kit):
    """Build WebhookConnectors aimed at the fake receiver; closed after the test."""
    made: list[WebhookConnector] = []

    def make(**settings) -> WebhookConnector:
        values = {"name": "hook", "type": "webhook", "url": webhook.url}
        values |= {"secret": kit.webhook_secret, **settings}
        connector = WebhookConnector(WebhookConfig.model_validate(values), name="hook")
        made.append(connector)
        return connector

    yield make
    for connector in made:
        await connector.aclose()


def reply_with(status: int, body: object = None, headers: dict[str, str] | None = None):
    async def reply(_payload: dict) -> Response:
        if body is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)

    return reply


async def test_a_call_is_signed_over_the_raw_body_and_carries_the_keys(
    webhook, make_connector, kit
):
    connector = make_connector()

    records = [record async for record in connector.access(ADA_WITH_CONTEXT)]

    assert records == [Record("contacts", {"email": "ada.lovelace@example.com"})]
    [(headers, body)] = webhook.calls
    stamp, digest = headers["x-dsr-signature"].split(",")
    moment = int(stamp.removeprefix("t="))
    assert abs(time.time() - moment) < 60  # signed now, so it cannot be replayed later
    signed = f"{moment}.".encode() + body
    expected = hmac.new(kit.webhook_secret.encode(), signed, hashlib.sha256).hexdigest()
    assert digest == f"sha256={expected}"
    assert headers["idempotency-key"] == "task-41-erase"
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "action": "access",
        "subject": {"email": "ada.lovelace@example.com", "name": "Ada Lovelace"},
        "request_reference": "DSR-7K3M9QXA",
        "idempotency_key": "task-41-erase",
    }


async def test_without_a_runtime_key_a_stable_opaque_key_is_derived(
    webhook, make_connector, kit
):
    connector = make_connector()

    await connector.erase(kit.ada)
    await connector.erase(kit.ada)
    [record async for record in connector.access(kit.ada)]

    keys = [headers["idempotency-key"] for headers, _ in webhook.calls]
    assert keys[0] == keys[1] != keys[2]
    assert "ada" not in keys[0]


async def test_erase_returns_the_synchronous_result(make_connector, kit):
    connector = make_connector()

    summary = await connector.erase(kit.ada)

    assert summary.status is EraseStatus.DONE
    assert dict(summary.erased) == {"contacts": 1}


async def test_a_202_erase_is_pending_with_the_vendors_job_ref(
    webhook, make_connector, kit
):
    webhook.reply = reply_with(202, {"status": "pending", "job_ref": "job-42"})
    connector = make_connector()

    summary = await connector.erase(kit.ada)

    assert summary.status is EraseStatus.PENDING
    assert summary.job_ref == "job-42"


async def test_a_202_without_job_ref_uses_the_idempotency_key(webhook, make_connector):
    webhook.reply = reply_with(202, {"status": "pending"})
    connector = make_connector()

    summary = await connector.erase(ADA_WITH_CONTEXT)

    assert summary.job_ref == "task-41-erase"


async def test_a_202_access_raises_access_pending(webhook, make_connector, kit):
    webhook.reply = reply_with(202, {"status": "pending", "job_ref": "job-7"})
    connector = make_connector()

    with pytest.raises(AccessPending) as raised:
        [record async for record in connector.access(kit.ada)]

    assert raised.value.job_ref == "job-7"


async def test_a_manual_required_answer_carries_the_instructions(
    webhook, make_connector, kit
):
    body = {"status": "manual_required", "instructions": "Call the archive team"}
    webhook.reply = reply_with(200, body)
    connector = make_connector()

    summary = await connector.erase(kit.ada)

    assert summary.status is EraseStatus.MANUAL_REQUIRED
    assert "Call the archive team" in summary.notes


async def test_a_204_means_nothing_found_or_left(webhook, make_connector, kit):
    webhook.reply = reply_with(204)
    connector = make_connector()

    assert [record async for record in connector.access(kit.ada)] == []
    assert (await connector.erase(kit.ada)).erased == {}


async def test_a_wrong_secret_is_an_auth_error(make_connector):
    connector = make_connector(secret="not-the-shared-secret")

    with pytest.raises(AuthError):
        await connector.test()


async def test_429_is_transient_and_honours_retry_after_seconds(
    webhook, make_connector, kit
):
    webhook.reply = reply_with(429, {"error": "slow down"}, {"Retry-After": "7"})
    connector = make_connector()

    with pytest.raises(TransientError) as raised:
        await connector.erase(kit.ada)

    assert raised.value.retryable
    assert raised.value.retry_after == 7


async def test_503_honours_an_http_date_retry_after(webhook, make_connector, kit):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    webhook.reply = reply_with(503, None, {"Retry-After": when})
    connector = make_connector()

    with pytest.raises(TransientError) as raised:
        await connector.erase(kit.ada)

    assert raised.value.retry_after is not None
    assert 25 <= raised.value.retry_after <= 30


async def test_other_4xx_fail_without_retry_and_without_personal_data(
    webhook, make_connector
):
    webhook.reply = reply_with(422, {"error": "ada.lovelace@example.com is odd"})
    connector = make_connector()

    with pytest.raises(ConnectorError) as raised:
        await connector.erase(ADA_WITH_CONTEXT)

    assert not raised.value.retryable
    assert "HTTP 422" in str(raised.value)
    assert "ada" not in str(raised.value)


async def test_a_slow_endpoint_times_out_as_transient(webhook, make_connector, kit):
    async def slow(_payload: dict) -> Response:
        await asyncio.sleep(1)
        return JSONResponse({})

    webhook.reply = slow
    connector = make_connector(timeout=0.2)

    with pytest.raises(TransientError, match="timed out"):
        await connector.erase(kit.ada)


async def test_an_unreachable_endpoint_is_transient(make_connector):
    connector = make_connector(url="http://127.0.0.1:1/hook")

    with pytest.raises(TransientError, match="cannot reach"):
        await connector.test()


async def test_a_malformed_answer_names_the_field_not_the_data(
    webhook, make_connector, kit
):
    webhook.reply = reply_with(
        200, {"records": [{"source": "x", "data": "ada@example.com"}]}
    )
    connector = make_connector()

    with pytest.raises(ConnectorError, match=r"records\.0\.data") as raised:
        [record async for record in connector.access(kit.ada)]

    assert "ada@" not in str(raised.value)


async def test_actions_outside_the_config_are_refused(webhook, make_connector, kit):
    connector = make_connector(actions=["access"])

    with pytest.raises(ConnectorError, match="not enabled"):
        await connector.erase(kit.ada)

    assert connector.enabled_actions == {Capability.ACCESS}
    assert webhook.calls == []


def test_the_config_requires_an_http_url_and_a_long_secret():
    with pytest.raises(ValidationError, match="url"):
        WebhookConfig(name="h", type="webhook", url="ftp://x.example", secret="s" * 20)
    with pytest.raises(ValidationError, match="at least 16 characters") as raised:
        WebhookConfig(name="h", type="webhook", url="https://x.example", secret="short")
    assert "short" not in str(raised.value).replace("at least 16", "")


@pytest.mark.parametrize(
    ("secret", "body", "header", "valid"),
    [
        ("k" * 20, b'{"a":1}', sign("k" * 20, b'{"a":1}', timestamp=NOW), True),
        ("k" * 20, b'{"a":2}', sign("k" * 20, b'{"a":1}', timestamp=NOW), False),
        ("k" * 20, b'{"a":1}', sign("x" * 20, b'{"a":1}', timestamp=NOW), False),
        (
            "k" * 20,
            b'{"a":1}',
            sign("k" * 20, b'{"a":1}', timestamp=NOW).split(",")[1],
            False,
        ),
        ("k" * 20, b'{"a":1}', f"t={NOW},sha256=", False),
        ("", b'{"a":1}', sign("", b'{"a":1}', timestamp=NOW), False),
        ("k" * 20, b'{"a":1}', sign("k" * 20, b'{"a":1}', timestamp=NOW - 301), False),
        ("k" * 20, b'{"a":1}', sign("k" * 20, b'{"a":1}', timestamp=NOW + 301), False),
        (
            "k" * 20,
            b'{"a":1}',
            sign("k" * 20, b'{"a":1}', timestamp=NOW).replace(
                f"t={NOW}", f"t={NOW + 1}"
            ),
            False,
        ),
    ],
    ids=[
        "valid",
        "tampered-body",
        "other-secret",
        "no-time",
        "empty",
        "empty-secret",
        "replayed-later",
        "from-the-future",
        "time-changed",
    ],
)
def test_verify_signature(secret, body, header, valid):
    assert verify_signature(secret, body, header, now=NOW) is valid


async def test_opt_out_is_forwarded_only_when_the_config_lists_it(
    webhook, make_connector, kit
):
    with pytest.raises(ConnectorError, match="opt_out is not enabled"):
        await make_connector().opt_out(kit.ada)  # the default: access and erase
    assert webhook.calls == []

    summary = await make_connector(actions=["opt_out"]).opt_out(ADA_WITH_CONTEXT)

    assert summary == OptOutSummary(erased={"newsletter": 1})
    [(_headers, body)] = webhook.calls
    assert json.loads(body)["action"] == "opt_out"


async def test_an_already_erased_answer_is_passed_on(webhook, make_connector, kit):
    webhook.reply = reply_with(200, {"status": "already_erased"})

    summary = await make_connector().erase(kit.ada)

    assert summary.status is EraseStatus.ALREADY_ERASED


def _callback(secret: str, **fields) -> CallbackRequest:
    body = json.dumps(fields).encode()
    return CallbackRequest(
        url="http://dsr.example/api/v1/callbacks/hook",
        headers={"x-dsr-signature": sign(secret, body)},
        body=body,
    )


async def test_a_signed_callback_is_read_into_a_result(make_connector, kit):
    hook = make_connector()
    done = _callback(
        kit.webhook_secret,
        idempotency_key="DSR-7K3M9QXA:hook:access",
        status="done",
        records=[{"source": "contacts", "data": {"id": 7}}],
    )
    failed = _callback(
        kit.webhook_secret, idempotency_key="DSR-7K3M9QXA:hook:erase", status="failed"
    )

    result = await hook.callback(done)

    assert result.records == [Record("contacts", {"id": 7})]
    assert result.summary is not None
    assert result.summary.status is EraseStatus.DONE
    assert (await hook.callback(failed)).failure == "no detail"
    with pytest.raises(CallbackRefused):
        await hook.callback(_callback("another-secret-0123456789", idempotency_key="x"))
    with pytest.raises(CallbackMalformed, match=r"^status:"):
        await hook.callback(_callback(kit.webhook_secret, idempotency_key="x"))
