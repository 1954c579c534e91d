"""What every fake vendor server shares: a request log, auth, and scheduled faults.

A fake is an ASGI app (served by `connectors.testing.serve_app` on loopback) built from
Starlette routes that answer as the vendor's documentation shows. `FakeApi` wraps those
routes: it logs every call (monotonic time, method, path, query), refuses calls without
the vendor's credentials (the subclass's `refuse`), and answers scheduled faults — a run
of 429s with the vendor's headers, or one 500 — after a given number of matching calls,
so a test can throttle "the third page" without knowing how the page is addressed.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send


@dataclass(frozen=True)
class Call:
    """One request as the fake saw it."""

    at: float
    method: str
    path: str
    query: str


@dataclass
class Fault:
    """Answer `times` calls to `method path` (prefix) with `respond`, after `skip`."""

    method: str
    path: str
    times: int
    respond: Callable[[], Response]
    skip: int = 0

    def matches(self, call: Call) -> bool:
        return call.method == self.method and call.path.startswith(self.path)


class FakeApi:
    """Base of the fakes: subclasses give `routes()`, `refuse()` and `too_many()`."""

    def __init__(self) -> None:
        self.log: list[Call] = []
        self.faults: list[Fault] = []
        self._router = Starlette(routes=list(self.routes()))

    def routes(self) -> Sequence[Route]:
        raise NotImplementedError

    def refuse(self, request: Request) -> Response | None:
        """The vendor's answer to missing or wrong credentials, else None."""
        raise NotImplementedError

    def too_many(self) -> Response:
        """The vendor's 429, with its headers (tests keep any wait to about a second)."""
        raise NotImplementedError

    def server_error(self) -> Response:
        """The vendor's 500."""
        return Response("Internal Server Error", 500)

    def throttle(
        self, method: str, path: str, *, times: int = 3, skip: int = 0
    ) -> None:
        """Answer the next `times` matching calls after `skip` of them with a 429."""
        self.faults.append(Fault(method, path, times, self.too_many, skip))

    def fail_once(self, method: str, path: str, *, skip: int = 0) -> None:
        """Answer one matching call (after `skip`) with a 500."""
        self.faults.append(Fault(method, path, 1, self.server_error, skip))

    def calls(self, method: str | None = None, path: str = "") -> list[Call]:
        """The logged calls, optionally only one method and path prefix."""
        return [
            call
            for call in self.log
            if (method is None or call.method == method) and call.path.startswith(path)
        ]

    def arrivals(self) -> list[float]:
        """When each call arrived (for `assert_within_rate`)."""
        return [call.at for call in self.log]

    def _fault(self, call: Call) -> Response | None:
        for fault in self.faults:
            if fault.times <= 0 or not fault.matches(call):
                continue
            if fault.skip > 0:
                fault.skip -= 1
                return None
            fault.times -= 1
            return fault.respond()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._router(scope, receive, send)
            return
        request = Request(scope, receive)
        call = Call(
            time.monotonic(), request.method, request.url.path, request.url.query
        )
        self.log.append(call)
        answer = self.refuse(request) or self._fault(call)
        if answer is not None:
            await answer(scope, receive, send)
            return
        await self._router(scope, receive, send)
