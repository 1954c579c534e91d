"""What every fake vendor server shares: a request log, an auth gate and injected faults.

A fake is a Starlette app built by `FakeVendor.app(routes)`. Every request is logged
(arrival time, method, path, query) before anything else, then checked by the fake's
`authorized()` (refused with the vendor's own error answer), then by the queued faults
(`fail(...)`: a 429 with the vendor's headers, a 500 once, ...), and only then routed.
"""

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute


@dataclass(frozen=True)
class Call:
    """One request as the fake received it."""

    at: float  # time.monotonic()
    method: str
    path: str
    query: Mapping[str, str]


@dataclass
class Fault:
    """Answer `times` matching requests with `status`, `body` and `headers`."""

    matches: Callable[[Request], bool]
    status: int
    body: Any
    headers: Mapping[str, str]
    times: int
    after: int = 0  # let this many matching requests through first


@dataclass
class FakeVendor:
    """Base of the fakes: subclasses add state, routes and `authorized()`/`refused()`."""

    log: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def authorized(self, request: Request) -> bool:
        """Whether the request carries the vendor's good credentials."""
        raise NotImplementedError

    def refused(self) -> Response:
        """The vendor's answer to refused credentials."""
        raise NotImplementedError

    def fail(
        self,
        matches: Callable[[Request], bool],
        status: int,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer `times` requests that `matches` (after `after` of them) with an error."""
        self.faults.append(
            Fault(matches, status, body or {}, dict(headers or {}), times, after)
        )

    def calls(self, method: str | None = None, prefix: str = "") -> list[Call]:
        """The logged calls, optionally of one method and under one path prefix."""
        return [
            call
            for call in self.log
            if (method is None or call.method == method)
            and call.path.startswith(prefix)
        ]

    def app(self, routes: Sequence[BaseRoute]) -> Starlette:
        """The ASGI app: log, auth gate, faults, then the vendor's routes."""
        vendor = self

        class _Gate(BaseHTTPMiddleware):
            async def dispatch(
                self, request: Request, call_next: RequestResponseEndpoint
            ) -> Response:
                vendor.log.append(
                    Call(
                        time.monotonic(),
                        request.method,
                        request.url.path,
                        dict(request.query_params),
                    )
                )
                if not vendor.authorized(request):
                    return vendor.refused()
                for fault in vendor.faults:
                    if fault.times > 0 and fault.matches(request):
                        if fault.after > 0:
                            fault.after -= 1
                            continue
                        fault.times -= 1
                        return JSONResponse(
                            fault.body, fault.status, headers=dict(fault.headers)
                        )
                return await call_next(request)

        app = Starlette(routes=list(routes))
        app.add_middleware(_Gate)
        return app


def page_of(items: Sequence[Any], offset: int, limit: int) -> list[Any]:
    """One offset page of a list."""
    return list(items[offset : offset + limit])
