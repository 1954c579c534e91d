"""Outbox leases: a worker's short, renewed claim on a batch of queued mail.

A batch is claimed for `LEASE_SECONDS` (SKIP LOCKED on PostgreSQL). While it is being sent a
heartbeat renews the lease every few seconds, so a worker that dies leaves its mail to the
others within one lease. The worker keeps its own view of when the lease ends, by the
event loop's clock, counted from *before* each claim or renewal was sent: the database's
`claimed_until` is never earlier. A send may last only until shortly before that end (a
successful renewal moves it), so a second worker can claim a message only once nobody can
still be handing it to the server. Workers' clocks must agree to within the margin (NTP).
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import ParamSpec, TypeVar

from sqlalchemy import or_, update
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from app.db import session_scope, utcnow
from app.logging import log
from app.mail.models import Message, MessageState

LEASE_SECONDS = 30.0
RENEWALS_PER_LEASE = (
    6  # a renewal every 5 s: a few may fail before the lease runs short
)
# A send still in flight is cut this long before the lease ends: room for clock skew.
LEASE_MARGIN_SECONDS = 3.0
DATABASE_TIMEOUT_SECONDS = 10.0
RETRY_SECONDS = 120.0  # how long a write that must land is retried

P = ParamSpec("P")
T = TypeVar("T")


class Lease:
    """Our hold on one claimed batch, as this process sees it."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        worker: str,
        messages: list[Message],
        seconds: float,
        granted_at: float,
    ) -> None:
        self.worker = worker
        self.messages = messages
        self.seconds = seconds
        self._maker = maker
        self._pending = {message.id for message in messages}
        self._deadline = granted_at + seconds  # event-loop time
        self._margin = min(LEASE_MARGIN_SECONDS, seconds / 10)
        self._in_flight: tuple[int | None, asyncio.Timeout] | None = None

    def holds(self, message: Message) -> bool:
        """True while the message is ours and not yet settled."""
        return message.id in self._pending

    def done(self, message: Message) -> None:
        """The message is settled: no more renewals for it."""
        self._pending.discard(message.id)

    def running_short(self) -> bool:
        """True when renewals have failed long enough that sending should stop."""
        return self._cutoff() - asyncio.get_running_loop().time() < self.seconds / 3

    def _cutoff(self) -> float:
        return self._deadline - self._margin

    @asynccontextmanager
    async def sending(self, message: Message) -> AsyncIterator[None]:
        """Bound a send by the lease: TimeoutError once it would outlast it."""
        async with asyncio.timeout_at(self._cutoff()) as scope:
            self._in_flight = (message.id, scope)
            try:
                yield
            finally:
                self._in_flight = None

    @asynccontextmanager
    async def renewed(self) -> AsyncIterator[None]:
        """Renew the lease in the background for the duration of the block."""
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            yield
        finally:
            heartbeat.cancel()
            await asyncio.wait([heartbeat])

    async def _heartbeat(self) -> None:
        while self._pending:
            await asyncio.sleep(self.seconds / RENEWALS_PER_LEASE)
            try:
                await self._renew()
            except (
                Exception
            ) as exc:  # the next beat tries again; sending stops if short
                log.warning(
                    "mail.outbox.lease_not_renewed",
                    worker=self.worker,
                    error=type(exc).__name__,
                )

    async def _renew(self) -> None:
        started = asyncio.get_running_loop().time()
        ids = set(self._pending)
        timeout = self.seconds / RENEWALS_PER_LEASE
        async with asyncio.timeout(timeout), session_scope(self._maker) as session:
            result = await session.execute(
                update(Message)
                .where(
                    col(Message.id).in_(ids),
                    col(Message.claimed_by) == self.worker,
                    col(Message.state) == MessageState.QUEUED,
                )
                .values(claimed_until=utcnow() + timedelta(seconds=self.seconds))
                .returning(col(Message.id))
            )
            kept = set(result.scalars())
        # Rows not returned were settled meanwhile, or taken over after our lease ended.
        self._pending -= ids - kept
        self._deadline = started + self.seconds
        if self._in_flight is not None and self._in_flight[0] in kept:
            self._in_flight[1].reschedule(self._cutoff())

    async def release(self) -> None:
        """Give back what was not attempted, so nobody waits for the lease to end."""
        if not self._pending:
            return
        ids, self._pending = self._pending, set()
        try:
            async with (
                asyncio.timeout(DATABASE_TIMEOUT_SECONDS),
                session_scope(self._maker) as session,
            ):
                await session.execute(
                    update(Message)
                    .where(
                        col(Message.id).in_(ids),
                        col(Message.claimed_by) == self.worker,
                        col(Message.state) == MessageState.QUEUED,
                    )
                    .values(claimed_by=None, claimed_until=None)
                )
        except Exception as exc:
            if not database_trouble(exc):
                raise
            log.warning("mail.outbox.not_released", error=type(exc).__name__)


async def claim(
    maker: async_sessionmaker[AsyncSession], worker: str, limit: int, seconds: float
) -> Lease | None:
    """Claim up to `limit` due messages, oldest first, for `seconds`; None if none are due."""
    granted_at = asyncio.get_running_loop().time()
    async with session_scope(maker) as session:
        now = utcnow()
        query = (
            select(Message)
            .where(
                Message.state == MessageState.QUEUED,
                col(Message.next_attempt_at) <= now,
                or_(
                    col(Message.claimed_until).is_(None),
                    col(Message.claimed_until) < now,
                ),
            )
            .order_by(col(Message.id))
            .limit(limit)
            .with_for_update(
                skip_locked=True
            )  # ignored by SQLite: one writer at a time
        )
        claimed = list((await session.execute(query)).scalars())
        for message in claimed:
            message.claimed_by = worker
            message.claimed_until = now + timedelta(seconds=seconds)
    if not claimed:
        return None
    return Lease(maker, worker, claimed, seconds, granted_at)


def database_trouble(exc: BaseException) -> bool:
    """A lost, refused or stuck database connection: worth a try on a new one."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc,
        (
            OperationalError,
            InterfaceError,
            DisconnectionError,
            PoolTimeout,
            OSError,
            TimeoutError,
        ),
    )


async def with_database_retries(
    func: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run `func`, a unit of work of its own, again (with backoff) after database trouble.

    Every attempt opens a new session, so it gets a new connection from the pool (which
    checks it first). Only the database write is repeated: never what came before it.
    """
    retrying = AsyncRetrying(
        retry=retry_if_exception(database_trouble),
        wait=wait_exponential(multiplier=0.1, max=5) + wait_random(0, 0.1),
        stop=stop_after_delay(RETRY_SECONDS),
        before_sleep=_log_retry,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
                return await func(*args, **kwargs)
    raise AssertionError("tenacity re-raises the last error")  # pragma: no cover


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "mail.outbox.database_retry",
        attempt=state.attempt_number,
        error=type(error).__name__,
    )
