"""Staff actions on a ticket's export package."""

from fastapi import APIRouter

from app.errors import NotFound
from app.exports import service
from app.requests import api as requests_api
from app.requests import service as requests_service
from app.requests.schemas import EmptyBody, RequestOut
from app.web import AgentDep, SessionDep, SettingsDep, actor_of

router = APIRouter(prefix="/api/v1", tags=["requests"])


@router.post("/requests/{reference}/export/send", response_model_by_alias=True)
async def send_export(
    reference: str,
    _body: EmptyBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
) -> RequestOut:
    """Release a reviewed package, or send a fresh download link (the old one stops working)."""
    dsr = await requests_service.require_request(session, reference, lock=True)
    export = await service.pending_export(session, dsr)
    if export is None:
        raise NotFound(f"{dsr.reference} has no export package yet")
    if export.sent_at is None:
        await service.send(
            session, dsr, export, settings=settings, actor=actor_of(staff)
        )
    else:
        await service.resend(session, dsr, settings=settings, actor=actor_of(staff))
    return await requests_api.detail(session, dsr, settings)
