"""What every fake vendor server shares: a request log, an auth check and injected faults.

A fake is an ASGI app whose Starlette routes (`routes()`) answer as the vendor's
documentation shows. `serve()` runs it on loopback (`connectors.testing.serve_app`) and
keeps its URL in `url`, for the links a vendor writes into its bodies. Every request is
logged first (arrival time, method, path, query), then refused with the vendor's own
answer when its credentials are wrong (`refuse()`), then answered by a scheduled fault
when one matches — a run of the vendor's 429s with its rate-limit headers (`throttle`),
one 500 (`fail_once`), or any other answer (`fail`) — and only then routed. A fault may
let some matching calls through first (`skip`), so a test can throttle "the third page"
without knowing how the page is addressed.
"""

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from connectors.testing import serve_app


@dataclass(frozen=True)
class Call:
    """One request as the fake saw it."""

    at: float  # time.monotonic()
    method: str
    path: str
    query: str  # the raw query string, as sent
    params: Mapping[str, str]  # the same, decoded


# A path prefix, or a test of the whole call.
Where = str | Callable[[Call], bool]


@dataclass
class Fault:
    """Answer `times` calls matching `method` and `where` with `respond()`, after `skip`."""

    method: str | None  # None: any method
    where: Where
    respond: Callable[[], Response]
    times: int
    skip: int = 0

    def matches(self, call: Call) -> bool:
        if self.method is not None and call.method != self.method:
            return False
        if callable(self.where):
            return self.where(call)
        return call.path.startswith(self.where)


@dataclass
class FakeApi:
    """Base of the fakes: subclasses give `routes()`, `refuse()` and `too_many()`."""

    url: str = ""  # where `serve()` runs it
    log: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    _router: Starlette | None = field(default=None, init=False, repr=False)

    def routes(self) -> Sequence[BaseRoute]:
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
        self, method: str | None, where: Where = "", *, times: int = 3, skip: int = 0
    ) -> None:
        """Answer the next `times` matching calls after `skip` of them with a 429."""
        self.faults.append(Fault(method, where, self.too_many, times, skip))

    def fail_once(
        self, method: str | None, where: Where = "", *, skip: int = 0
    ) -> None:
        """Answer one matching call (after `skip`) with a 500."""
        self.faults.append(Fault(method, where, self.server_error, 1, skip))

    def fail(
        self,
        method: str | None,
        where: Where,
        respond: Callable[[], Response],
        *,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """Answer `times` matching calls (after `skip`) with `respond()`."""
        self.faults.append(Fault(method, where, respond, times, skip))

    def calls(self, method: str | None = None, path: str = "") -> list[Call]:
        """The logged calls, optionally of one method and under one path prefix."""
        return [
            call
            for call in self.log
            if (method is None or call.method == method) and call.path.startswith(path)
        ]

    def arrivals(self) -> list[float]:
        """When each call arrived (for `assert_within_rate`)."""
        return [call.at for call in self.log]

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve the fake on a free loopback port; yield (and keep) its URL."""
        with serve_app(self) as url:
            self.url = url
            yield url

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
        if self._router is None:
            self._router = Starlette(routes=list(self.routes()))
        if scope["type"] != "http":
            await self._router(scope, receive, send)
            return
        request = Request(scope, receive)
        call = Call(
            time.monotonic(),
            request.method,
            request.url.path,
            request.url.query,
            dict(request.query_params),
        )
        self.log.append(call)
        answer = self.refuse(request) or self._fault(call)
        if answer is not None:
            await answer(scope, receive, send)
            return
        await self._router(scope, receive, send)


@dataclass(frozen=True)
class FanoutCase:
    """A fake holding one person's records, for the test that fans one ticket out to
    every vendor at once (tests/fanout/test_all_vendors.py)."""

    fake: FakeApi
    # connectors.yaml keys besides name, type and base_url; secrets as ${VAR}s.
    config: Mapping[str, Any]
    environ: Mapping[str, str]  # the ${VAR}s
    path: str = ""  # base_url is the served URL and this path
    # What the vendor finishes in the background after the erasure call (a job).
    later: Callable[[], None] = lambda: None
