"""One attempt at a task: call the connector, and turn what happened into an `Outcome`.

Retry policy lives here, and only here: a `TransientError` is retried with exponential
backoff and jitter (never sooner than the vendor's Retry-After) up to `MAX_ATTEMPTS`;
an `AuthError` or any other connector error fails the task at once (staff may retry).
The retry state is written on the task row (`next_attempt_at`); nothing sleeps.
"""

import random
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx

from app.fanout.config import FanoutRuntime
from app.fanout.models import TaskStatus
from app.fanout.service import Outcome, idempotency_key
from app.fanout.staging import StagedFile
from app.logging import log
from connectors.base import (
    HINT_IDEMPOTENCY_KEY,
    HINT_REFERENCE,
    AccessPending,
    AuthError,
    Capability,
    Connector,
    ConnectorError,
    EraseStatus,
    EraseSummary,
    ManualActionRequired,
    Record,
    Subject,
    TransientError,
)

T = TaskStatus
MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
RETRY_AFTER_CAP_SECONDS = 86400.0
TASK_TIMEOUT_SECONDS = 3600.0
POLL_MIN = timedelta(minutes=1)
POLL_MAX = timedelta(hours=1)
CALLBACK_WAIT = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A task this worker holds the lease of, with what the connector needs."""

    task_id: int
    request_id: int
    reference: str
    connector: str
    action: str
    attempts: int
    email: str
    name: str | None
    job_ref: str | None
    created_at: datetime

    def subject(self) -> Subject:
        """The data subject, with the ticket reference and the task's idempotency key."""
        key = idempotency_key(self.reference, self.connector, self.action)
        hints = {HINT_REFERENCE: self.reference, HINT_IDEMPOTENCY_KEY: key}
        return Subject(email=self.email, name=self.name, hints=hints)


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Delay before the next attempt: exponential with jitter, at least Retry-After."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    delay = ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not crypto
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP_SECONDS))
    return timedelta(seconds=delay)


def polls(connector: Connector[Any]) -> bool:
    """Whether the connector's type can report on pending jobs (else: callbacks)."""
    return type(connector).poll is not Connector.poll


async def attempt(
    claimed: Claimed,
    runtime: FanoutRuntime,
    http: httpx.AsyncClient,
    data_dir: Path,
    now: datetime,
) -> tuple[Outcome, StagedFile | None]:
    """Run one attempt of a claimed task; never raises a connector's error."""
    problem = _unrunnable(claimed, runtime)
    if problem is not None:
        return Outcome(T.FAILED, error=problem), None
    staged: StagedFile | None = None
    try:
        async with _opened(runtime, claimed.connector, http) as connector:
            with anyio.fail_after(TASK_TIMEOUT_SECONDS):
                if claimed.action != Capability.ACCESS:
                    summary = await connector.erase(claimed.subject())
                    return from_summary(summary, connector, now), None
                staged = StagedFile.open_for(
                    data_dir, claimed.reference, claimed.connector
                )
                await _stream(connector, claimed.subject(), staged)
                return Outcome(T.SUCCEEDED, counts=staged.counts), staged
    except Exception as exc:  # a connector may raise anything; the task records it
        if staged is not None:
            await staged.discard()
        return from_error(exc, claimed, now), None


def _unrunnable(claimed: Claimed, runtime: FanoutRuntime) -> str | None:
    if runtime.get(claimed.connector) is None:
        return f"connector {claimed.connector!r} is no longer in {runtime.source}"
    if claimed.attempts > MAX_ATTEMPTS:
        return f"gave up: the worker stopped during {MAX_ATTEMPTS} attempts"
    return None


@asynccontextmanager
async def _opened(
    runtime: FanoutRuntime, name: str, http: httpx.AsyncClient
) -> AsyncIterator[Connector[Any]]:
    """A fresh connector instance, closed afterwards whatever happens."""
    connector = runtime.build(name, http)
    try:
        yield connector
    finally:
        await connector.aclose()


