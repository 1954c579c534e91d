"""Engine, sessions and the UTC datetime column type; knows nothing of the domain."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, event, inspect, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_

T = TypeVar("T")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive UTC, PostgreSQL timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        return (
            value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        )


def utcnow() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        _queue_sqlite_writers(engine)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


SQLITE_WRITE_WAIT = 30  # seconds, as long as SQLite's own busy timeout above
_WRITING = "dsr.sqlite_writing"


def _queue_sqlite_writers(engine: AsyncEngine) -> None:
    """Let this process's writers queue for SQLite's one write lock in turn.

    SQLite admits one writer; the others poll its lock with sleeps of up to 100 ms, so
    under concurrent posts some starve past the busy timeout ("database is locked", a
    500). Here a transaction's first write waits for an asyncio lock, first come first
    served, held until that transaction ends; reads never wait. SQLAlchemy's events are
    synchronous, hence `await_` (they run inside its greenlet).
    """
    lock = asyncio.Lock()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _first_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get(_WRITING) or statement.lstrip()[:6].upper() == "SELECT":
            return
        await_(_acquire())
        conn.info[_WRITING] = True

    async def _acquire() -> None:
        # asyncio.timeout, not wait_for: a lock granted as the wait is cut is handed on,
        # never lost (wait_for in Python 3.11 can drop it).
        async with asyncio.timeout(SQLITE_WRITE_WAIT):
            await lock.acquire()

    def _end(info: dict[str, Any] | None) -> None:
        if info is not None and info.pop(_WRITING, False):
            lock.release()

    for name in ("commit", "rollback"):
        event.listen(engine.sync_engine, name, lambda conn: _end(conn.info))
    # A connection that broke mid-transaction may end without either: its return to the
    # pool (or its invalidation) ends the write too. Connection.info is the record's.
    for name in ("checkin", "invalidate", "close"):
        event.listen(
            engine.sync_engine.pool,
            name,
            lambda _dbapi, record, *_: _end(record and record.info),
        )


@asynccontextmanager
async def session_scope(
    maker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A unit of work for jobs and the CLI: commit on success, roll back on error."""
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def enum_column(enum_cls: type[Any]) -> Any:
    """A portable enum column: stored as its string value, loaded back as the enum member."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


async def try_advisory_lock(session: AsyncSession, name: str) -> bool:
    """Take a transaction-scoped PostgreSQL advisory lock named `name`; False if held elsewhere.

    Elsewhere (SQLite) there is one writer at a time anyway, so the lock is always granted.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    from sqlalchemy import text

    query = text("SELECT pg_try_advisory_xact_lock(hashtext(:name))")
    return bool((await session.execute(query, {"name": name})).scalar_one())


_PER_TRANSACTION = "dsr.per_transaction"


def transaction_state(session: AsyncSession | Session, name: str) -> dict[Any, Any]:
    """A dict kept on the session under `name` until its outermost transaction ends.

    For what holds only while the transaction does: rows it locked, chain heads it read,
    wake-ups it owes at commit.
    """
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    state: dict[Any, Any] = sync.info.setdefault(_PER_TRANSACTION, {}).setdefault(
        name, {}
    )
    return state


@event.listens_for(Session, "after_transaction_end")
def _end_transaction_state(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: its locks are gone
        session.info.pop(_PER_TRANSACTION, None)


async def select_locked(session: AsyncSession, model: type[T], *where: Any) -> T | None:
    """The row matching `where`, read fresh and locked until the transaction ends.

    SQLite has no row locks: a no-op write first takes the database write lock, so what is
    read cannot change before this transaction commits.
    """
    if session.get_bind().dialect.name == "sqlite":
        key = inspect(model).primary_key[0]
        noop = update(model).where(*where).values({key.name: key})
        await session.execute(noop.execution_options(synchronize_session=False))
    query = (
        select(model)
        .where(*where)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found: T | None = (await session.execute(query)).scalar_one_or_none()
    return found


# Units of work. Some rows (the ticket) may change only while their owner holds them locked
# inside one transaction. The owner registers the object on its session; a guard on every
# column raises on a write to a stored object that is not registered, and the registration
# ends with the transaction, so "remember to lock first" is a mechanism, not a convention.
_WRITABLE = "dsr.writable"


class UnregisteredWrite(RuntimeError):
    """A guarded row was changed without being obtained through its unit of work."""


def register_writable(session: AsyncSession | Session, obj: object) -> None:
    """Let `obj` be changed in this session until its transaction ends."""
    transaction_state(session, _WRITABLE)[id(obj)] = obj


def registered(session: AsyncSession | Session) -> list[object]:
    """The objects registered as writable in this session's transaction."""
    return list(transaction_state(session, _WRITABLE).values())


def is_writable(obj: object) -> bool:
    """Whether `obj` may be changed: still being built, or registered on its session."""
    state = inspect(obj)
    if state.transient or state.pending:
        return True
    session = state.session
    return session is not None and id(obj) in transaction_state(session, _WRITABLE)


def require_writable(obj: object, what: str) -> None:
    """Raise `UnregisteredWrite` unless `obj` may be changed now."""
    if not is_writable(obj):
        raise UnregisteredWrite(
            f"{what} on {type(obj).__name__} outside its unit of work: "
            "obtain the row with its edit() context manager"
        )


def guard_writes(model: type[Any]) -> None:
    """Make every column of `model` raise when written outside a unit of work."""
    for attribute in inspect(model).column_attrs:
        event.listen(
            getattr(model, attribute.key),
            "set",
            _write_check(attribute.key),
            retval=True,
        )


def _write_check(name: str) -> Any:
    def check(target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
        require_writable(target, f"setting {name}")
        return value

    return check
