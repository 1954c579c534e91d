"""Staff actions on a ticket's export package."""

from fastapi import APIRouter

from app import presenter
from app.exports import service
from app.requests.schemas import EmptyBody, RequestOut
from app.web import AgentDep, SessionDep, SettingsDep, TicketDep, actor_of

router = APIRouter(prefix="/api/v1", tags=["requests"])


@router.post("/requests/{reference}/export/send", response_model_by_alias=True)
async def send_export(
    _body: EmptyBody,
    session: SessionDep,
    settings: SettingsDep,
    staff: AgentDep,
    dsr: TicketDep,
) -> RequestOut:
    """Release a reviewed package, or send a fresh download link (the old one stops working)."""
    await service.release_or_resend(
        session, dsr, settings=settings, actor=actor_of(staff)
    )
    return await presenter.detail(session, dsr, settings)
