"""Wake-ups: work a transaction creates starts when it commits, not at the next poll.

A service that creates work for a worker (an approved ticket, a ticket ready for its
answer) calls `await notify(session, channel)` inside its transaction. Nothing happens
unless that transaction commits. Then the worker of this process is woken through its
`Wakeup` (one asyncio event per channel, carried in the sessionmaker's `info`), and on
PostgreSQL a `pg_notify` issued in the transaction (PostgreSQL delivers it on commit and
drops it on rollback) wakes the workers of other processes, which a `Listener` receives
on a connection of its own. The periodic polls stay as the safety net: a lost wake-up
delays work until the next poll, it never loses it.
"""

import asyncio
import contextlib
import secrets
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.db import transaction_state
from app.logging import log

CHANNELS = frozenset({"fanout", "results", "outbox"})
WAKEUP_KEY = "wakeup"
PG_CHANNEL = "dsr_wakeup"
_PENDING_KEY = "wakeup_pending"
KEEPALIVE_SECONDS = 30.0
RECONNECT_SECONDS = 2.0


class Wakeup:
    """One process's wake-up events, one per channel."""

    def __init__(self) -> None:
        # Tells this process's own NOTIFYs apart: it was already woken at commit.
        self.token = secrets.token_hex(8)
        self._events = {channel: asyncio.Event() for channel in CHANNELS}

    def event(self, channel: str) -> asyncio.Event:
        """The event set when `channel` has new work (its consumer clears it)."""
        return self._events[channel]

    def wake(self, channel: str) -> None:
        """Announce new work on `channel` to this process's worker."""
        if channel in self._events:  # an unknown channel from another version: ignore
            self._events[channel].set()

    def wake_all(self) -> None:
        """Wake every channel (e.g. after missing notifications while reconnecting)."""
        for channel in CHANNELS:
            self.wake(channel)


def signal_of(maker: async_sessionmaker[AsyncSession]) -> Wakeup | None:
    """The Wakeup the sessionmaker's sessions wake on commit, if it carries one."""
    signal = maker.kw.get("info", {}).get(WAKEUP_KEY)
    return signal if isinstance(signal, Wakeup) else None


async def notify(session: AsyncSession, channel: str) -> None:
    """Wake `channel`'s workers, here and in other processes, once this transaction commits."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown wake-up channel {channel!r}")
    # Begins the transaction if nothing has yet, so that its end (commit or rollback)
    # is what sends or drops the wake-up.
    connection = await session.connection()
    pending = transaction_state(session, _PENDING_KEY)
    if channel in pending:
        return  # announced already in this transaction
    pending[channel] = True
    if connection.dialect.name == "postgresql":
        signal = session.info.get(WAKEUP_KEY)
        token = signal.token if isinstance(signal, Wakeup) else ""
        payload = f"{channel} {token}"
        # On the connection, not the session: nothing pending needs flushing first (the
        # NOTIFY is delivered at commit), so the ticket's rows still flush together.
        await connection.execute(select(func.pg_notify(PG_CHANNEL, payload)))


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a released SAVEPOINT is not a commit yet
        return
    # A rollback sends nothing: the pending channels end with the transaction unused.
    pending = transaction_state(session, _PENDING_KEY)
    signal = session.info.get(WAKEUP_KEY)
    if pending and isinstance(signal, Wakeup):
        for channel in pending:
            signal.wake(channel)


class Listener:
    """Receives other processes' wake-ups through PostgreSQL LISTEN, reconnecting as needed."""

    def __init__(self, url: str, signal: Wakeup) -> None:
        self.signal = signal
        self._engine = create_async_engine(
            url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._connected_before = False

    async def start(self) -> None:
        """Start listening; returns once the first connection listens (or failed once)."""
        self._task = asyncio.create_task(self._run())
        waiting = asyncio.create_task(self._listening.wait())
        await asyncio.wait({self._task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._engine.dispose()

    def _received(
        self, _connection: Any, _pid: int, _channel: str, payload: str
    ) -> None:
        channel, _, token = payload.partition(" ")
        if token != self.signal.token:
            self.signal.wake(channel)

    async def _run(self) -> None:
        while True:
            try:
                async with self._engine.connect() as connection:
                    await self._listen(connection)
            except Exception as exc:  # a lost or refused connection: the polls cover it
                log.warning("wakeup.listen_lost", error=type(exc).__name__)
            self._listening.set()  # start() returns even when the database is down
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen(self, connection: AsyncConnection) -> None:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection  # asyncpg's own connection
        lost = asyncio.Event()
        driver.add_termination_listener(lambda _connection: lost.set())
        await driver.add_listener(PG_CHANNEL, self._received)
        if self._connected_before:  # what was sent while the link was down: run now
            self.signal.wake_all()
        self._connected_before = True
        self._listening.set()
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):  # not wait_for: see jobs._Loop.run
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    await lost.wait()
            if not lost.is_set():  # a silent half-open link shows itself here
                await driver.execute("SELECT 1")
