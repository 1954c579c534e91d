"""The API's documentation page: Swagger UI served from the app itself, never a CDN.

Swagger UI's files come from the PyPI package `fastapi-offline` (MIT; the Swagger UI files
in it are Apache-2.0), installed with the app, so `/api/docs` works on an offline install.
The page is ours: its start-up script is a file too, so the page needs no inline script
and keeps the strict Content-Security-Policy of every other page.
"""

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.web import templates

DOCS_PATH = "/api/docs"
ASSETS_PATH = "/api/docs/assets"
# The two files the page loads from the package; nothing else of it is served.
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")

router = APIRouter(include_in_schema=False)


def swagger_dir() -> Path:
    """The installed folder holding Swagger UI's bundle and stylesheet."""
    return Path(str(files("fastapi_offline") / "static"))


@router.get(DOCS_PATH, response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI for the OpenAPI document, from same-origin files only."""
    return templates.TemplateResponse(
        request,
        "api/docs.html",
        {"assets": ASSETS_PATH, "openapi_url": request.app.openapi_url},
    )


def mount_api_docs(app: FastAPI) -> None:
    """Serve `/api/docs` and its assets (the app is built with docs_url=None)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_dir()), name="swagger-assets")
    app.include_router(router)
