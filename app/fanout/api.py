"""Fan-out endpoints: the callback through which vendors deliver later results."""

from typing import Annotated

from fastapi import APIRouter, Header, Request

from app.fanout import callbacks
from app.fanout.config import runtime_of
from app.fanout.schemas import CallbackAck
from app.web import SessionDep, SettingsDep
from connectors.base import CallbackRequest

router = APIRouter(prefix="/api/v1/callbacks", tags=["callbacks"])


@router.post("/{connector}")
async def connector_callback(
    connector: str, request: Request, session: SessionDep, settings: SettingsDep
) -> CallbackAck:
    """Accept a vendor's later result for a task of `connector` (no token: the
    connector verifies the call, e.g. a webhook's X-DSR-Signature)."""
    received = CallbackRequest(
        url=str(request.url),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=await request.body(),
    )
    task = await callbacks.accept_callback(
        session,
        runtime_of(session),
        connector,
        received,
        data_dir=settings.data_dir,
    )
    if task is None:
        return CallbackAck(task_id=None, status="ignored")
    return CallbackAck(task_id=task.id, status=task.status)


@router.post("/webhook/{connector}")
async def webhook_callback(
    connector: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signature: Annotated[str, Header(alias="X-DSR-Signature")] = "",
) -> CallbackAck:
    """The webhook type's callback URL before callbacks were generic (same handling)."""
    del signature  # documented in OpenAPI; the connector reads it from the headers
    return await connector_callback(connector, request, session, settings)
