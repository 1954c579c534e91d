"""The dev outbox (`/dev/outbox`): read the mail DSR Desk would have sent. Never in production."""

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from sqlmodel import col, select

from app.errors import NotFound
from app.mail.models import Direction, Message
from app.web import SessionDep, SettingsDep, templates

router = APIRouter(prefix="/dev", tags=["dev"], include_in_schema=False)
# Our mail writes links on lines of their own or after a space; a closing bracket or a
# sentence's full stop is not part of them.
_URL = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")


def linked(text: str) -> Markup:
    """A mail's text for HTML: escaped, with its web addresses as clickable links."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        parts += [
            escape(text[last : match.start()]),
            f'<a href="{escape(url)}">{escape(url)}</a>',
        ]
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("".join(parts))  # noqa: S704 - every piece of text is escaped above


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
    shown = [(message, linked(message.text)) for message in messages]
    return templates.TemplateResponse(
        request, "public/outbox.html", {"messages": shown}
    )
