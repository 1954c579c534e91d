"""A flaky vendor for the `webhook` connector: a small ASGI app under uvicorn on loopback.

It checks the signature, then at random answers 500, 429 with `Retry-After`, or stalls
past the connector's timeout (having done the erasure: the vendor did the work, the answer
is lost). Otherwise it erases and answers `done`. A repeated idempotency key gets the
first answer again, as docs/connectors.md asks of a receiver, so an erasure takes effect
once however often it is sent. Every call is kept, with the worker process that made it.
"""

import asyncio
import contextlib
import json
import random
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from connectors.testing import serve_app
from connectors.webhook import verify_signature

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

ERASED = {"status": "done", "erased": {"contacts": 1}}


@dataclass(frozen=True, slots=True)
class Call:
    """One erase call: the key, what the fake did, and who called."""

    key: str
    reference: str
    answer: str  # done | 500 | 429 | stall
    pid: int | None
    at: float  # time.monotonic() when the answer was sent (stall: when it ended)


@dataclass
class Faults:
    """How often each misbehaviour happens, and how long a stall lasts."""

    error: float = 0.0
    throttle: float = 0.0
    stall: float = 0.0
    stall_seconds: float = 3.0
    retry_after: int = 1


@dataclass
class Hook:
    """The ASGI app. `owner(port)` names the calling process; `answered(pid)` runs right
    after a `done` answer has been sent (the fault run may kill the caller then)."""

    secret: str
    faults: Faults
    rng: random.Random
    owner: Callable[[int], int | None] = lambda _port: None
    answered: Callable[[int | None], None] = lambda _pid: None
    calls: list[Call] = field(default_factory=list)
    effects: dict[str, float] = field(default_factory=dict)  # key -> first erased at
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one POST as described in the module docstring."""
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = dict(scope["headers"])
        signature = headers.get(b"x-dsr-signature", b"").decode()
        if not verify_signature(self.secret, body, signature):
            await _answer(send, 401, {})
            return
        payload = json.loads(body)
        if payload.get("action") != "erase":
            await _answer(send, 204 if payload.get("action") == "access" else 200, {})
            return
        await self._erase(scope, payload, send)

    async def _erase(self, scope: Scope, payload: dict[str, Any], send: Send) -> None:
        key, reference = payload["idempotency_key"], payload["request_reference"]
        pid = self.owner(int(scope["client"][1]))
        draw = self.rng.random()
        f = self.faults
        if draw < f.error:
            await _answer(send, 500, {"error": "flaky"})
            self._keep(Call(key, reference, "500", pid, time.monotonic()))
        elif draw < f.error + f.throttle:
            await _answer(
                send, 429, {}, [(b"retry-after", str(f.retry_after).encode())]
            )
            self._keep(Call(key, reference, "429", pid, time.monotonic()))
        elif draw < f.error + f.throttle + f.stall:
            self._effect(key)
            await asyncio.sleep(f.stall_seconds)  # the caller gives up before this
            with contextlib.suppress(Exception):  # it has hung up
                await _answer(send, 200, ERASED)
            self._keep(Call(key, reference, "stall", pid, time.monotonic()))
        else:
            self._effect(key)
            await _answer(send, 200, ERASED)
            self._keep(Call(key, reference, "done", pid, time.monotonic()))
            self.answered(pid)

    def _effect(self, key: str) -> None:
        with self._lock:
            self.effects.setdefault(key, time.monotonic())

    def _keep(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def snapshot(self) -> list[Call]:
        """A copy of the calls so far."""
        with self._lock:
            return list(self.calls)


async def _answer(
    send: Send,
    status: int,
    body: dict[str, Any],
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    data = json.dumps(body).encode() if status != 204 else b""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": data})


@contextlib.contextmanager
def serving(app: Hook) -> Iterator[str]:
    """Serve the hook on a free loopback port in a thread; yields its URL."""
    with serve_app(app) as base:
        yield f"{base}/hook"
