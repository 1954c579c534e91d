"""Public download pages: a GET shows the package, the download itself needs a click (POST)."""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from app.exports import service
from app.web import SessionDep, SettingsDep, message_page, templates

router = APIRouter(tags=["public"], include_in_schema=False)


def _gone(request: Request) -> Response:
    return message_page(
        request,
        "This download link has expired",
        "For your privacy, download links work for a limited time only.",
        "Reply to our email or write to us, and we will send you a new link.",
        status=410,
    )


@router.get("/download/{token}")
async def download_page(token: str, request: Request, session: SessionDep) -> Response:
    """Describe the package and offer the download button; changes nothing."""
    found = await service.open_download(session, token)
    if found is None:
        return _gone(request)
    _, dsr, export = found
    context = {
        "token": token,
        "reference": dsr.reference,
        "size": export.size,
        "expires_at": export.expires_at,
    }
    return templates.TemplateResponse(request, "public/download.html", context)


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
        return _gone(request)
    await service.count_download(session, export)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"{dsr.reference}-your-data.zip",
        headers={"Cache-Control": "no-store"},
    )
