"""Posted staff forms: checked with the API's own body schemas, so both refuse the same input."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import DsrError, ValidationFailed
from app.requests import tickets
from app.requests.models import DsrRequest
from app.ui.pages import redirect

Body = TypeVar("Body", bound=BaseModel)


def parsed(model: type[Body], values: dict[str, Any]) -> Body:
    """The form's values as `model`; ValidationFailed naming the first bad field."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "form"
        raise ValidationFailed(f"{field}: {first.get('msg', 'invalid')}") from None


async def posted(request: Request, *names: str) -> dict[str, str]:
    """The named text fields of the posted form ("" when absent; files are ignored)."""
    form = await request.form()
    values = {}
    for name in names:
        value = form.get(name)
        values[name] = value if isinstance(value, str) else ""
    return values


async def act_on_ticket(
    request: Request,
    session: AsyncSession,
    reference: str,
    work: Callable[[DsrRequest], Awaitable[str]],
    *,
    back: str | None = None,
) -> Response:
    """Run `work` on the locked ticket and answer 303 to its page with what happened.

    A refused action (a DsrError: wrong state, bad input) rolls back everything this
    request wrote, so nothing half-done is committed, and its reason becomes the flash.
    """
    page = back or f"/requests/{reference.strip().upper()}"
    try:
        async with tickets.edit(session, reference) as dsr:
            done = await work(dsr)
    except DsrError as exc:
        await session.rollback()
        return redirect(request, page, exc.detail, kind="error")
    return redirect(request, page, done)
