"""The dev outbox (`/dev/outbox`): read the mail DSR Desk would have sent. Never in production."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import col, select

from app.errors import NotFound
from app.mail.models import Direction, Message
from app.web import SessionDep, SettingsDep, templates

router = APIRouter(prefix="/dev", tags=["dev"], include_in_schema=False)


@router.get("/outbox")
async def outbox(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The latest outbound messages, newest first."""
    if not settings.is_dev or settings.smtp_host:
        raise NotFound("the dev outbox exists only in development without SMTP")
    query = select(Message).where(Message.direction == Direction.OUT)
    messages = (
        await session.execute(query.order_by(col(Message.id).desc()).limit(100))
    ).scalars()
    return templates.TemplateResponse(
        request, "public/outbox.html", {"messages": list(messages)}
    )
