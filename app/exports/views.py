"""Public download pages: a GET shows the package, the download itself needs a click (POST)."""

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from app.deadlines.service import calendar_for
from app.exports import service
from app.i18n import N_
from app.web import (
    SessionDep,
    SettingsDep,
    message_page,
    page_language,
    public_page,
)

router = APIRouter(tags=["public"], include_in_schema=False)


def _gone(request: Request, language: str | None = None) -> Response:
    return message_page(
        request,
        N_("This download link has expired"),
        N_("For your privacy, download links work for a limited time only."),
        N_("Reply to our email or write to us, and we will send you a new link."),
        status=410,
        language=language,
    )


@router.get("/download/{token}")
async def download_page(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Describe the package and offer the download button; changes nothing."""
    found = await service.open_download(session, token)
    if found is None:
        return _gone(request)
    _, dsr, export = found
    language = page_language(request, dsr.language)
    assert export.expires_at is not None  # noqa: S101 - a sent package has a link expiry
    records = await service.export_records(session, export.request_id)
    context = {
        "token": token,
        "reference": dsr.reference,
        "size_kb": format_decimal(export.size / 1024, "#,##0.0", locale=language),
        "records": records,
        "records_text": str(records),
        "expires_on": export.expires_at.astimezone(
            calendar_for(settings).timezone
        ).date(),
    }
    return public_page(request, "public/download.html", context, language=language)


@router.post("/download/{token}")
async def download(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Stream the ZIP and audit the download. The secret token in the URL is the proof."""
    found = await service.open_download(session, token)
    if found is None:
        return _gone(request)
    _, dsr, export = found
    path = settings.data_dir / export.path
    if not path.is_file():
        return _gone(request, page_language(request, dsr.language))
    await service.count_download(session, export)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"{dsr.reference}-your-data.zip",
        headers={"Cache-Control": "no-store"},
    )
