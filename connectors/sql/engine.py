"""Database URLs, engines and driver errors for the SQL connector.

Sync-style URLs are mapped to the async drivers the project ships (`postgresql` →
`postgresql+asyncpg`, `mysql`/`mariadb` → `mysql+aiomysql`, `sqlite` →
`sqlite+aiosqlite`). Driver errors become connector errors by SQLSTATE or MySQL error
number; their messages are kept only where they cannot echo row values (integrity and
data errors can).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from connectors.base import AuthError, ConfigError, ConnectorError, TransientError

_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "mariadb": "mysql+aiomysql",
    "sqlite": "sqlite+aiosqlite",
}
_SYNC_DRIVERS = frozenset(
    {
        "",
        "psycopg2",
        "psycopg",
        "pg8000",
        "pymysql",
        "mysqldb",
        "mysqlconnector",
        "mariadbconnector",
        "pysqlite",
    }
)
_MYSQL_AUTH = frozenset({1044, 1045, 1698})
_MYSQL_TRANSIENT = frozenset({1040, 1205, 1213, 2002, 2003, 2005, 2006, 2013})
_MYSQL_CONFIG = frozenset({1049})
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57P", "40001", "40P01", "55P03")


def async_url(url: str) -> URL:
    """Parse a SQLAlchemy URL and switch sync drivers to their async counterparts."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        raise ConfigError("url: not a valid SQLAlchemy database URL") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in _ASYNC_DRIVERS and driver in _SYNC_DRIVERS:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    return parsed


def create_engine(url: URL, *, timeout: float) -> AsyncEngine:
    """An engine without a pool: DSR tasks are rare, so no idle connections are held."""
    connect_args: dict[str, Any] = {}
    if url.drivername == "postgresql+asyncpg":
        connect_args["timeout"] = timeout
    elif url.drivername == "mysql+aiomysql":
        connect_args["connect_timeout"] = timeout
    elif url.drivername == "sqlite+aiosqlite":
        _require_sqlite_file(url)
        connect_args["timeout"] = timeout
    try:
        engine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (sa_exc.ArgumentError, sa_exc.InvalidRequestError, ImportError) as exc:
        raise ConfigError(
            f"url: unusable database URL ({type(exc).__name__})"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_foreign_keys)
    return engine


def _require_sqlite_file(url: URL) -> None:
    # aiosqlite would silently create an empty database file for a mistyped path.
    database = url.database or ""
    in_file = database and database != ":memory:" and not database.startswith("file:")
    if in_file and not Path(database).is_file():
        raise ConfigError(f"url: SQLite database file not found: {database}")


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # Enforce foreign keys so an erasure can never leave dangling references unnoticed.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Turn driver and network exceptions raised inside into connector errors."""
    try:
        yield
    except ConnectorError:
        raise
    except sa_exc.DBAPIError as exc:
        raise _from_dbapi(exc, what) from exc
    except (OSError, TimeoutError) as exc:
        raise TransientError(
            f"{what}: cannot reach the database ({type(exc).__name__})"
        ) from exc


def _from_dbapi(exc: sa_exc.DBAPIError, what: str) -> ConnectorError:
    orig = exc.orig
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    args = getattr(orig, "args", ())
    errno = args[0] if args and isinstance(args[0], int) else None
    message = f"{what}: {type(orig).__name__}"
    code = sqlstate or (str(errno) if errno is not None else "")
    if code:
        message += f" [{code}]"
    if isinstance(exc, sa_exc.IntegrityError):
        # Driver text may quote the conflicting values (MySQL "Duplicate entry 'x'").
        message += ": a constraint blocked the change (a referencing table missing?)"
    elif not isinstance(exc, sa_exc.DataError):
        message += f": {_first_line(orig)}"
    if sqlstate.startswith("28") or errno in _MYSQL_AUTH:
        return AuthError(message)
    if (
        sqlstate == "3D000"
        or errno in _MYSQL_CONFIG
        or "unable to open database" in message
    ):
        return ConfigError(message)
    transient = exc.connection_invalidated or errno in _MYSQL_TRANSIENT
    if (
        transient
        or sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
        or "database is locked" in message
    ):
        return TransientError(message)
    return ConnectorError(message)


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip() if error is not None else ""
    return text.splitlines()[0] if text else "(no message)"