async def _stream(
    connector: Connector[Any], subject: Subject, staged: StagedFile
) -> None:
    stream: AsyncIterator[Record] = connector.access(subject)
    try:
        await staged.write_stream(stream)
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:  # stop the generator now, not at garbage collection
            await close()


async def poll_attempt(
    claimed: Claimed, runtime: FanoutRuntime, http: httpx.AsyncClient, now: datetime
) -> Outcome:
    """Ask the connector about a pending erasure; fail it once the callback wait ends."""
    if runtime.get(claimed.connector) is None:
        problem = f"connector {claimed.connector!r} is no longer in {runtime.source}"
        return Outcome(T.FAILED, error=problem)
    try:
        async with _opened(runtime, claimed.connector, http) as connector:
            erasing = claimed.action == Capability.ERASE
            if not (erasing and polls(connector) and claimed.job_ref):
                days = CALLBACK_WAIT.days
                problem = f"no result from {claimed.connector} in {days} days"
                return Outcome(T.FAILED, error=problem)
            summary = await connector.poll(claimed.job_ref)
            outcome = from_summary(summary, connector, now)
    except TransientError as exc:
        due = now + backoff(1, exc.retry_after)
        return Outcome(T.WAITING, error=str(exc), next_attempt_at=due)
    except Exception as exc:  # a connector may raise anything; the task records it
        return from_error(exc, claimed, now)
    if outcome.status is not T.WAITING:
        return outcome
    waited = (now - claimed.created_at) / 4
    return replace(outcome, next_attempt_at=now + min(POLL_MAX, max(POLL_MIN, waited)))


def from_summary(
    summary: EraseSummary, connector: Connector[Any], now: datetime
) -> Outcome:
    """The outcome of an erase() or poll() summary."""
    counts = dict(summary.erased)
    if summary.status is EraseStatus.DONE:
        return Outcome(T.SUCCEEDED, counts=counts, notes=summary.notes)
    if summary.status is EraseStatus.PENDING:
        wait = POLL_MIN if polls(connector) else CALLBACK_WAIT
        return Outcome(
            T.WAITING,
            counts=counts,
            job_ref=summary.job_ref,
            next_attempt_at=now + wait,
            notes=summary.notes,
        )
    default = f"Erase the person's data in {connector.name} by hand."
    instructions = "\n".join(summary.notes) or default
    return Outcome(T.MANUAL, counts=counts, instructions=instructions)


def from_error(exc: Exception, claimed: Claimed, now: datetime) -> Outcome:
    """The outcome of an attempt that raised."""
    if isinstance(exc, ManualActionRequired):
        return Outcome(T.MANUAL, instructions=exc.instructions)
    if isinstance(exc, AccessPending):
        due = now + CALLBACK_WAIT
        return Outcome(T.WAITING, job_ref=exc.job_ref, next_attempt_at=due)
    if isinstance(exc, TimeoutError):
        exc = TransientError(f"no result after {TASK_TIMEOUT_SECONDS:.0f} s")
    if isinstance(exc, TransientError):
        if claimed.attempts >= MAX_ATTEMPTS:
            error = f"gave up after {claimed.attempts} attempts: {exc}"
            return Outcome(T.FAILED, error=error)
        due = now + backoff(claimed.attempts, exc.retry_after)
        return Outcome(T.PENDING, error=str(exc), next_attempt_at=due)
    if isinstance(exc, AuthError):
        return Outcome(T.FAILED, error=f"{exc} (not retried: fix the credentials)")
    if isinstance(exc, ConnectorError):
        return Outcome(T.FAILED, error=str(exc) or type(exc).__name__)
    return Outcome(T.FAILED, error=_unexpected(exc, claimed.connector))


def _unexpected(exc: Exception, name: str) -> str:
    # The message of an arbitrary exception may quote personal data: log where it came
    # from, record only its type.
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    log.error(
        "fanout.connector_crashed", connector=name, error=type(exc).__name__, at=where
    )
    return f"unexpected {type(exc).__name__} in connector {name}"
