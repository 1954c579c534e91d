"""Domain errors and their rendering: RFC 9457 problem JSON under /api, a page elsewhere."""

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.logging import log

PROBLEM_MEDIA_TYPE = "application/problem+json"


class DsrError(Exception):
    """Base of every expected failure: carries an HTTP status, a problem slug and a title."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Unauthorized(DsrError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(DsrError):
    status, slug, title = 403, "forbidden", "Not allowed for your role"


class NotFound(DsrError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DsrError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class InvalidTransition(Conflict):
    slug, title = "invalid-transition", "Not possible in the ticket's current status"


class ValidationFailed(DsrError):
    status, slug, title = 422, "validation-failed", "Invalid input"


def problem(
    status: int, slug: str, title: str, detail: str, **extra: Any
) -> JSONResponse:
    """An RFC 9457 problem document."""
    body = {
        "type": f"urn:dsr:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    return JSONResponse(
        {**body, **extra}, status_code=status, media_type=PROBLEM_MEDIA_TYPE
    )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(status: int, title: str, detail: str) -> HTMLResponse:
    # Plain HTML on purpose: this page must render even when templating is what failed.
    from html import escape

    body = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(detail)}</p>"
    return HTMLResponse(body, status_code=status)


async def _dsr_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DsrError)  # noqa: S101 - registered for DsrError only
    if _is_api(request):
        return problem(exc.status, exc.slug, exc.title, exc.detail, **exc.extra)
    return _error_page(exc.status, exc.title, exc.detail)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = [
        {
            "loc": list(err.get("loc", ())),
            "msg": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    detail = "; ".join(
        f"{'.'.join(map(str, e['loc'][1:])) or 'body'}: {e['msg']}" for e in errors
    )
    return problem(422, "validation-failed", "Invalid input", detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    title = {
        401: "Authentication required",
        404: "Not found",
        405: "Method not allowed",
    }.get(exc.status_code, "Error")
    if _is_api(request):
        response: Response = problem(
            exc.status_code, f"http-{exc.status_code}", title, str(exc.detail)
        )
    else:
        response = _error_page(exc.status_code, title, str(exc.detail))
    # Keep what the error carries for the client, e.g. `Allow` on a 405 (RFC 9110 15.5.6).
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(_allowed_methods(request))
    return response


BUSY_RETRY_SECONDS = 5


async def _busy(request: Request, exc: Exception) -> Response:
    """No database connection came free in time: back-pressure the client asks again on."""
    log.warning("db.pool_exhausted", path=request.url.path)
    title, detail = "Busy", "Too many requests at once; please try again in a moment."
    if _is_api(request):
        response: Response = problem(503, "busy", title, detail)
    else:
        response = _error_page(503, title, detail)
    response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
    return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first's)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in routes
        )
    ]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:dsr:problem:not-found"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "additionalProperties": True,
}
_PROBLEM_STATUSES = {
    400: "The body is not valid JSON",
    401: "No valid bearer token (or, for a callback, no valid signature)",
    403: "The token's role may not do this",
    404: "No such request, task or message",
    405: "Method not allowed here (see Allow)",
    409: "Not possible in the current state",
    413: "The body is larger than this route accepts",
    422: "Invalid input; `errors` lists each field",
    503: "Busy: no database connection came free in time (see Retry-After)",
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Describe the problem answers every API operation can give, as problem+json."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
        _PROBLEM_SCHEMA
    )
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in _PROBLEM_STATUSES.items():
                responses[str(status)] = {
                    "description": description,
                    "content": content,
                }
    return schema


def install_error_handlers(app: FastAPI) -> None:
    """Render domain, validation and HTTP errors consistently."""
    app.add_exception_handler(DsrError, _dsr_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(PoolTimeout, _busy)
    original = app.openapi

    def openapi() -> dict[str, Any]:
        return document_problems(original())  # idempotent over FastAPI's cached schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
