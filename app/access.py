"""The HTTP edge: a request log without secrets, and the headers every response carries.

The request log is one structured line per HTTP request, with secrets and personal data out.

Uvicorn's own access log prints the raw path and query, so it would write every emailed
link (`/verify/<token>`, `/download/<token>`: whoever reads the log could use them) and every
staff search for an address. `dsr serve` turns it off; this middleware logs instead, with token
path segments replaced and query values kept only for parameters that cannot name anyone.
Pages reached through a secret link also tell the browser not to pass the link on (Referer)
and not to keep the page (caches). Every response forbids framing and MIME sniffing, and a
body declared larger than its route's limit is refused (413) before anything reads it.
"""

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect

from app.logging import log

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECRET_PREFIXES = ("/verify/", "/download/")
# Query parameters whose values are facts, never a person (the API's and the queue's filters).
SAFE_PARAMETERS = frozenset(
    {
        "status",
        "type",
        "regulation",
        "channel",
        "overdue",
        "due_before",
        "limit",
        "lang",
        "view",  # the staff queue's saved views
        "year",  # the dashboard's metrics year
    }
)
NO_TRACE_HEADERS = [
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
# Every page, the API's Swagger UI included (app.api_docs serves its files), loads only
# what the app serves: no inline script or style, no other origin, no framing.
STRICT_POLICY = (
    b"default-src 'self'; img-src 'self' data:; form-action 'self';"
    b" frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
)
EVERY_RESPONSE = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


def redacted_path(path: str) -> str:
    """The path with the secret segment of an emailed link replaced."""
    for prefix in SECRET_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            return prefix + "[token]"
    return path


def redacted_query(query: str) -> str:
    """The query string with the values of parameters that may name someone replaced."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(
        f"{key}={value if key in SAFE_PARAMETERS else '[redacted]'}"
        for key, value in pairs
    )


# Bodies larger than these are refused before anything reads them: a stranger's form post
# is a few KiB, an API body (a note, a denial) well under a megabyte.
PUBLIC_BODY_BYTES = 64 * 1024
API_BODY_BYTES = 1024 * 1024


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class HttpEdge:
    """ASGI middleware: log each request redacted; security headers on every response."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        every = [*EVERY_RESPONSE]
        if https:  # only where the public URL is https: a browser then never downgrades
            every.append((b"strict-transport-security", b"max-age=31536000"))
        # The headers of each kind of page, merged once (a later entry wins): by secret.
        self.headers = {
            secret: dict(
                [
                    *every,
                    (b"content-security-policy", STRICT_POLICY),
                    *(NO_TRACE_HEADERS if secret else []),
                ]
            )
            for secret in (False, True)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        ours = self.headers[path.startswith(SECRET_PREFIXES)]
        started, status = time.perf_counter(), 500
        limit = API_BODY_BYTES if path.startswith("/api/") else PUBLIC_BODY_BYTES
        read, refused, answered, closed = 0, False, False, False

        async def receiving() -> Message:
            # A body without a Content-Length (chunked) is counted as it arrives; past the
            # limit the client is answered 413 and the app sees a disconnect.
            nonlocal read, refused, closed
            message = await receive()
            if message["type"] == "http.request" and not refused:
                read += len(message.get("body", b""))
                if read > limit:
                    refused = True
                    if not answered:
                        await _too_large(sending, limit)
                        closed = True  # whatever the app sends after this is dropped
                    return {"type": "http.disconnect"}
            return message

        async def sending(message: Message) -> None:
            nonlocal status, answered
            if closed:
                return  # the app's own answer to a body it never got whole
            if message["type"] == "http.response.start":
                answered = True
                status = int(message["status"])
                message["headers"] = [
                    *[
                        (name, value)
                        for name, value in message.get("headers", [])
                        if name.lower() not in ours
                    ],
                    *ours.items(),
                ]
            await send(message)

        try:
            if (_declared_length(scope) or 0) > limit:
                await _too_large(sending, limit)
            else:
                await self.app(scope, receiving, sending)
        except ClientDisconnect:
            if not refused:
                raise
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            log.info(
                "http.request",
                method=scope.get("method"),
                path=redacted_path(path),
                query=redacted_query(query) if query else None,
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )


async def _too_large(send: Send, limit: int) -> None:
    body = f"Request bodies here are limited to {limit // 1024} KiB.\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
