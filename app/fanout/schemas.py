"""API shapes of fan-out: the signed result a webhook connector's service calls back with."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class CallbackRecord(BaseModel):
    """One record of an access result."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=200)
    data: dict[str, Any]


class WebhookCallback(BaseModel):
    """Body of `POST /api/v1/callbacks/webhook/{connector}` (signed with X-DSR-Signature)."""

    model_config = ConfigDict(extra="ignore")

    idempotency_key: str = Field(min_length=1, max_length=400)
    status: Literal["done", "pending", "manual_required", "failed"]
    erased: dict[str, int] = Field(default_factory=dict)
    records: list[CallbackRecord] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    instructions: str | None = Field(None, max_length=10_000)
    error: str | None = Field(None, max_length=2_000)


class CallbackAck(BaseModel):
    """What the callback endpoint answers: the task and where it now stands."""

    task_id: int
    status: str
