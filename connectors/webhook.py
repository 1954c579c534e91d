"""Connector type `webhook`: hand access and erasure to your own signed HTTP endpoint.

Every call is a `POST` to `url` with a JSON body and two headers:

    {"action": "access" | "erase" | "test",
     "subject": {"email": ..., "name": ...},                      (not for "test")
     "request_reference": "DSR-...", "idempotency_key": "..."}
    X-DSR-Signature: t=<unix time>,sha256=<hex HMAC-SHA256 of "<t>." + raw body, keyed
                     with `secret`>
    Idempotency-Key: <as in the body; a retried task sends the same key>

The signature binds the time it was made: a receiver refuses one older (or newer) than a few
minutes, so a captured request or callback cannot be replayed later (`verify_signature`).
The key is the runtime's task key (`Subject.idempotency_key`), else one derived from the
connector, action, reference and email (keyed with the secret, so it hides the email).

Answers:

    access  2xx {"records": [{"source": ..., "data": {...}}, ...]}
    erase   2xx {"status": "done", "erased": {...}, "notes": [...]}
            2xx {"status": "manual_required", "instructions": "..."}
    both    204 nothing found or left
            202 {"status": "pending", "job_ref": "..."}: the result arrives later at
            the app's callback endpoint, signed the same way (`verify_signature`);
            without a `job_ref`, the idempotency key serves as one.

Errors map as in `connectors.http`: 401/403 auth, 408/429/5xx/timeouts transient.
"""

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Literal, TypeVar

import httpx
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from connectors.base import (
    AccessPending,
    Capability,
    Connector,
    ConnectorConfig,
    ConnectorError,
    EraseStatus,
    EraseSummary,
    Record,
    Subject,
)
from connectors.http import send

SIGNATURE_HEADER = "X-DSR-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_SECONDS = 300  # how far a signature's time may be from the receiver's clock


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: float | None = None) -> str:
    """The `X-DSR-Signature` value for a body: `t=<unix time>,sha256=<hex HMAC>`."""
    moment = int(time.time() if timestamp is None else timestamp)
    return f"t={moment},sha256={_digest(secret, body, moment)}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """Whether `header` signs `body` under `secret` within `tolerance` seconds of `now`."""
    parts = dict(
        part.split("=", 1) for part in header.strip().split(",") if "=" in part
    )
    stamp, digest = parts.get("t", ""), parts.get("sha256", "")
    if not secret or not stamp.isdigit() or not digest:
        return False
    moment = int(stamp)
    if abs((time.time() if now is None else now) - moment) > tolerance:
        return False  # too old (a replay) or from a clock far off
    return hmac.compare_digest(_digest(secret, body, moment).encode(), digest.encode())


class WebhookConfig(ConnectorConfig):
    """Settings of a `webhook` connector."""

    url: str = Field(description="Endpoint receiving signed POSTs.")
    secret: SecretStr = Field(description="Shared HMAC key for X-DSR-Signature.")
    actions: frozenset[Capability] = Field(
        default=frozenset({Capability.ACCESS, Capability.ERASE}),
        min_length=1,
        description="Actions sent to the hook.",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if httpx.URL(value).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("secret")
    @classmethod
    def _non_empty(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _RecordIn(_Message):
    source: str = Field(min_length=1)
    data: dict[str, Any]


class _AccessAnswer(_Message):
    status: Literal["done", "pending"] = "done"
    records: list[_RecordIn] = []
    job_ref: str | None = None


class _EraseAnswer(_Message):
    status: EraseStatus = EraseStatus.DONE
    erased: dict[str, int] = {}
    notes: list[str] = []
    job_ref: str | None = None
    instructions: str | None = None


_AnswerT = TypeVar("_AnswerT", bound=_Message)


class WebhookConnector(Connector[WebhookConfig]):
    """Forwards requests to a customer-run HTTP endpoint signed with a shared secret."""

    capabilities = frozenset({Capability.ACCESS, Capability.ERASE})
    config_model = WebhookConfig

    @property
    def enabled_actions(self) -> frozenset[Capability]:
        """The actions this instance forwards (the config's `actions`)."""
        return self.config.actions & self.capabilities

    async def test(self) -> None:
        """POST a signed `{"action": "test"}`; any 2xx answer passes."""
        await self._post({"action": "test"}, idempotency_key=None)

    async def access(self, subject: Subject) -> AsyncIterator[Record]:
        """Yield the records the endpoint returns; raise AccessPending on a 202."""
        self.require_action(Capability.ACCESS)
        key = self._key(Capability.ACCESS, subject)
        response = await self._post(self._body(Capability.ACCESS, subject, key), key)
        if response.status_code == 204:
            return
        answer = _parse(_AccessAnswer, response)
        if response.status_code == 202 or answer.status == "pending":
            raise AccessPending(answer.job_ref or key)
        for record in answer.records:
            yield Record(source=record.source, data=record.data)

    async def erase(self, subject: Subject) -> EraseSummary:
        """Ask the endpoint to erase; a 202 gives a pending summary with its job_ref."""
        self.require_action(Capability.ERASE)
        key = self._key(Capability.ERASE, subject)
        response = await self._post(self._body(Capability.ERASE, subject, key), key)
        if response.status_code == 204:
            return EraseSummary()
        answer = _parse(_EraseAnswer, response)
        if response.status_code == 202 or answer.status is EraseStatus.PENDING:
            return EraseSummary(
                status=EraseStatus.PENDING, job_ref=answer.job_ref or key
            )
        notes: Sequence[str] = tuple(answer.notes)
        if answer.status is EraseStatus.MANUAL_REQUIRED and answer.instructions:
            notes = (*notes, answer.instructions)
        return EraseSummary(status=answer.status, erased=answer.erased, notes=notes)

    def _key(self, action: Capability, subject: Subject) -> str:
        if subject.idempotency_key:
            return subject.idempotency_key
        # Without a runtime key, derive a stable one so retries of one call still match;
        # keyed, so the email cannot be recovered from it.
        material = "\0".join(
            (self.name, action, subject.reference or "", subject.email)
        )
        secret = self.config.secret.get_secret_value().encode()
        return hmac.new(secret, material.encode(), hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def _body(action: Capability, subject: Subject, key: str) -> dict[str, object]:
        return {
            "action": str(action),
            "subject": {"email": subject.email, "name": subject.name},
            "request_reference": subject.reference,
            "idempotency_key": key,
        }

    async def _post(
        self, payload: Mapping[str, object], idempotency_key: str | None
    ) -> httpx.Response:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.config.secret.get_secret_value(), body),
        }
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        request = self.http.build_request(
            "POST",
            self.config.url,
            content=body,
            headers=headers,
            timeout=self.config.timeout,
        )
        return await send(self.http, request)


def _parse(model: type[_AnswerT], response: httpx.Response) -> _AnswerT:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        # Name the field only: the body may hold the subject's personal data.
        raise ConnectorError(
            f"unexpected webhook answer at {where}: {error['msg']}"
        ) from None
