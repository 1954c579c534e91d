"""Fan-out endpoints: the signed callback through which webhook services deliver results."""

from typing import Annotated

from fastapi import APIRouter, Header, Request

from app.fanout import callbacks
from app.fanout.config import runtime_of
from app.fanout.schemas import CallbackAck
from app.web import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/callbacks", tags=["callbacks"])


@router.post("/webhook/{connector}")
async def webhook_callback(
    connector: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signature: Annotated[str, Header(alias="X-DSR-Signature")] = "",
) -> CallbackAck:
    """Accept a webhook connector's later result (no token: the body is HMAC-signed)."""
    task = await callbacks.accept_webhook_callback(
        session,
        runtime_of(session),
        connector,
        await request.body(),
        signature,
        data_dir=settings.data_dir,
    )
    return CallbackAck(task_id=task.id or 0, status=task.status)
